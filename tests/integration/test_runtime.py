"""Runtime behaviour on diagrams drawn elsewhere: assignment, sandbox, handlers, crashes, parity."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import definitions, queries, runtime
from engine.errors import Conflict, DefinitionError, NotEntitled
from engine.people import directory
from engine.store.models import HumanTask, Timer
from handlers import registry
from tests.conftest import ROOT, at
from tests.driver import Case, snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROBE = (FIXTURES / "lanes_timers_messages.bpmn").read_bytes()

SERVICE_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="svc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="go" name="Go"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:serviceTask id="call" name="Call"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="OPERATOR" resultVariable="call_result"><spiffworkflow:parameters>
        <spiffworkflow:parameter id="organisation" type="str" value="target" />
        <spiffworkflow:parameter id="title" type="str" value="&quot;hello&quot;" />
      </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:userTask id="after" name="After">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="go" />
    <bpmn:sequenceFlow id="f2" sourceRef="go" targetRef="call" />
    <bpmn:sequenceFlow id="f3" sourceRef="call" targetRef="after" />
    <bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def deploy(sessions, name, xml):
    with sessions() as s, s.begin():
        content = xml.encode() if isinstance(xml, str) else xml
        definitions.deploy(s, [(name, content)], "admin", at("2026-03-01 08:00"))


def add_user(sessions, username, roles, organisation=None):
    with sessions() as s, s.begin():
        directory.add_user(s, username=username, display_name=username, organisation_code=organisation, roles=roles,
                           now=at("2026-03-01 08:00"))


def tasks_of(sessions, username):
    with sessions() as s:
        return [t["task_name"] for t in queries.tasks_for(s, directory.actor(s, username), at("2026-03-02 09:00"))]


def test_lanes_without_organisation_become_groups(sessions):
    deploy(sessions, "probe.bpmn", PROBE)
    add_user(sessions, "clerk1", ["clerks"], "county_ndrc")
    add_user(sessions, "reviewer1", ["reviewer"], "county_ndrc")
    case = Case(sessions, "probe", "clerk1", at("2026-03-02 09:00"), {"numbers": [1, 2, 3], "amount": 5})
    assert case.task("fill")["group"] == "clerks"
    assert tasks_of(sessions, "clerk1") == ["fill"] and tasks_of(sessions, "reviewer1") == []
    case.complete("fill", "clerk1", at("2026-03-02 10:00"))
    assert tasks_of(sessions, "reviewer1") == ["review"]
    with pytest.raises(NotEntitled):
        case.complete("review", "clerk1", at("2026-03-02 11:00"))
    assert "review" in tasks_of(sessions, "admin")


def test_process_without_lanes_belongs_to_its_starter(sessions):
    deploy(sessions, "svc.bpmn", SERVICE_DIAGRAM.replace("OPERATOR", "notify_unit"))
    case = Case(sessions, "svc", "county_ndrc", at("2026-03-02 09:00"), {"target": "county_gov"})
    assert case.task("go")["assignee"] == "county_ndrc"
    assert tasks_of(sessions, "county_ndrc") == ["go"] and tasks_of(sessions, "county_gov") == []


def test_ordinary_python_runs_in_the_sandbox_and_escapes_do_not(sessions):
    deploy(sessions, "probe.bpmn", PROBE)
    case = Case(sessions, "probe", "admin", at("2026-03-02 09:00"), {"numbers": [1, 2, 3], "amount": 5})
    data = case.view()["data"]
    assert (data["total"], data["label"], data["items"]) == (6, "total=6", [4, 6])
    escape = PROBE.replace(b"total = 0\n", b"total = 0\nopen('/etc/passwd')\n")
    escape = escape.replace(b'id="probe"', b'id="probe_escape"')
    with pytest.raises(DefinitionError) as refused:  # a call that can only fail is refused
        deploy(sessions, "probe_escape.bpmn", escape)
    assert refused.value.code == "definition_invalid" and list(refused.value.errors) == ["prepare"]
    assert "open" in refused.value.errors["prepare"]
    escape = escape.replace(b"open('/etc/passwd')", b"'{0.__class__}'.format(1)")
    deploy(sessions, "probe_escape.bpmn", escape)
    bad = Case(sessions, "probe_escape", "admin", at("2026-03-02 09:00"), {"numbers": [1], "amount": 5})
    view = bad.view()
    assert view["status"] == "error" and view["error"]["task_name"] == "prepare"
    assert "format" in view["error"]["message"] and "环节「Prepare」(prepare)" in view["error"]["message"]


def test_handler_failure_shows_its_own_message_and_can_be_retried(sessions):
    deploy(sessions, "svc.bpmn", SERVICE_DIAGRAM.replace("OPERATOR", "notify_unit"))
    case = Case(sessions, "svc", "admin", at("2026-03-02 09:00"), {"target": "new_bureau"})
    assert case.complete("go", "admin", at("2026-03-02 09:10")) == "error"
    view = case.view()
    assert view["error"] == {"task_name": "call",
                             "message": "服务任务 call (operator notify_unit) 失败: 单位 new_bureau 不存在"}
    assert view["ready_tasks"] == []
    assert case.notifications() == []
    with sessions() as s, s.begin():
        directory.add_organisation(s, code="new_bureau", name="新设局", kind="department", parent="county_gov",
                                   now=at("2026-03-02 09:00"))
    with sessions() as s, s.begin():
        assert runtime.retry(s, case.id, directory.actor(s, "admin"), at("2026-03-02 10:00")).status == "running"
    assert case.ready() == ["after"] and case.notifications() == [("new_bureau", "hello")]
    assert [e["kind"] for e in case.history()] == ["instance_started", "task_completed", "error", "retried"]
    with sessions() as s, s.begin(), pytest.raises(Conflict):
        runtime.retry(s, case.id, directory.actor(s, "admin"), at("2026-03-02 10:01"))


class Crash(BaseException):
    """Stands for the process dying in the middle of a command."""


def test_crash_in_a_handler_mid_command_leaves_everything_as_before(sessions, monkeypatch):
    def handle(params, ctx):
        ctx.notify(params["organisation"], params["title"], "written before the crash")
        raise Crash()

    ops = dict(registry.operators())
    ops["crash_probe"] = registry.Operator("crash_probe", "test", registry.get("notify_unit").params, handle)
    monkeypatch.setattr(registry, "operators", lambda: ops)
    deploy(sessions, "svc.bpmn", SERVICE_DIAGRAM.replace("OPERATOR", "crash_probe"))
    case = Case(sessions, "svc", "admin", at("2026-03-02 09:00"), {"target": "county_gov"})
    before = snapshot(sessions)
    with pytest.raises(Crash):
        case.complete("go", "admin", at("2026-03-02 09:10"))
    assert snapshot(sessions) == before
    assert case.ready() == ["go"]


CRASH_SCRIPT = """
import os, sys
from engine import runtime
from engine.people import directory
from engine.store.db import make_engine, make_sessionmaker
from engine.timing.clock import system_now
from handlers import registry
def handle(params, ctx):
    ctx.notify(params["organisation"], params["title"], "half-done")
    os._exit(3)
params = registry.get("notify_unit").params
registry.operators()["notify_unit"] = registry.Operator("notify_unit", "crash", params, handle)
sessions = make_sessionmaker(make_engine(sys.argv[1]))
with sessions() as s, s.begin():
    runtime.complete_task(s, sys.argv[2], {}, directory.actor(s, "admin"), system_now())
"""


def test_process_killed_inside_a_handler_commits_nothing(sessions, db_url):
    deploy(sessions, "svc.bpmn", SERVICE_DIAGRAM.replace("OPERATOR", "notify_unit"))
    case = Case(sessions, "svc", "admin", at("2026-03-02 09:00"), {"target": "county_gov"})
    before = snapshot(sessions)
    result = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, db_url, case.task("go")["task_id"]],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert snapshot(sessions) == before


def _raw_spiff(xml: bytes, start_data: dict):
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml, "probe.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("probe"), parser.get_subprocess_specs("probe"))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(start_data)
    workflow.do_engine_steps()
    return workflow


def _raw_complete(workflow, name, data):
    task = workflow.get_tasks(state=TaskState.READY, manual=True, spec_name=name)[0]
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()


def _raw_ready(workflow):
    return sorted(t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True))


@pytest.mark.parametrize("amount, end", [(500, "big"), (1, "small")])
def test_same_tasks_data_and_end_as_spiffworkflow_in_memory(sessions, amount, end):
    deploy(sessions, "probe.bpmn", PROBE)
    start = {"numbers": [1, 2, 3], "amount": amount}
    raw = _raw_spiff(PROBE, start)
    case = Case(sessions, "probe", "admin", at("2026-03-02 09:00"), start)
    steps = [("fill", {"note": "ok"}), ("review", {"verdict": "fine"}), ("message", {"go_ahead": True})]
    if end == "big":
        steps.append(("approve", {"approved": True}))
    for name, data in steps:
        assert case.ready() == _raw_ready(raw)
        if name == "message":
            raw_event = next(t for t in raw.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id == "wait_go")
            from SpiffWorkflow.bpmn.util.event import BpmnEvent
            raw.catch(BpmnEvent(raw_event.task_spec.event_definition, data))
            raw.do_engine_steps()
            case.message("go", "admin", at("2026-03-02 10:00"), data)
        else:
            _raw_complete(raw, name, data)
            case.complete(name, "admin", at("2026-03-02 10:00"), data)
        assert case.view()["data"] == (raw.data if raw.is_completed() else raw.last_task.data)
    assert raw.is_completed() and case.view()["status"] == "completed"
    assert case.view()["data"] == raw.data
    raw_path = [t.task_spec.bpmn_id for t in raw.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id]
    assert sorted(case.view()["completed_steps"]) == sorted(raw_path)
    assert end in case.view()["completed_steps"]


def test_interrupting_timer_cancels_the_task(sessions):
    deploy(sessions, "probe.bpmn", PROBE)
    case = Case(sessions, "probe", "admin", at("2026-03-02 09:00"), {"numbers": [], "amount": 0})
    assert case.timers()["slow"] == at("2026-03-04 09:00")
    assert case.fire(at("2026-03-04 09:00:01")) == ["slow"]
    view = case.view()
    assert view["status"] == "completed" and view["ready_tasks"] == [] and "slow_end" in view["completed_steps"]


def test_engine_and_handlers_never_import_flask():
    code = ("import sys, pkgutil, importlib, engine, handlers\n"
            "for pkg in (engine, handlers):\n"
            "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
            "        importlib.import_module(m.name)\n"
            "bad = [m for m in sys.modules if m == 'flask' or m.startswith('web')]\n"
            "print(json.dumps(bad))" )
    result = subprocess.run([sys.executable, "-c", "import json\n" + code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_a_command_leaves_no_stale_copy_of_the_rows_it_rewrote(sessions):
    """Commands rewrite task and timer rows with plain statements; copies the session already held of them
    must not outlive the command (a web request reads the case again in the same session)."""
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), {
        "source": "province", "summary": "要求外地企业在本地设立分公司", "category": "HIDDEN_BARRIER",
        "region": "襄垣县"})
    with sessions() as s, s.begin():
        transfer = s.scalars(select(HumanTask).where(HumanTask.instance_id == case.id)).one()
        held_timers = s.scalars(select(Timer).where(Timer.instance_id == case.id)).all()
        assert transfer.task_name == "transfer" and held_timers
        runtime.complete_task(s, transfer.id, {"competent_unit": "yaodu_gov"}, directory.actor(s, "city_ndrc"),
                              at("2026-02-14 10:00"))
        assert s.get(HumanTask, transfer.id) is None
        (verify,) = s.scalars(select(HumanTask).where(HumanTask.instance_id == case.id)).all()
        assert (verify.task_name, verify.organisation) == ("verify", "yaodu_gov")
        timers = {t.attached_to: t.due_at for t in s.scalars(select(Timer).where(Timer.instance_id == case.id,
                                                                                 Timer.kind == "event"))}
        # L§12(三): verify within 3 working days, after the Spring Festival holiday → ends 02-26 24:00.
        assert timers["verify"] == at("2026-02-27 00:00")
        assert "transfer" not in timers
