"""Statements run on the driver's cursor (engine.direct) store and read what the ORM does, in the session's
transaction, on SQLite and on PostgreSQL."""
from datetime import UTC

import pytest
from sqlalchemy import bindparam, exc, insert, select

from engine.store import direct
from engine.store.models import User
from tests.conftest import at

_USERS = User.__table__
_ADD = insert(_USERS)
_ONE = select(_USERS.c.username, _USERS.c.roles, _USERS.c.created_at).where(_USERS.c.username == bindparam("name"))


def _add(session, name, roles=("审计",)):
    return direct.execute(session, _ADD, {"username": name, "display_name": name, "roles": list(roles),
                                          "created_at": at("2026-02-13 09:30")})


def test_values_written_directly_read_back_alike_through_the_orm_and_directly(empty_sessions):
    with empty_sessions() as s, s.begin():
        assert _add(s, "zhang", ["审计", "leader"]) == 1
        direct.execute(s, _ADD, [{"username": n, "display_name": n, "roles": [], "created_at": at("2026-02-14 08:00")}
                                 for n in ("li", "wang")])
    with empty_sessions() as s:
        user = s.scalars(select(User).where(User.username == "zhang")).one()
        assert user.roles == ["审计", "leader"]
        assert user.created_at == at("2026-02-13 09:30") and user.created_at.tzinfo == UTC
        assert direct.rows(s, _ONE, {"name": "zhang"}) == [("zhang", ["审计", "leader"], at("2026-02-13 09:30"))]
        assert [r[2] for r in direct.rows(s, _ONE, {"name": "wang"})] == [at("2026-02-14 08:00")]
        assert direct.rows(s, _ONE, {"name": "nobody"}) == []


def test_a_statement_that_does_not_fit_is_refused_on_first_use(empty_sessions):
    expanding = select(_USERS.c.id).where(_USERS.c.username.in_(bindparam("names", expanding=True)))
    with empty_sessions() as s, pytest.raises(exc.ArgumentError, match="not a statement for direct execution"):
        direct.rows(s, expanding, {"names": ["admin"]})


def test_a_driver_error_is_reported_as_sqlalchemy_reports_it_and_the_transaction_keeps_nothing(empty_sessions):
    with empty_sessions() as s, pytest.raises(exc.IntegrityError), s.begin():
        _add(s, "zhao")
        _add(s, "admin")  # the username is taken
    with empty_sessions() as s:
        assert s.scalars(select(User.username).order_by(User.username)).all() == ["admin"]


def test_each_transaction_of_a_session_gets_its_statements(empty_sessions):
    """The connection held for a session is its current transaction's: a commit, then a rollback."""
    with empty_sessions() as s:
        with s.begin():
            _add(s, "kept")
        with s.begin():
            _add(s, "undone")
            assert direct.rows(s, _ONE, {"name": "undone"})
            s.rollback()
        with s.begin():
            assert [r[0] for r in direct.rows(s, select(_USERS.c.username).order_by(_USERS.c.username), {})] == [
                "admin", "kept"]


def test_a_statement_s_own_values_are_sent_and_a_missing_one_is_named(empty_sessions):
    literal = select(_USERS.c.username).where(_USERS.c.username == "admin", _USERS.c.id > bindparam("above"))
    with empty_sessions() as s:
        assert direct.rows(s, literal, {"above": 0}) == [("admin",)]
        assert direct.rows(s, literal, {"above": 10**6}) == []
        with pytest.raises(exc.ArgumentError, match="no value for parameter 'name'"):
            direct.rows(s, _ONE, {})
