"""Passwords (hashed with werkzeug's scrypt), sessions that end together, and API bearer tokens (only their
SHA-256 is kept; they expire after a setting's days and show when they were last used)."""
import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine import settings
from engine.errors import InvalidInput
from engine.people.directory import Actor, end_sessions, user_row
from engine.store.models import ApiToken, Organisation, User
from engine.timing.clock import local_iso, system_now

MIN_PASSWORD = 8
DEMO_PASSWORD = "zhunru-demo"  # noqa: S105 - documented in README; demo databases only


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 个字符")
    return generate_password_hash(password)


@cache
def demo_password_hash() -> str:
    """One hash for every demo user, so loading demo data stays fast."""
    return hash_password(DEMO_PASSWORD)


@cache
def _dummy_hash() -> str:
    """Checked when there is no password to check (no such user, or none set): the answer takes as long."""
    return generate_password_hash(secrets.token_urlsafe(16))


def set_password(session: Session, username: str, password: str, now: datetime | None = None) -> None:
    """A new password ends every session and token the user had."""
    password_hash = hash_password(password)
    end_sessions(session, username, now or system_now()).password_hash = password_hash


def _user_with_org(session: Session, username: str) -> tuple[User, str | None] | None:
    row = session.execute(
        select(User, Organisation.code).outerjoin(Organisation, User.organisation_id == Organisation.id)
        .where(User.username == username)).first()
    return None if row is None else (row[0], row[1])


def verify(session: Session, username: str, password: str) -> tuple[Actor, int] | None:
    """The user and their session epoch if the password is theirs and they are not disabled; None for an
    unknown user, a wrong password or a disabled user alike, after one hash check in every case."""
    found = _user_with_org(session, username)
    user = found[0] if found else None
    matches = check_password_hash(user.password_hash if user and user.password_hash else _dummy_hash(), password)
    if found is None or user is None or not matches or not user.password_hash or user.disabled_at is not None:
        return None
    return Actor(user.username, found[1], tuple(user.roles)), user.session_epoch


def check_password(session: Session, username: str, password: str) -> Actor | None:
    verified = verify(session, username, password)
    return verified[0] if verified else None


def session_actor(session: Session, username: str, epoch: Any) -> Actor | None:
    """The signed-in user of a session begun at `epoch`; None once their sessions were ended or they were
    disabled (checked on every request, so it takes effect at once in every process)."""
    found = _user_with_org(session, username)
    if found is None or found[0].disabled_at is not None or found[0].session_epoch != epoch:
        return None
    return Actor(found[0].username, found[1], tuple(found[0].roles))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(session: Session) -> timedelta:
    return timedelta(days=int(settings.values(session)["token_lifetime_days"]))


def issue_token(session: Session, username: str, now: datetime) -> str:
    """A new bearer token for the user, valid for the setting's days; shown once, never stored in clear."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user_row(session, username).id, token_sha256=_digest(token), created_at=now,
                         expires_at=now + _lifetime(session)))
    session.flush()
    return token


def _expires(row: ApiToken, lifetime: timedelta) -> datetime:
    return row.expires_at or row.created_at + lifetime


def actor_for_token(session: Session, token: str, now: datetime) -> Actor | None:
    row = session.execute(select(ApiToken, User, Organisation.code).join(User, User.id == ApiToken.user_id)
                          .outerjoin(Organisation, User.organisation_id == Organisation.id)
                          .where(ApiToken.token_sha256 == _digest(token))).first()
    if row is None:
        return None
    api_token, user, org_code = row
    if (api_token.revoked_at is not None or user.disabled_at is not None
            or now >= _expires(api_token, _lifetime(session))):
        return None
    api_token.last_used_at = now
    return Actor(user.username, org_code, tuple(user.roles))


def revoke_tokens(session: Session, username: str, now: datetime) -> None:
    """Revoke every token of the user; as with sign-out, every session of theirs ends too."""
    end_sessions(session, username, now)


def tokens(session: Session, username: str, now: datetime) -> list[dict[str, Any]]:
    """The user's tokens, newest first: when issued, until when, when last used and whether still valid."""
    lifetime = _lifetime(session)
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user_row(session, username).id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    shown = []
    for r in rows:
        expires = _expires(r, lifetime)
        state = "已吊销" if r.revoked_at else "已过期" if now >= expires else "有效"
        shown.append({"id": r.id, "created_at": local_iso(r.created_at), "expires_at": local_iso(expires),
                      "last_used_at": local_iso(r.last_used_at) if r.last_used_at else None,
                      "revoked_at": local_iso(r.revoked_at) if r.revoked_at else None, "state": state})
    return shown
