"""Task lists, timer ticks and audit at scale, on rows generated directly in the database: a SQLite file,
or for the task list also a scratch PostgreSQL database."""
import random
import statistics
import tempfile
import time
import uuid
from datetime import timedelta

from sqlalchemy import create_engine, insert, make_url, text

from engine import definitions, queries, runtime, versions
from engine.audit import replay
from engine.people import claims, directory
from engine.store import schema
from engine.store.db import make_engine, make_sessionmaker
from engine.store.models import HumanTask, Instance, Timer
from engine.timing import holidays, timers
from handlers import demo_directory

from .engine_overhead import ROOT, START, STEPS

UNITS = [code for code, *_ in demo_directory.DEMO_ORGANISATIONS]


SCRATCH_DATABASE = "zhunru_bench"


def _scratch_postgres(server_url: str) -> str:
    """A new, empty database on the PostgreSQL server of `server_url` (dropped first if it exists)."""
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {SCRATCH_DATABASE}"))
    server.dispose()
    return make_url(server_url).set(database=SCRATCH_DATABASE).render_as_string(hide_password=False)


def database(tmp: str, postgres: str | None = None):
    """A migrated database with holidays, demo units and the project's definitions: a SQLite file in
    `tmp`, or a scratch database on the PostgreSQL server `postgres`."""
    db = make_engine(_scratch_postgres(postgres) if postgres else f"sqlite:///{tmp}/scale.db")
    schema.upgrade(db)
    sessions = make_sessionmaker(db)
    with sessions() as s, s.begin():
        holidays.seed(s, "admin", START)
        demo_directory.load_demo(s, START)
        definitions.deploy(s, definitions.project_files(ROOT), "admin", START)
        definition_id = versions.latest_definition(s, "clue_0137").id
    return db, sessions, definition_id


def _generate(db, definition_id: int, instances: int, open_tasks: int, waiting_timers: int) -> None:
    """Closed cases, cases with one open task each, and far-future timers on them, in bulk."""
    rng = random.Random(7)  # noqa: S311 - repeatable test data, not secrets
    batch = 10_000
    with db.begin() as conn:
        for first in range(0, instances, batch):
            rows, tasks, timer_rows = [], [], []
            for i in range(first, min(first + batch, instances)):
                iid = f"{i:032x}"
                is_open = i < open_tasks
                rows.append({"id": iid, "process_id": "clue_0137", "definition_id": definition_id,
                             "status": "running" if is_open else "completed", "title": f"线索 {i}", "state": "{}",
                             "row_version": 1, "started_by": "city_ndrc", "started_at": START, "updated_at": START,
                             "completed_at": None if is_open else START, "event_seq": 0, "event_hash": "0" * 64})
                if is_open:
                    due = START + timedelta(hours=rng.randint(1, 24 * 60))
                    tasks.append({"id": str(uuid.UUID(int=i)), "instance_id": iid, "process_id": "clue_0137",
                                  "task_name": "verify", "title": "落实责任单位并核查", "lane": "主管单位",
                                  "organisation": rng.choice(UNITS), "form_key": "clue_verify", "created_at": START,
                                  "due_at": due, "remind_at": due - timedelta(hours=24), "due_provisional": False})
                if i < waiting_timers:
                    timer_rows.append({"id": f"t{i}", "instance_id": iid, "kind": "event",
                                       "task_name": "verify_deadline", "attached_to": "verify",
                                       "due_at": START + timedelta(days=3650), "provisional": False, "attempts": 0})
            conn.execute(insert(Instance), rows)
            if tasks:
                conn.execute(insert(HumanTask), tasks)
            if timer_rows:
                conn.execute(insert(Timer), timer_rows)


def task_list(quick: bool, postgres: str | None = None) -> dict[str, float]:
    instances, open_tasks = (50_000, 5_000) if quick else (1_000_000, 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        db, sessions, definition_id = database(tmp, postgres)
        _generate(db, definition_id, instances, open_tasks, 0)
        if postgres:
            with db.begin() as conn:  # fresh planner statistics, as autovacuum would gather
                conn.execute(text("ANALYZE"))
        latencies = []
        with sessions() as s:
            actor = directory.actor(s, "county_gov")
            for page in range(1, 101):
                began = time.perf_counter()
                result = queries.task_page(s, actor, START, "organisation", "clue_0137", None, None,
                                           page % 10 + 1, 20)
                latencies.append((time.perf_counter() - began) * 1000)
                assert result["items"]
        db.dispose()
    latencies.sort()
    prefix = "tasklist_pg" if postgres else "tasklist"
    return {"tasklist_instances": instances, "tasklist_open": open_tasks,
            f"{prefix}_p50_ms": round(statistics.median(latencies), 2),
            f"{prefix}_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2)}


def _due_cases(sessions, count: int) -> None:
    """Real 0137 cases waiting in transfer, whose 1-working-day deadline is due at START + 3 days."""
    with sessions() as s, s.begin():
        actor = directory.actor(s, "city_ndrc")
        for _ in range(count):
            instance = runtime.start_instance(s, "clue_0137", {}, actor, START)
            task_id = next(t.id for t in s.query(HumanTask).filter_by(instance_id=instance.id))
            runtime.complete_task(s, task_id, STEPS[0][2], actor, START)


def timer_tick(quick: bool) -> dict[str, float]:
    waiting = 10_000 if quick else 100_000
    figures = {"timer_waiting": waiting}
    for due in ((100,) if quick else (100, 1000, 10_000)):
        with tempfile.TemporaryDirectory() as tmp:
            db, sessions, definition_id = database(tmp)
            _generate(db, definition_id, waiting, 0, waiting)
            _due_cases(sessions, due)
            began = time.perf_counter()
            tick = timers.fire_due(sessions, START + timedelta(days=3))
            elapsed = (time.perf_counter() - began) * 1000
            assert len(tick.fired) == due, len(tick.fired)
            figures[f"timer_tick_{due}_due_ms"] = round(elapsed, 1)
            db.dispose()
    figures["timer_tick_ms"] = figures["timer_tick_100_due_ms"]
    return figures


def history_verify(quick: bool) -> dict[str, float]:
    """`audit verify` of one case with a long record, and of many short cases."""
    events, cases = (200, 100) if quick else (1000, 10_000)
    with tempfile.TemporaryDirectory() as tmp:
        db, sessions, _ = database(tmp)
        _due_cases(sessions, cases)
        with sessions() as s, s.begin():
            long_case = s.query(HumanTask).filter_by(task_name="transfer").first()
            clerk = directory.actor(s, "city_ndrc_clerk")
            for _ in range(events // 2):  # claim and release: two events each
                claims.claim(s, long_case.id, clerk, START)
                claims.release(s, long_case.id, clerk, START)
        with sessions() as s:
            began = time.perf_counter()
            one = replay.verify(s, [long_case.instance_id])
            single = (time.perf_counter() - began) * 1000
            began = time.perf_counter()
            every = replay.verify(s)
            total = time.perf_counter() - began
        assert one["failed"] == [] and every["failed"] == [] and every["verified"] == cases
        db.dispose()
    return {"verify_one_case_events": events, "verify_one_case_ms": round(single, 1),
            "verify_cases": cases, "verify_cases_s": round(total, 2),
            "verify_cases_per_s": round(cases / total, 1)}
