"""Rows F2/F4 (templates) and H (faults): each view records what it saw in /_state for the test to read."""

from __future__ import annotations

import gc
import os
import time
import typing as t
import weakref

from sec_common import STATE, bump, make_app, record

from erlen import Blueprint, Erlen, abort, render_template, render_template_string, request, signals

app = make_app("sec_faults", MAX_FORM_MEMORY_SIZE=500_000)


# F2 / F4 ----------------------------------------------------------------------------------------------------


@app.get("/tpl")
def tpl() -> str:
    return render_template("page.html", value=request.args["v"])


@app.get("/tpl-string")
def tpl_string() -> str:
    return render_template_string("<p>{{ v }}</p>", v=request.args["v"])


@app.post("/urlize")
def urlize() -> dict[str, int]:
    html = render_template("urlize.html", text=request.get_data(as_text=True))
    return {"length": len(html)}


# H1 / H2 ----------------------------------------------------------------------------------------------------


@app.get("/h1/stream")
def h1_stream() -> t.Any:
    def generate() -> t.Iterator[bytes]:
        try:
            for _ in range(400):
                yield b"x" * 1024
                time.sleep(0.02)
            record("h1_completed")
        finally:
            record("h1_finally", time.time())

    return app.response_class(generate(), mimetype="application/octet-stream")


@app.get("/h2/stream")
def h2_stream() -> t.Any:
    def generate() -> t.Iterator[bytes]:
        yield b"first chunk\n"
        raise RuntimeError("H2-BOOM generator failed after the first chunk")

    return app.response_class(generate(), mimetype="text/plain")


@app.teardown_request
def record_teardown(exc: BaseException | None) -> None:
    if request.path.startswith("/h1/"):
        record("h1_teardown", time.time())


# H3 ---------------------------------------------------------------------------------------------------------


@app.post("/h3/data")
def h3_data() -> dict[str, int]:
    return {"length": len(request.get_data())}


@app.errorhandler(500)
def count_500(e: Exception) -> tuple[str, int]:
    bump("server_errors")
    return "internal error", 500


# H5 ---------------------------------------------------------------------------------------------------------

h5 = Blueprint("h5", __name__, url_prefix="/h5")


@h5.get("/boom")
def h5_boom() -> str:
    raise ValueError("H5 view failed")


@h5.teardown_request
def h5_first(exc: BaseException | None) -> None:
    record("h5_teardown_first", repr(exc))


@h5.teardown_request
def h5_raising(exc: BaseException | None) -> None:
    record("h5_teardown_raising")
    raise KeyError("H5 teardown failed")


@h5.teardown_request
def h5_last(exc: BaseException | None) -> None:
    record("h5_teardown_last", repr(exc))


app.register_blueprint(h5)


@app.teardown_appcontext
def h5_appcontext(exc: BaseException | None) -> None:
    if STATE.get("h5_teardown_first"):
        record("h5_teardown_appcontext", repr(exc))


def _on_signal(name: str) -> t.Callable[..., None]:
    def receiver(sender: t.Any, **extra: t.Any) -> None:
        if STATE.get("h5_armed"):
            record(f"h5_signal_{name}")

    return receiver


_RECEIVERS = {
    name: _on_signal(name)
    for name in (
        "got_request_exception",
        "request_tearing_down",
        "appcontext_tearing_down",
        "request_finished",
    )
}
for _name, _receiver in _RECEIVERS.items():
    getattr(signals, _name).connect(_receiver, app)


@app.post("/h5/arm")
def h5_arm() -> str:
    record("h5_armed")
    return "armed"


# H7 ---------------------------------------------------------------------------------------------------------


@app.post("/h7/upload")
def h7_upload() -> dict[str, int]:
    return {"files": len(request.files), "fields": len(request.form)}


@app.get("/h7/fds")
def h7_fds() -> dict[str, t.Any]:
    temp_files = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "erlen-sec-" in target:
            continue  # the server's own log file (its stdout)
        if target.startswith(("/tmp", "/var/tmp")) or "(deleted)" in target:
            temp_files.append(target)
    return {"temp_files": temp_files}


# H13 --------------------------------------------------------------------------------------------------------


def create_app() -> Erlen:
    factory_app = Erlen("sec_factory", root_path=app.root_path)
    factory_app.config["SECRET_KEY"] = "factory"
    bp = Blueprint("items", "sec_factory_items")

    @bp.get("/items/<int:item>")
    def item(item: int) -> dict[str, int]:
        return {"item": item}

    @factory_app.before_request
    def before() -> None:
        pass

    @factory_app.errorhandler(404)
    def missing(e: Exception) -> tuple[str, int]:
        return "missing", 404

    factory_app.register_blueprint(bp)
    with factory_app.test_request_context("/items/3"):
        pass
    client = factory_app.test_client()
    if client.get("/items/3").status_code != 200:
        abort(500)
    return factory_app


@app.get("/h13/factory")
def h13_factory() -> dict[str, int]:
    refs = []
    for _ in range(100):
        built = create_app()
        refs.append(weakref.ref(built))
        del built
    gc.collect()
    return {"alive": sum(ref() is not None for ref in refs)}
