"""Passwords (hashed with werkzeug's scrypt) and API bearer tokens (only their SHA-256 is kept)."""
import hashlib
import secrets
from datetime import datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .directory import Actor, actor
from .errors import InvalidInput, NotFound
from .models import ApiToken, User

MIN_PASSWORD = 8
DEMO_PASSWORD = "zhunru-demo"  # noqa: S105 - documented in README; demo databases only


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 个字符")
    return generate_password_hash(password)


@cache
def demo_password_hash() -> str:
    """One hash for every demo user, so loading demo data stays fast."""
    return hash_password(DEMO_PASSWORD)


def set_password(session: Session, username: str, password: str) -> None:
    _user(session, username).password_hash = hash_password(password)


def check_password(session: Session, username: str, password: str) -> Actor | None:
    """The user if the password is theirs; None for an unknown user or a wrong password alike."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.password_hash or not check_password_hash(user.password_hash, password):
        return None
    return actor(session, username)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, username: str, now: datetime) -> str:
    """A new bearer token for the user; shown once, never stored in clear."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=_user(session, username).id, token_sha256=_digest(token), created_at=now))
    session.flush()
    return token


def actor_for_token(session: Session, token: str, now: datetime) -> Actor | None:
    row = session.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                          .where(ApiToken.token_sha256 == _digest(token))).first()
    if row is None:
        return None
    row[0].last_used_at = now
    return actor(session, row[1])
