"""Firing by workers: exactly once across processes, retried with backoff, and after a restart."""
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import definitions, runtime
from engine.people import directory
from engine.store.models import Escalation, Event, Instance, Timer
from engine.timing import timers
from tests.conftest import PG_URL, ROOT, at
from tests.driver import Case

ZHUNRU = str(Path(os.sys.executable).parent / "zhunru")
REGISTER = {"source": "national", "summary": "某部门设置隐性门槛", "category": "OTHER", "region": "临汾市"}

FRAGILE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="fragile" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="work" name="办理">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="first_deadline" cancelActivity="false" attachedToRef="work">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>working_deadline(1)</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:serviceTask id="notify" name="通知"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="notify_unit" resultVariable="notified"><spiffworkflow:parameters>
        <spiffworkflow:parameter id="organisation" type="str" value="target" />
        <spiffworkflow:parameter id="title" type="str" value="&quot;逾期&quot;" />
      </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end_first"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="second_deadline" cancelActivity="false" attachedToRef="work">
      <bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>working_deadline(2)</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="end_second"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:sequenceFlow id="f3" sourceRef="first_deadline" targetRef="notify" />
    <bpmn:sequenceFlow id="f4" sourceRef="notify" targetRef="end_first" />
    <bpmn:sequenceFlow id="f5" sourceRef="second_deadline" targetRef="end_second" />
  </bpmn:process>
</bpmn:definitions>"""


def registered_clues(sessions, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
        case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
        ids.append(case.id)
    return ids


def count_events(sessions, kind: str) -> dict[str, int]:
    with sessions() as s:
        return dict(s.execute(select(Event.instance_id, func.count()).where(Event.kind == kind)
                              .group_by(Event.instance_id)).all())


def zhunru(db_url: str, *args: str, now: str) -> subprocess.Popen:
    env = {**os.environ, "ZHUNRU_DATABASE_URL": db_url, "ZHUNRU_NOW": now}
    return subprocess.Popen([ZHUNRU, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_two_worker_processes_fire_each_timer_exactly_once(sessions, db_url):
    ids = registered_clues(sessions, 40)
    workers = [zhunru(db_url, "worker", "--once", now="2026-02-16T09:00:00+08:00") for _ in range(2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    fired_lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith("已触发")]
    assert len(fired_lines) == 40
    assert count_events(sessions, "timer_fired") == {i: 1 for i in ids}
    assert count_events(sessions, "escalated") == {i: 1 for i in ids}
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Escalation)) == 40


@pytest.mark.skipif(not PG_URL, reason="SKIP LOCKED is a PostgreSQL feature; SQLite serialises writers")
def test_an_instance_held_by_another_worker_is_skipped_not_waited_for(sessions):
    held, free = registered_clues(sessions, 2)
    with sessions() as other, other.begin():
        other.get(Instance, held, with_for_update=True)
        tick = timers.fire_due(sessions, at("2026-02-16 09:00"))
        assert tick.skipped == [held]
        assert tick.fired == [{"instance_id": free, "task_name": "transfer_deadline"}]
    tick = timers.fire_due(sessions, at("2026-02-16 09:00"))
    assert tick.fired == [{"instance_id": held, "task_name": "transfer_deadline"}]


def test_a_timer_whose_instance_fails_is_retried_with_backoff_and_shown_as_incident(sessions):
    with sessions() as s, s.begin():
        definitions.deploy(s, [("fragile.bpmn", FRAGILE.encode())], "admin", at("2026-03-01 08:00"))
    case = Case(sessions, "fragile", "admin", at("2026-03-02 09:00"), {"target": "nowhere"})
    # The first deadline's handler names a unit that does not exist: the instance stops in error.
    tick = timers.fire_due(sessions, at("2026-03-04 01:00"))
    assert tick.fired == [{"instance_id": case.id, "task_name": "first_deadline"}]
    assert case.view()["status"] == "error"
    # The second deadline falls due while the instance is in error: not lost, held back and retried.
    tick = timers.fire_due(sessions, at("2026-03-05 01:00"))
    assert tick.fired == [] and tick.failed[0]["instance_id"] == case.id
    assert "出错状态" in tick.failed[0]["error"]
    with sessions() as s:
        found = timers.incidents(s)
    timer_incident = next(i for i in found if i["task_name"] == "second_deadline")
    assert timer_incident["kind"] == "timer" and timer_incident["attempts"] == 1
    assert timer_incident["next_attempt_at"] == at("2026-03-05 01:01").isoformat()
    assert {i["kind"] for i in found} == {"timer", "instance"}
    assert timers.fire_due(sessions, at("2026-03-05 01:00:30")).failed == []  # backing off
    second = timers.fire_due(sessions, at("2026-03-05 01:01:30"))
    assert second.failed and second.fired == []
    with sessions() as s:
        timer_incident = next(i for i in timers.incidents(s) if i["task_name"] == "second_deadline")
    assert timer_incident["attempts"] == 2
    assert timer_incident["next_attempt_at"] == at("2026-03-05 01:06:30").isoformat()

    with sessions() as s, s.begin():
        directory.add_organisation(s, code="nowhere", name="新设单位", kind="department", parent=None,
                                   now=at("2026-03-05 01:30"))
    with sessions() as s, s.begin():
        runtime.retry(s, case.id, directory.actor(s, "admin"), at("2026-03-05 02:00"))
    # What fell due while the instance was stopped happens first, recorded as fired by the system.
    with sessions() as s:
        assert timers.incidents(s) == []
    assert timers.fire_due(sessions, at("2026-03-05 02:00")).fired == []
    fired = [e for e in case.history() if e["kind"] == "timer_fired"]
    assert [(e["task_name"], e["data"]["due_at"], e["data"]["fired_at"]) for e in fired] == [
        ("first_deadline", at("2026-03-04 00:00").isoformat(), at("2026-03-04 01:00").isoformat()),
        ("second_deadline", at("2026-03-05 00:00").isoformat(), at("2026-03-05 02:00").isoformat())]


def test_a_timer_fires_in_a_new_process_after_a_restart(sessions, db_url):
    (clue,) = registered_clues(sessions, 1)
    early = zhunru(db_url, "worker", "--once", now="2026-02-14T23:59:00+08:00")
    assert early.communicate(timeout=120)[0].strip() == f"已催办 {clue} transfer"
    late = zhunru(db_url, "worker", "--once", now="2026-02-15T00:00:05+08:00")
    assert late.communicate(timeout=120)[0].strip() == f"已触发 {clue} transfer_deadline"
    assert count_events(sessions, "timer_fired") == {clue: 1}


def test_deadlines_fire_before_a_backlog_of_reminders(sessions):
    """After workers were stopped, reminders due earlier must not hold back a deadline."""
    [late] = registered_clues(sessions, 1)  # transfer due by the end of Mon 02-16
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-16 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-16 09:40"), REGISTER)  # due by the end of Tue 02-17
    with sessions() as s, s.begin():
        reminder = s.scalars(select(Timer).where(Timer.instance_id == case.id, Timer.kind == "reminder")).one()
        reminder.due_at = at("2026-02-16 10:00")  # a reminder that fell due before the other case's deadline
    now = at("2026-02-17 09:00")
    with sessions() as s:
        assert timers.due_instances(s, now) == [late, case.id]
    tick = timers.fire_due(sessions, now)
    assert tick.fired == [{"instance_id": late, "task_name": "transfer_deadline"}]
    assert tick.reminded == [{"instance_id": case.id, "task_name": "transfer"}]
    assert list(tick.fired_after) == [late]
