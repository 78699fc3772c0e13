"""Flask app factory; nothing runs at import time."""
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import lateness, settings
from engine.store.db import make_engine, make_sessionmaker
from engine.timing.clock import deadline_text

from . import (
    api,
    audit_pages,
    auth,
    case_messages,
    clue_records,
    decision_pages,
    errors,
    health,
    leaders,
    logs,
    my_work,
    naming,
    owners,
    pages,
    records,
    safety,
    vendor,
)
from .i18n import EVENT_KINDS, language, text


def _secret_key(instance_path: str) -> str:
    """A per-installation key kept beside the SQLite file, unless ZHUNRU_SECRET_KEY names one."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


# Scripts, styles and fonts only from this site (bpmn-js, dmn-js, form-js are served from node_modules under
# /vendor); the pages' <script type="application/json"> blocks are data, not scripts. The modellers and form-js
# set style attributes and add <style> elements at run time, and draw icons from data: URIs.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY",
                    "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"}


def _stored_settings(sessions) -> dict[str, str]:
    """The settings a server takes at start; the defaults before `zhunru init` has made the tables."""
    try:
        with sessions() as db:
            return settings.values(db)
    except DBAPIError:
        return {key: known.default for key, known in settings.known().items()}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    logs.configure(if_unset=True)  # gunicorn started without web/gunicorn_conf.py: the app's records still show
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    logs.init_app(app)  # first, so that what the other before_request functions log carries the request id
    app.config.update(PERMANENT_SESSION_LIFETIME=timedelta(hours=8), SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", MAX_CONTENT_LENGTH=64 * 1024 * 1024,
                      WTF_CSRF_TIME_LIMIT=None)
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("ZHUNRU_SECRET_KEY") or _secret_key(app.instance_path)
    if "SESSIONS" not in app.config:
        app.config["SESSIONS"] = make_sessionmaker(make_engine(app.config.get("DATABASE_URL")))
    stored = _stored_settings(app.config["SESSIONS"])
    if "SESSION_COOKIE_SECURE" not in (config or {}):
        app.config["SESSION_COOKIE_SECURE"] = settings.is_yes(stored["session_cookie_secure"])
    proxies = int(stored["trusted_proxies"])
    if proxies:  # behind that many proxies: the client's address and scheme are the ones they forward
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    app.url_map.converters["int"] = safety.BoundedInt  # before any route is added
    csrf = CSRFProtect(app)
    errors.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(vendor.bp)
    app.register_blueprint(owners.bp)
    app.register_blueprint(decision_pages.bp)
    app.register_blueprint(audit_pages.bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(clue_records.bp)  # /ledgers/clue: a static path wins over /ledgers/<ledger>
    app.register_blueprint(case_messages.bp)
    app.register_blueprint(my_work.bp)
    app.register_blueprint(leaders.bp)
    api.register(app, csrf)
    app.jinja_env.globals.update(_=text, language=language, current_actor=auth.current_actor,
                                 EVENT_KINDS=EVENT_KINDS, unit_name=naming.unit_name,
                                 person_name=naming.person_name, holder_name=naming.holder_name,
                                 unread_notifications=my_work.unread_notifications,
                                 sees_lateness=lateness.may_view)
    app.jinja_env.filters["due"] = deadline_text

    @app.context_processor
    def event_texts():
        return {"EVENT_KINDS_TEXT": {kind: text(kind) for kind in EVENT_KINDS}}

    @app.before_request
    def refuse_unreadable():
        # NUL (PostgreSQL cannot hold it), CR/LF and unreadable JSON bodies, up front (web/safety.py).
        safety.check_request(request)

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
