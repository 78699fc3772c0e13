"""A flood of failed sign-ins from many connections at once (as several web processes see it): every failure is
counted, the account locks once with one recorded event, and the right password is refused while locked."""
from concurrent.futures import ThreadPoolExecutor

from engine import settings
from engine.audit import access_log
from engine.people import signin
from tests.conftest import at


def test_a_concurrent_flood_locks_once_and_counts_every_failure(sessions):
    with sessions() as s, s.begin():
        settings.change(s, "login_lockout_count", "5", "admin", at("2026-03-01 08:00"))
        settings.change(s, "login_address_lockout_count", "1000", "admin", at("2026-03-01 08:00"))
    now = at("2026-03-02 09:00")

    def fail(i: int) -> signin.Outcome:
        with sessions() as s, s.begin():
            return signin.attempt(s, "city_ndrc", f"wrong-{i}", "10.0.0.1", now)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(fail, range(24)))
    # Five failures counted before the lock, the other nineteen refused unchecked.
    assert sum(1 for o in outcomes if not o.locked_minutes) == 5
    assert all(o.actor is None for o in outcomes)
    with sessions() as s, s.begin():
        assert [e["action"] for e in access_log.entries(s)].count("login_locked") == 1
        assert signin.attempt(s, "city_ndrc", "zhunru-demo", "10.0.0.2", now).locked_minutes == 15
