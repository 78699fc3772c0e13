"""Claims, releases, reassignments and completions racing on one task: exactly one wins, the other gets a
clear refusal, and the history records only what happened.

Two threads, each with its own session, meet at a barrier just before each locks the case (on PostgreSQL its
SELECT ... FOR UPDATE; on SQLite the BEGIN IMMEDIATE that takes the write lock), so both have read whatever
a command reads before its lock while neither has written. Then the one named first takes its lock, and the
other asks for its own only once the first holds it: which one wins is fixed, so each order is a test of its
own, with no waiting on the clock."""
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import event, select

from engine import runtime
from engine.errors import Conflict, NotEntitled, NotFound, ZhunruError
from engine.people import claims, directory
from engine.store import direct
from engine.store.models import Event, HumanTask
from tests.conftest import PG_URL, at
from tests.driver import Case
from tests.integration.test_clue_0137 import REGISTER

pytestmark = pytest.mark.postgres if PG_URL else []
NOW = at("2026-02-13 10:00")
HOLDERS = ("city_ndrc", "city_ndrc_clerk")  # the leader and the handler of the organisation that transfers
FIRST = pytest.mark.parametrize("first", [0, 1], ids=["first-locks-first", "second-locks-first"])


def _is_lock(statement: str) -> bool:
    return "FOR UPDATE" in statement or statement.startswith("BEGIN IMMEDIATE")


def _race(sessions, db_engine, monkeypatch, first: int, *commands: Callable) -> list[object]:
    """Run each command(session) in its own thread and transaction, `first` taking the case's lock first;
    the results or the refusals, in order."""
    read = threading.Barrier(2, timeout=30)
    first_holds = threading.Event()
    mine = threading.local()

    def before(conn, cursor, statement, parameters, context, executemany):
        if _is_lock(statement) and getattr(mine, "index", None) is not None and not getattr(mine, "locking", False):
            mine.locking = True
            read.wait()
            if mine.index != first and not first_holds.wait(30):
                raise AssertionError("the first command never took its lock")

    def after(conn, cursor, statement, parameters, context, executemany):
        if getattr(mine, "locking", False) and getattr(mine, "index", None) == first:
            first_holds.set()

    run_direct = direct._run

    def direct_run(session, statement, rows, fetch):  # the command path's statements skip the engine's events
        sql = str(statement.compile(dialect=db_engine.dialect))
        before(None, None, sql, None, None, False)
        try:
            return run_direct(session, statement, rows, fetch)
        finally:
            after(None, None, sql, None, None, False)

    monkeypatch.setattr(direct, "_run", direct_run)
    outcomes: list[object] = [None] * len(commands)

    def run(i: int, command: Callable) -> None:
        mine.index = i
        try:
            with sessions() as s, s.begin():
                outcomes[i] = command(s)
        except ZhunruError as exc:
            outcomes[i] = exc
        except BaseException as exc:  # an unclear failure (a 500) is recorded as such, to fail the test
            outcomes[i] = ("unclear", exc)
            read.abort()
            first_holds.set()

    event.listen(db_engine, "before_cursor_execute", before)
    event.listen(db_engine, "after_cursor_execute", after)
    try:
        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(commands)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        event.remove(db_engine, "before_cursor_execute", before)
        event.remove(db_engine, "after_cursor_execute", after)
    assert not any(isinstance(o, tuple) for o in outcomes), outcomes
    return outcomes


def _transfer(sessions) -> tuple[Case, str]:
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    return case, case.task("transfer")["task_id"]


def _claim(task_id: str, user: str) -> Callable:
    return lambda s: claims.claim(s, task_id, directory.actor(s, user), NOW).assignee


def _kinds(sessions, case: Case) -> Counter:
    with sessions() as s:
        return Counter(s.scalars(select(Event.kind).where(Event.instance_id == case.id)))


def _assignee(sessions, task_id: str) -> str | None:
    with sessions() as s:
        task = s.get(HumanTask, task_id)
        return task.assignee if task else "gone"


def _refusals(outcomes: list[object]) -> list[ZhunruError]:
    return [o for o in outcomes if isinstance(o, ZhunruError)]


def _complete(task_id: str, user: str) -> Callable:
    return lambda s: runtime.complete_task(s, task_id, {"competent_unit": "yaodu_gov"},
                                           directory.actor(s, user), NOW).status


@FIRST
def test_two_users_claiming_one_task_at_once_one_wins(sessions, db_engine, monkeypatch, first):
    case, task_id = _transfer(sessions)
    outcomes = _race(sessions, db_engine, monkeypatch, first, *(_claim(task_id, user) for user in HOLDERS))
    assert outcomes[first] == HOLDERS[first]
    refused = outcomes[1 - first]
    assert isinstance(refused, Conflict) and refused.code == "already_claimed"
    assert HOLDERS[first] not in str(refused).split()  # a refusal never names who holds the task
    assert _assignee(sessions, task_id) == HOLDERS[first]
    assert _kinds(sessions, case)["task_claimed"] == 1


@FIRST
def test_completing_while_a_colleague_claims_one_wins(sessions, db_engine, monkeypatch, first):
    case, task_id = _transfer(sessions)
    outcomes = _race(sessions, db_engine, monkeypatch, first, _claim(task_id, "city_ndrc_clerk"),
                     _complete(task_id, "city_ndrc"))
    kinds = _kinds(sessions, case)
    if first == 0:  # claimed first: the task is the clerk's now
        assert outcomes[0] == "city_ndrc_clerk" and isinstance(outcomes[1], NotEntitled)
        assert kinds["task_completed"] == 1 and _assignee(sessions, task_id) == "city_ndrc_clerk"  # only `register`
    else:  # completed first: nothing left to claim
        assert outcomes[1] == "running" and isinstance(outcomes[0], NotFound)
        assert kinds["task_claimed"] == 0 and kinds["task_completed"] == 2


@FIRST
def test_reassigning_while_the_holder_completes_one_wins(sessions, db_engine, monkeypatch, first):
    case, task_id = _transfer(sessions)
    with sessions() as s, s.begin():
        claims.claim(s, task_id, directory.actor(s, "city_ndrc_clerk"), NOW)
    outcomes = _race(sessions, db_engine, monkeypatch, first,
                     lambda s: claims.reassign(s, task_id, "city_ndrc", directory.actor(s, "city_ndrc"), NOW).assignee,
                     _complete(task_id, "city_ndrc_clerk"))
    kinds = _kinds(sessions, case)
    if first == 0:  # reassigned first: the former holder may no longer complete it
        assert outcomes[0] == "city_ndrc" and isinstance(outcomes[1], NotEntitled)
        assert kinds["task_completed"] == 1 and _assignee(sessions, task_id) == "city_ndrc"
    else:  # completed first: nothing left to reassign
        assert outcomes[1] == "running" and isinstance(outcomes[0], NotFound)
        assert kinds["task_reassigned"] == 0 and kinds["task_completed"] == 2


@FIRST
def test_releasing_while_the_holder_completes(sessions, db_engine, monkeypatch, first):
    case, task_id = _transfer(sessions)
    with sessions() as s, s.begin():
        claims.claim(s, task_id, directory.actor(s, "city_ndrc_clerk"), NOW)
    outcomes = _race(sessions, db_engine, monkeypatch, first,
                     lambda s: claims.release(s, task_id, directory.actor(s, "city_ndrc"), NOW).assignee,
                     _complete(task_id, "city_ndrc_clerk"))
    with sessions() as s:
        kinds = [e.kind for e in s.scalars(select(Event).where(Event.instance_id == case.id).order_by(Event.seq))
                 if e.kind in ("task_released", "task_completed")]
    if first == 0:  # released first: back in the organisation's pool, where its member may still complete it
        assert outcomes == [None, "running"] and kinds == ["task_completed", "task_released", "task_completed"]
    else:  # completed first: nothing left to release
        assert outcomes[1] == "running" and isinstance(outcomes[0], NotFound)
        assert kinds == ["task_completed", "task_completed"]


def test_a_claimed_task_is_refused_to_a_colleague_without_naming_the_holder(sessions):
    case, task_id = _transfer(sessions)
    with sessions() as s, s.begin():
        claims.claim(s, task_id, directory.actor(s, "city_ndrc_clerk"), NOW)
    with sessions() as s, s.begin(), pytest.raises(Conflict) as refused:
        claims.claim(s, task_id, directory.actor(s, "city_ndrc"), NOW)
    assert refused.value.code == "already_claimed" and "city_ndrc_clerk" not in str(refused.value)
