"""Sign-in with username and password, the signed-in actor, and the language switch."""
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from engine.people import credentials, directory, signin
from engine.people.directory import Actor
from engine.timing.clock import system_now

from .db import transaction
from .i18n import LANGUAGES, text
from .safety import local_path

bp = Blueprint("auth", __name__)


def current_actor() -> Actor | None:
    """The signed-in user, looked up once per request (roles may change while signed in)."""
    if "actor" not in g:
        username = session.get("username")
        g.actor = None
        if username:
            with transaction() as db:  # ended sessions (sign-out elsewhere, new password, disabled) end here
                g.actor = credentials.session_actor(db, username, session.get("epoch"))
            if g.actor is None:
                _forget_user()
    return g.actor


def _forget_user() -> None:
    """A fresh session keeping only the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapper


def safe_next(target: str | None) -> str:
    # Only paths on this site, never another host (web/safety.py); CR/LF is refused.
    return local_path(target) or url_for("pages.task_list")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        with transaction() as db:
            outcome = signin.attempt(db, username, request.form.get("password", ""), request.remote_addr,
                                     system_now())
        actor = outcome.actor
        if outcome.locked_minutes:
            current_app.logger.warning("sign-in refused, locked: %r from %s", username[:64], request.remote_addr)
            return render_template("login.html", error=text("login_locked", minutes=outcome.locked_minutes)), 429
        if actor is not None and actor.is_platform:
            error = text("platform_login")
            return render_template("login.html", error=error), 403
        if actor is not None:
            _forget_user()  # a fresh session at sign-in
            session.update(username=actor.username, epoch=outcome.epoch)
            session.permanent = True
            return redirect(safe_next(request.args.get("next")))
        error = text("bad_login")
        current_app.logger.info("failed sign-in for %r", username[:64])
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    actor = current_actor()
    if actor is not None:  # signing out ends every session and token of the user, not only this one
        with transaction() as db:
            directory.end_sessions(db, actor.username, system_now())
    _forget_user()
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
def switch_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")))
