"""Apps built the way each extension's documentation shows, for ``test_extensions.py``.

Import this only after ``erlen.compat.install_as_flask()``: the extensions import ``flask``, and the test
environment has no Flask installed, so every ``flask`` name they use is Erlen's.
"""

from __future__ import annotations

import typing as t

from flask import Flask, jsonify, render_template_string, request


def make_login_app() -> Flask:
    from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

    app = Flask(__name__)
    app.config.update(SECRET_KEY="login key")
    manager = LoginManager(app)
    manager.login_view = "login_page"

    class User(UserMixin):
        def __init__(self, user_id: str) -> None:
            self.id = user_id

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        return User(user_id) if user_id.isdigit() else None

    @app.route("/login/<user_id>")
    def login(user_id: str) -> str:
        login_user(User(user_id), remember=request.args.get("remember") == "1")
        return "logged in"

    @app.route("/login")
    def login_page() -> str:
        return "please log in"

    @app.route("/me")
    @login_required
    def me() -> str:
        return render_template_string("{{ current_user.id }} {{ current_user.is_authenticated }}")

    @app.route("/who")
    def who() -> str:
        return "anonymous" if current_user.is_anonymous else f"user {current_user.id}"

    @app.route("/async-me")
    @login_required
    async def async_me() -> str:
        return f"async user {current_user.id}"

    @app.route("/logout")
    def logout() -> str:
        logout_user()
        return "logged out"

    return app


def make_wtf_app() -> Flask:
    from flask_wtf import CSRFProtect, FlaskForm
    from wtforms import IntegerField, StringField
    from wtforms.validators import DataRequired, NumberRange

    app = Flask(__name__)
    app.config.update(SECRET_KEY="wtf key")
    csrf = CSRFProtect(app)

    class NoteForm(FlaskForm):
        title = StringField(validators=[DataRequired()])
        stars = IntegerField(validators=[NumberRange(min=1, max=5)])

    @app.route("/note", methods=["GET", "POST"])
    def note() -> t.Any:
        form = NoteForm()
        if form.validate_on_submit():
            return {"title": form.title.data, "stars": form.stars.data}
        return render_template_string(
            "{{ form.csrf_token }}{{ form.title }}<errors>{{ form.errors }}</errors>", form=form
        )

    @app.route("/token")
    def token() -> str:
        return render_template_string("{{ csrf_token() }}")

    @app.route("/hook", methods=["POST"])
    @csrf.exempt
    def hook() -> str:
        return "exempt"

    return app


def make_sqlalchemy_app() -> tuple[Flask, t.Any, t.Any]:
    from flask_sqlalchemy import SQLAlchemy

    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://")
    db = SQLAlchemy(app)

    class Note(db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String, nullable=False)

    with app.app_context():
        db.create_all()

    @app.route("/notes", methods=["GET", "POST"])
    def notes() -> t.Any:
        if request.method == "POST":
            db.session.add(Note(text=request.get_json()["text"]))
            db.session.commit()
        return jsonify(
            [note.text for note in db.session.execute(db.select(Note).order_by(Note.id)).scalars()]
        )

    @app.route("/notes/<int:note_id>")
    def one(note_id: int) -> str:
        return str(db.get_or_404(Note, note_id).text)

    @app.route("/page")
    def page() -> t.Any:
        result = db.paginate(db.select(Note).order_by(Note.id), per_page=2)
        return {"page": result.page, "pages": result.pages, "items": [note.text for note in result.items]}

    @app.route("/session-id")
    def session_id() -> str:
        return str(id(db.session()))

    return app, db, Note


def make_cors_app() -> Flask:
    from flask_cors import CORS, cross_origin

    app = Flask(__name__)
    CORS(app, resources={r"/api/*": {"origins": ["https://good.example"]}}, supports_credentials=True)

    @app.route("/api/items", methods=["GET", "POST"])
    def items() -> t.Any:
        return {"items": [1, 2]}

    @app.route("/open")
    @cross_origin()
    def open_route() -> str:
        return "anyone"

    @app.route("/private")
    def private() -> str:
        return "no cors"

    return app


def make_caching_app() -> tuple[Flask, t.Any, dict[str, int]]:
    from flask_caching import Cache

    app = Flask(__name__)
    app.config.update(CACHE_TYPE="SimpleCache", CACHE_DEFAULT_TIMEOUT=60)
    cache = Cache(app)
    calls = {"page": 0, "square": 0}

    @app.route("/page")
    @cache.cached()
    def page() -> str:
        calls["page"] += 1
        return f"render {calls['page']}"

    @app.route("/search")
    @cache.cached(query_string=True)
    def search() -> str:
        calls["page"] += 1
        return f"{request.args.get('q')} {calls['page']}"

    @cache.memoize()
    def square(x: int) -> int:
        calls["square"] += 1
        return x * x

    @app.route("/square/<int:x>")
    def square_view(x: int) -> str:
        return str(square(x))

    return app, cache, calls
