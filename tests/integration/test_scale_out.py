"""Scale-out on PostgreSQL: several gunicorn web processes and two timer workers on one database.

Parallel clients race to complete the same tasks while timers fall due: no lost update, no duplicate
firing, no deadlock, and every refusal is a clear message."""
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.audit import replay
from engine.people import credentials
from engine.store.models import Event, Timer
from tests.conftest import PG_URL, ROOT, at
from tests.driver import Case

BIN = Path(os.sys.executable).parent
REGISTER = {"source": "national", "summary": "并发测试线索", "category": "OTHER", "region": "临汾市"}
NOW = "2026-02-16T09:00:00+08:00"  # the transfer deadlines of the clues registered on 02-13 have passed

pytestmark = pytest.mark.skipif(not PG_URL, reason="scale-out runs several processes on PostgreSQL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                     method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait_until_up(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def test_web_processes_and_two_workers_share_one_database(sessions):
    # Clues on time (transfer due 02-17) and clues already overdue (due 02-15) when the run starts.
    on_time = [Case(sessions, "clue_0137", "city_ndrc", at("2026-02-16 08:00")) for _ in range(12)]
    overdue = [Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30")) for _ in range(12)]
    for case in on_time:
        case.complete("register", "city_ndrc", at("2026-02-16 08:10"), REGISTER)
    for case in overdue:
        case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    with sessions() as s, s.begin():
        tokens = [credentials.issue_token(s, "city_ndrc", at("2026-02-16 08:00")) for _ in range(2)]

    port = _free_port()
    env = {**os.environ, "ZHUNRU_DATABASE_URL": PG_URL, "ZHUNRU_NOW": NOW, "ZHUNRU_SECRET_KEY": "scale-out-test"}
    web = subprocess.Popen([str(BIN / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "web.app:create_app()"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers = [subprocess.Popen([str(BIN / "zhunru"), "worker", "--interval", "1"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", time.monotonic() + 60)
        targets = [c.task("transfer")["task_id"] for c in on_time + overdue]
        # Two clients race for every task, while the workers fire the overdue clues' deadlines.
        jobs = [(task_id, tokens[i % 2]) for task_id in targets for i in range(2)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda job: _call(f"{base}/tasks/{job[0]}/complete", job[1],
                                                      {"data": {"competent_unit": "yaodu_gov"}}), jobs))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sessions() as s:
                due = s.scalar(select(func.count()).select_from(Timer).where(
                    Timer.kind == "event", Timer.due_at < at("2026-02-16 09:00")))
            if not due:
                break
            time.sleep(0.5)
    finally:
        for process in [web, *workers]:
            process.terminate()
        errors = [p.communicate(timeout=30)[1].decode() for p in [web, *workers]]

    statuses = Counter(code for code, _ in answers)
    assert statuses[200] == len(targets), (statuses, answers)  # each task completed exactly once
    refusals = [body for code, body in answers if code != 200]
    assert all(code in (404, 409) for code, _ in answers if code != 200), statuses
    assert all(r["code"] in ("not_found", "task_closed", "stale_version") for r in refusals), refusals
    assert not any("Traceback" in e or "deadlock" in e.lower() for e in errors), errors
    with sessions() as s:
        fired = Counter((instance_id, task_name) for instance_id, task_name in s.execute(
            select(Event.instance_id, Event.task_name).where(Event.kind == "timer_fired")))
        completed = Counter(s.scalars(select(Event.instance_id).where(Event.kind == "task_completed",
                                                                      Event.task_name == "transfer")))
        assert all(count == 1 for count in fired.values()), fired
        assert {i for i, name in fired if name == "transfer_deadline"} == {c.id for c in overdue}
        assert all(completed[c.id] == 1 for c in on_time + overdue)
        assert replay.verify(s) == {"verified": len(on_time + overdue), "failed": []}  # nothing lost or torn
