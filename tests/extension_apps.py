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


def make_restful_app() -> Flask:
    from flask import abort
    from flask_restful import Api, Resource, reqparse
    from flask_restful import abort as restful_abort

    app = Flask(__name__)
    api = Api(app)

    class Thing(Resource):
        def get(self, thing_id: int) -> t.Any:
            if thing_id == 0:
                restful_abort(404, message="thing 0 is missing")
            if thing_id == 1:
                raise ValueError("boom")
            if thing_id == 2:
                abort(403)
            return {"id": thing_id}

        def put(self, thing_id: int) -> t.Any:
            parser = reqparse.RequestParser()
            parser.add_argument("count", type=int, required=True, location="json")
            return {"id": thing_id, "count": parser.parse_args()["count"]}, 201

    api.add_resource(Thing, "/things/<int:thing_id>")

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    return app


def make_server_session_app() -> tuple[Flask, t.Any]:
    from cachelib import SimpleCache
    from flask import session
    from flask_session import Session

    store = SimpleCache()
    app = Flask(__name__)
    app.config.update(SESSION_TYPE="cachelib", SESSION_CACHELIB=store)
    Session(app)

    @app.route("/count")
    def count() -> str:
        session["count"] = session.get("count", 0) + 1
        return str(session["count"])

    return app, store


def make_migrate_app(database: str) -> Flask:
    from flask_migrate import Migrate
    from flask_sqlalchemy import SQLAlchemy

    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    db = SQLAlchemy(app)
    Migrate(app, db)

    class Book(db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(80))

    return app


def make_jwt_limiter_app() -> Flask:
    from flask_jwt_extended import JWTManager, create_access_token, get_jwt_identity, jwt_required
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    app = Flask(__name__)
    app.config.update(
        JWT_SECRET_KEY="j" * 32, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_HEADERS_ENABLED=True
    )
    JWTManager(app)
    limiter = Limiter(get_remote_address, app=app)

    @app.route("/token/<name>")
    def token(name: str) -> t.Any:
        return {"token": create_access_token(identity=name)}

    @app.route("/whoami")
    @jwt_required()
    def whoami() -> t.Any:
        return {"who": get_jwt_identity()}

    @app.route("/limited")
    @limiter.limit("2/minute")
    def limited() -> str:
        return "ok"

    return app


def make_admin_app() -> tuple[Flask, t.Any, t.Any]:
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView
    from flask_babel import Babel
    from flask_sqlalchemy import SQLAlchemy

    app = Flask(__name__)
    app.config.update(SECRET_KEY="admin key", SQLALCHEMY_DATABASE_URI="sqlite://")
    Babel(app)
    db = SQLAlchemy(app)

    class Book(db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(50), nullable=False)

    with app.app_context():
        db.create_all()
        db.session.add(Book(title="Dune"))
        db.session.commit()
    admin = Admin(app, name="Library")
    admin.add_view(ModelView(Book, db.session))
    return app, db, Book


def make_web_security_app() -> Flask:
    import datetime

    from flask_babel import Babel, format_datetime, gettext
    from flask_compress import Compress
    from flask_httpauth import HTTPBasicAuth
    from flask_talisman import Talisman

    app = Flask(__name__)
    app.config.update(COMPRESS_MIN_SIZE=100)
    Babel(app, locale_selector=lambda: request.args.get("lang", "en"))
    Compress(app)
    Talisman(app, force_https=False, content_security_policy={"default-src": "'self'"})
    auth = HTTPBasicAuth()

    @auth.verify_password
    def verify(username: str, password: str) -> str | None:
        return username if (username, password) == ("ann", "secret") else None

    @app.route("/private")
    @auth.login_required
    def private() -> str:
        return f"hello {auth.current_user()}"

    @app.route("/big")
    def big() -> str:
        return "erlen " * 1000

    @app.route("/when")
    def when() -> str:
        # No catalogue is shipped, so gettext gives the text back; the locale still picks the date format.
        return f"{gettext('Date')}: {format_datetime(datetime.datetime(2020, 1, 2, 3, 4, 5), 'medium')}"

    return app
