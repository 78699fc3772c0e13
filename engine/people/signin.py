"""Sign-in as 等保 2.0 asks: failed attempts counted per typed account name and per address in the database
(so every web process counts alike), a lock after a setting's count for a setting's minutes, recorded in the
access log, and one answer whether or not the account exists."""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import settings
from engine.audit import access_log
from engine.people import credentials
from engine.people.directory import Actor
from engine.store.db import conflict_insert
from engine.store.models import LoginThrottle
from engine.timing.clock import local_iso

NAME_LIMIT = 64  # no user name is longer; a longer typed name is counted by its first 64 characters


@dataclass(frozen=True)
class Outcome:
    actor: Actor | None = None
    epoch: int = 0  # the session epoch the new session carries
    locked_minutes: int = 0  # > 0: refused without checking the password, locked for about this long


def _insert_missing(session: Session, keys: list[str], now: datetime) -> None:
    rows = [{"key": k, "failures": 0, "window_start": now} for k in keys]
    session.execute(conflict_insert(session, LoginThrottle).values(rows).on_conflict_do_nothing(index_elements=["key"]))


def _rows(session: Session, keys: list[str], now: datetime) -> dict[str, LoginThrottle]:
    """The counters for these keys, locked for this transaction (SQLite: the insert took the write lock)."""
    _insert_missing(session, keys, now)
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)).order_by(LoginThrottle.key)
                           .with_for_update().execution_options(populate_existing=True))
    return {row.key: row for row in rows}


def attempt(session: Session, username: str, password: str, address: str | None, now: datetime) -> Outcome:
    """Check a sign-in; count a failure against the account name and the address, locking either at its limit."""
    known = settings.values(session)
    window = timedelta(minutes=int(known["login_lockout_minutes"]))
    name, address = username[:NAME_LIMIT], (address or "unknown")[:NAME_LIMIT]
    limits = {f"account:{name}": int(known["login_lockout_count"]),
              f"address:{address}": int(known["login_address_lockout_count"])}
    rows = _rows(session, list(limits), now)
    until = max((r.locked_until for r in rows.values() if r.locked_until and r.locked_until > now), default=None)
    if until is not None:
        return Outcome(locked_minutes=max(1, math.ceil((until - now).total_seconds() / 60)))
    verified = credentials.verify(session, username, password)
    if verified is not None:
        session.delete(rows[f"account:{name}"])
        return Outcome(actor=verified[0], epoch=verified[1])
    session.execute(delete(LoginThrottle).where(LoginThrottle.window_start < now - window,
                                                LoginThrottle.key.not_in(list(limits))))
    for key, limit in limits.items():
        row = rows[key]
        if row.window_start <= now - window:
            row.failures, row.window_start, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limit:
            kind, _, target = key.partition(":")
            access_log.record(session, username=name, action="login_locked", target=target, now=now, detail={
                "scope": "账户" if kind == "account" else "来源地址", "failures": row.failures,
                "address": address, "until": local_iso(now + window)})
            row.failures, row.window_start, row.locked_until = 0, now, now + window
    return Outcome()
