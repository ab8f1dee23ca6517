"""The application's configuration: a dict with loaders for files, objects, mappings and the environment."""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t

from werkzeug.utils import import_string

from . import _brand

if t.TYPE_CHECKING:
    import typing_extensions as te

T = t.TypeVar("T")

#: ``errno`` values that ``silent=True`` turns into a ``False`` return: the file simply is not there.
_MISSING_FILE_ERRNOS = frozenset((errno.ENOENT, errno.EISDIR, errno.ENOTDIR))


class ConfigAttribute(t.Generic[T]):
    """Expose one config key as an attribute of the object that owns the config (``app.secret_key``).

    :param name: the config key.
    :param get_converter: applied to the stored value on read, for example ``timedelta`` conversion.
    """

    def __init__(self, name: str, get_converter: t.Callable[[t.Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: type[t.Any] | None = None) -> te.Self: ...

    @t.overload
    def __get__(self, obj: object, owner: type[t.Any] | None = None) -> T: ...

    def __get__(self, obj: t.Any, owner: type[t.Any] | None = None) -> T | te.Self:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            value = self.get_converter(value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: t.Any, value: t.Any) -> None:
        obj.config[self.__name__] = value


def _reraise_as_config_error(error: OSError) -> t.NoReturn:
    """Say which step failed while keeping the errno and filename the caller may inspect."""
    error.strerror = f"Unable to load configuration file ({error.strerror})"
    raise error


class Config(dict[str, t.Any]):
    """A dict of settings with helpers to fill it.

    Only UPPERCASE keys are taken from objects, files and mappings, so a config module can hold lowercase
    helpers and imports without leaking them into the config.

    :param root_path: relative file names given to the loaders are resolved against this folder.
    :param defaults: initial values.
    """

    def __init__(self, root_path: str | os.PathLike[str], defaults: dict[str, t.Any] | None = None) -> None:
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by the environment variable ``variable_name``.

        :param silent: return ``False`` instead of raising when the variable or the file is missing.
        :return: ``True`` if a file was loaded.
        """
        path = os.environ.get(variable_name)
        if not path:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set and as such configuration could"
                " not be loaded. Set this variable and make it point to a configuration file"
            )
        return self.from_pyfile(path, silent=silent)

    def from_prefixed_env(
        self, prefix: str | None = None, *, loads: t.Callable[[str], t.Any] = json.loads
    ) -> bool:
        """Load every environment variable that starts with ``prefix`` followed by ``_``.

        The prefix is dropped from the key. Values are parsed with ``loads`` (JSON by default) and kept as
        strings when that fails. A ``__`` in the key sets a nested item: ``ERLEN_DB__HOST`` sets
        ``config["DB"]["HOST"]``, creating the intermediate dicts that do not exist yet.

        :param prefix: defaults to the framework's env prefix (``ERLEN``; ``FLASK`` with the compat layer).
        :param loads: parses each value.

        .. versionadded:: 2.1
        """
        start = f"{prefix if prefix is not None else _brand.default_env_prefix()}_"
        start_len = len(start)

        # Sorted so nested keys are applied in a predictable order.
        for env_key in sorted(os.environ):
            if not env_key.startswith(start):
                continue
            raw = os.environ[env_key]
            key = env_key[start_len:]
            try:
                value = loads(raw)
            except Exception:
                value = raw

            if "__" not in key:
                self[key] = value
                continue

            *parents, leaf = key.split("__")
            target: dict[str, t.Any] = self
            for part in parents:
                if part not in target:
                    target[part] = {}
                target = target[part]
            target[leaf] = value
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its UPPERCASE names, as :meth:`from_object` does.

        :param filename: absolute, or relative to :attr:`root_path`.
        :param silent: return ``False`` instead of raising when the file is missing.
        :return: ``True`` if the file was loaded.
        """
        path = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            # Read as bytes so a ``coding:`` declaration in the file decides the encoding.
            with open(path, mode="rb") as file:
                source = file.read()
        except OSError as error:
            if silent and error.errno in _MISSING_FILE_ERRNOS:
                return False
            _reraise_as_config_error(error)
        exec(compile(source, path, "exec"), module.__dict__)
        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Copy the UPPERCASE attributes of ``obj`` into the config.

        :param obj: a module, class or instance; a string is imported first (``"package.module:Object"``).
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: t.Callable[[t.IO[t.Any]], t.Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a data file with ``load`` (``json.load``, ``tomllib.load``) and apply :meth:`from_mapping`.

        :param load: receives the open file and returns a mapping.
        :param silent: return ``False`` instead of raising when the file is missing.
        :param text: open in text mode; pass ``False`` for loaders that want bytes (``tomllib``).

        .. versionadded:: 2.0
        """
        path = os.path.join(self.root_path, filename)
        try:
            with open(path, "r" if text else "rb") as file:
                data = load(file)
        except OSError as error:
            if silent and error.errno in _MISSING_FILE_ERRNOS:
                return False
            _reraise_as_config_error(error)
        return self.from_mapping(data)

    def from_mapping(self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any) -> bool:
        """Copy the UPPERCASE keys of ``mapping`` (a mapping or pairs) and ``kwargs`` into the config.

        .. versionadded:: 0.11
        """
        merged: dict[str, t.Any] = {}
        if mapping is not None:
            merged.update(mapping)
        merged.update(kwargs)
        for key, value in merged.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """The items whose keys start with ``namespace``, for passing a group of settings as kwargs.

        ``get_namespace("IMAGE_STORE_")`` on ``IMAGE_STORE_TYPE="fs"`` gives ``{"type": "fs"}``.

        :param lowercase: lowercase the resulting keys.
        :param trim_namespace: drop the namespace from the resulting keys.

        .. versionadded:: 0.11
        """
        found: dict[str, t.Any] = {}
        cut = len(namespace) if trim_namespace else 0
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[cut:]
            if lowercase:
                name = name.lower()
            found[name] = value
        return found

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
