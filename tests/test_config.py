"""Config and ConfigAttribute, without an app."""

from __future__ import annotations

import json
import os
import typing as t
from datetime import timedelta
from pathlib import Path

import pytest

from erlen import _brand
from erlen.config import Config, ConfigAttribute

SECRET_KEY = "config"
TEST_KEY = "foo"
lowercase_ignored = "nope"


def assert_common(config: Config) -> None:
    assert config["SECRET_KEY"] == "config"
    assert config["TEST_KEY"] == "foo"
    assert "lowercase_ignored" not in config


def test_from_object_module_name_and_class() -> None:
    config = Config(".")
    config.from_object(__name__)
    assert_common(config)

    class Base:
        TEST_KEY = "foo"

    class Settings(Base):
        SECRET_KEY = "config"
        lower = 1

    config = Config(".")
    config.from_object(Settings)
    assert_common(config)
    assert "lower" not in config


def test_from_pyfile_relative_to_root(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text('SECRET_KEY = "config"\nTEST_KEY = "foo"\nhelper = 1\n')
    config = Config(tmp_path)
    assert config.from_pyfile("settings.py")
    assert_common(config)
    assert "helper" not in config


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-15"])
def test_from_pyfile_honours_coding_line(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "c.py"
    path.write_text(f'# -*- coding: {encoding} -*-\nVALUE = "föö"\n', encoding)
    config = Config(tmp_path)
    config.from_pyfile(os.fspath(path))
    assert config["VALUE"] == "föö"


def test_missing_file_messages(tmp_path: Path) -> None:
    config = Config(tmp_path)
    with pytest.raises(OSError) as info:
        config.from_pyfile("missing.cfg")
    message = str(info.value)
    assert message.startswith("[Errno 2] Unable to load configuration file (No such file or directory):")
    assert message.endswith("missing.cfg'")
    assert config.from_pyfile("missing.cfg", silent=True) is False

    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_file("missing.json", load=json.load)
    assert config.from_file("missing.json", load=json.load, silent=True) is False


def test_from_file_json_and_binary(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"SECRET_KEY": "config", "TEST_KEY": "foo", "low": 1}))
    config = Config(tmp_path)
    assert config.from_file("c.json", json.load)
    assert_common(config)
    assert "low" not in config

    config = Config(tmp_path)
    config.from_file("c.json", lambda f: json.loads(f.read().decode()), text=False)
    assert_common(config)


def test_from_envvar(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ERLEN_TEST_SETTINGS", raising=False)
    config = Config(tmp_path)
    with pytest.raises(RuntimeError, match="'ERLEN_TEST_SETTINGS' is not set"):
        config.from_envvar("ERLEN_TEST_SETTINGS")
    assert config.from_envvar("ERLEN_TEST_SETTINGS", silent=True) is False

    (tmp_path / "s.py").write_text('SECRET_KEY = "config"\nTEST_KEY = "foo"\n')
    monkeypatch.setenv("ERLEN_TEST_SETTINGS", str(tmp_path / "s.py"))
    assert config.from_envvar("ERLEN_TEST_SETTINGS")
    assert_common(config)

    monkeypatch.setenv("ERLEN_TEST_SETTINGS", "missing.cfg")
    with pytest.raises(OSError, match=r"missing\.cfg'$"):
        config.from_envvar("ERLEN_TEST_SETTINGS")
    assert config.from_envvar("ERLEN_TEST_SETTINGS", silent=True) is False


def test_from_mapping_forms() -> None:
    cases: tuple[tuple[tuple[t.Any, ...], dict[str, t.Any]], ...] = (
        (({"SECRET_KEY": "config", "TEST_KEY": "foo"},), {}),
        (([("SECRET_KEY", "config"), ("TEST_KEY", "foo")],), {}),
        ((), {"SECRET_KEY": "config", "TEST_KEY": "foo", "skip": 1}),
    )
    for args, kwargs in cases:
        config = Config(".")
        assert config.from_mapping(*args, **kwargs)
        assert_common(config)
        assert "skip" not in config
    with pytest.raises(TypeError):
        Config(".").from_mapping({}, {})  # type: ignore[call-arg]


def test_from_prefixed_env_values_and_default_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = _brand.default_env_prefix()
    values = {
        "STRING": "value",
        "BOOL": "true",
        "INT": "1",
        "FLOAT": "1.2",
        "LIST": "[1, 2]",
        "DICT": '{"k": "v"}',
    }
    for key, value in values.items():
        monkeypatch.setenv(f"{prefix}_{key}", value)
    monkeypatch.setenv(f"NOT_{prefix}_OTHER", "other")

    config = Config(".")
    assert config.from_prefixed_env()
    assert config["STRING"] == "value"
    assert config["BOOL"] is True
    assert config["INT"] == 1
    assert config["FLOAT"] == 1.2
    assert config["LIST"] == [1, 2]
    assert config["DICT"] == {"k": "v"}
    assert "OTHER" not in config


def test_from_prefixed_env_custom_prefix_and_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYAPP_A", "1")
    config = Config(".")
    config.from_prefixed_env("MYAPP", loads=lambda s: f"<{s}>")
    assert config["A"] == "<1>"


@pytest.mark.skipif(os.name == "nt", reason="Windows upper-cases env keys")
def test_from_prefixed_env_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MYAPP_EXIST__ok", "other")
    monkeypatch.setenv("MYAPP_EXIST__inner__ik", "2")
    monkeypatch.setenv("MYAPP_EXIST__new__more", '{"k": false}')
    monkeypatch.setenv("MYAPP_NEW__K", "v")
    config = Config(".")
    config["EXIST"] = {"ok": "value", "flag": True, "inner": {"ik": 1}}
    config.from_prefixed_env("MYAPP")
    assert config["EXIST"] == {"ok": "other", "flag": True, "inner": {"ik": 2}, "new": {"more": {"k": False}}}
    assert config["NEW"] == {"K": "v"}


def test_get_namespace() -> None:
    config = Config(".", {"FOO_OPTION_1": 1, "FOO_OPTION_2": 2, "BAR_STUFF": 3})
    assert config.get_namespace("FOO_") == {"option_1": 1, "option_2": 2}
    assert config.get_namespace("BAR_", lowercase=False) == {"STUFF": 3}
    assert config.get_namespace("FOO_", trim_namespace=False) == {"foo_option_1": 1, "foo_option_2": 2}
    assert config.get_namespace("BAR_", lowercase=False, trim_namespace=False) == {"BAR_STUFF": 3}


def test_repr_and_defaults() -> None:
    config = Config("/root", {"A": 1})
    assert config.root_path == "/root"
    assert repr(config) == "<Config {'A': 1}>"


def test_config_attribute_reads_writes_and_converts() -> None:
    class Owner:
        secret_key = ConfigAttribute[str]("SECRET_KEY")
        lifetime = ConfigAttribute[timedelta]("LIFETIME", get_converter=lambda v: timedelta(seconds=v))

        def __init__(self) -> None:
            self.config = Config(".", {"SECRET_KEY": "a", "LIFETIME": 42})

    owner = Owner()
    assert owner.secret_key == "a"
    owner.secret_key = "b"
    assert owner.config["SECRET_KEY"] == "b"
    assert owner.lifetime == timedelta(seconds=42)
    assert isinstance(Owner.__dict__["secret_key"], ConfigAttribute)
    assert Owner.secret_key.__name__ == "SECRET_KEY"
