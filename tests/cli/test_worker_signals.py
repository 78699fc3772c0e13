"""`zhunru worker` stops cleanly on SIGTERM and SIGINT: the tick in progress finishes and commits, the scheduler
shuts down, and the process exits 0 saying so."""
import os
import signal
import subprocess

import pytest
from sqlalchemy import select

from engine.store.models import Event
from tests.cli.conftest import ZHUNRU
from tests.cli.lines import Lines
from tests.conftest import ROOT, at
from tests.driver import Case

REGISTER = {"source": "national", "summary": "某部门设置隐性门槛", "category": "OTHER", "region": "临汾市"}


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_worker_finishes_the_tick_in_progress_and_exits_0(sessions, db_url, stop):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)  # transfer due 02-15: overdue below
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url, "ZHUNRU_NOW": "2026-02-16T09:00:00+08:00",
           "ZHUNRU_LOG_LEVEL": "DEBUG"}
    # One tick at start, the next an hour later: the signal comes while the first one runs.
    worker = subprocess.Popen([ZHUNRU, "worker", "--interval", "3600"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines = Lines(worker)
    try:
        lines.until("定时器 worker 已启动")
        lines.until("zhunru.worker: tick ")
        worker.send_signal(stop)
        code = worker.wait(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
        logged = lines.rest()
    assert code == 0, logged
    said = [line.split(": ", 1)[1] for line in logged if " zhunru.worker: " in line]
    assert said[-1] == "定时器 worker 已停止" and f"收到 {stop.name}，等待进行中的检查结束" in said, logged
    assert any(line.startswith(f"已触发 {case.id} transfer") for line in said), logged  # logged before stopping
    assert not any("Traceback" in line for line in logged), logged
    with sessions() as s:
        fired = s.scalars(select(Event.task_name).where(Event.instance_id == case.id,
                                                        Event.kind == "timer_fired")).all()
    assert "transfer_deadline" in fired  # the tick the signal came in committed what it did
