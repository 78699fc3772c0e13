"""Diagram code under CPU-time and memory limits, and errors that name the element and the field."""
import re

import pytest
from sqlalchemy import func, select

from engine import definitions, queries, runtime, settings
from engine.errors import DefinitionError, FormInvalid, InvalidInput
from engine.people import directory
from engine.store.models import Definition, Instance
from engine.timing import schedules, timers
from tests.conftest import at
from tests.driver import Case, snapshot

NOW = at("2026-03-02 09:00")

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="PID" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="go" name="受理"><bpmn:extensionElements>
        <spiffworkflow:instructionsForEndUser>INSTRUCTIONS</spiffworkflow:instructionsForEndUser>
      </bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="slow" name="超时" attachedToRef="go" cancelActivity="true">
      <bpmn:outgoing>f_slow</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>TIMER</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="calc" name="核算"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f_slow</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="after" name="复核"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="go" />
    <bpmn:sequenceFlow id="f2" sourceRef="go" targetRef="calc" />
    <bpmn:sequenceFlow id="f_slow" sourceRef="slow" targetRef="calc" />
    <bpmn:sequenceFlow id="f3" sourceRef="calc" targetRef="after" />
    <bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def diagram(process_id="bounded", script="total = 1", timer='"P2D"', instructions="请办理"):
    return (DIAGRAM.replace("PID", process_id).replace("SCRIPT", script).replace("TIMER", timer)
            .replace("INSTRUCTIONS", instructions)).encode()


def deploy(sessions, process_id="bounded", **parts):
    with sessions() as s, s.begin():
        definitions.deploy(s, [(f"{process_id}.bpmn", diagram(process_id, **parts))], "admin", NOW)


def refusal(sessions, name, content) -> str:
    with sessions() as s, s.begin(), pytest.raises(DefinitionError) as refused:
        definitions.deploy(s, [(name, content)], "admin", NOW)
    return str(refused.value)


def limit(sessions, key, value):
    with sessions() as s, s.begin():
        settings.change(s, key, value, "admin", NOW)


@pytest.fixture
def small(sessions):
    """Limits small enough for a test to run into them at once."""
    limit(sessions, "script_cpu_seconds", "0.2")
    limit(sessions, "script_memory_mb", "32")
    return sessions


@pytest.mark.parametrize(("script", "message"), [
    ("while True: pass", "环节「核算」(calc) 的脚本超出 CPU 时间限制 0.2 秒"),
    ("n = 0\nwhile True:\n    n += 1", "环节「核算」(calc) 的脚本超出 CPU 时间限制 0.2 秒"),
    ("x = 10**10**10", "环节「核算」(calc) 的脚本计算的整数超出上限"),
    ("x = 'x' * 10**10", "环节「核算」(calc) 的脚本超出内存限制 32 MB"),
    ("x = ' '.ljust(10**10)", "环节「核算」(calc) 的脚本超出内存限制 32 MB"),
    ("x = f'{1:>{10**10}}'", "环节「核算」(calc) 的脚本超出内存限制 32 MB"),
    ("x = sum(list(range(10**10)))", "环节「核算」(calc) 的脚本超出内存限制 32 MB"),
    ("a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000", "环节「核算」(calc) 的脚本结果数据超出内存限制 32 MB"),
])
def test_a_script_over_the_limit_puts_its_case_in_error_naming_the_element_and_cancel_works(
        small, script, message):
    deploy(small, script=script)
    case = Case(small, "bounded", "admin", NOW)
    assert case.complete("go", "admin", at("2026-03-02 09:10")) == "error"
    error = case.view()["error"]
    assert error["task_name"] == "calc" and error["message"].startswith(message)
    with small() as s, s.begin():
        assert runtime.cancel(s, case.id, directory.actor(s, "admin"), at("2026-03-02 09:20"), "脚本失控").status \
            == "cancelled"
    assert case.view()["status"] == "cancelled"


def test_a_timer_whose_firing_runs_over_the_limit_becomes_an_incident_and_the_tick_goes_on(small):
    deploy(small, script="while True: pass")
    deploy(small, "benign")
    hostile = Case(small, "bounded", "admin", NOW)
    benign = Case(small, "benign", "admin", NOW)
    tick = timers.fire_due(small, at("2026-03-05 09:00"))
    assert tick.fired == [{"instance_id": benign.id, "task_name": "slow"}]
    assert tick.failed == [{"instance_id": hostile.id,
                            "error": "环节「核算」(calc) 的脚本超出 CPU 时间限制 0.2 秒"}]
    assert benign.ready() == ["after"]
    assert hostile.view()["status"] == "running" and hostile.ready() == ["go"]  # rolled back, retried later
    with small() as s:
        incident = [i for i in timers.incidents(s) if i["instance_id"] == hostile.id]
    assert ("timer", "slow", 1, "2026-03-05T09:01:00+08:00") in [
        (i["kind"], i["task_name"], i["attempts"], i["next_attempt_at"]) for i in incident]
    assert timers.fire_due(small, at("2026-03-05 09:00:30")).failed == []  # backing off
    with small() as s, s.begin():
        runtime.cancel(s, hostile.id, directory.actor(s, "admin"), at("2026-03-05 10:00"), "脚本失控")
    assert hostile.view()["status"] == "cancelled"


def test_a_timer_expression_and_a_condition_over_the_limit_name_their_element(small):
    deploy(small, timer='"P" + str(len(list(range(10**10)))) + "D"')
    case = Case(small, "bounded", "admin", NOW)
    assert case.view()["error"]["message"] == "环节「超时」(slow) 的定时器表达式超出内存限制 32 MB"


def test_a_run_time_error_names_the_element_by_name_and_id(sessions):
    deploy(sessions, script="total = missing + 1")
    case = Case(sessions, "bounded", "admin", NOW)
    case.complete("go", "admin", at("2026-03-02 09:10"))
    assert case.view()["error"]["message"] == (
        "环节「核算」(calc) 执行出错: NameError: name 'missing' is not defined")
    deploy(sessions, "keys", script="d = {}\nx = d[1]")
    case = Case(sessions, "keys", "admin", NOW)
    case.complete("go", "admin", at("2026-03-02 09:10"))
    assert case.view()["error"]["message"] == "环节「核算」(calc) 执行出错: KeyError: 1"


@pytest.mark.parametrize(("script", "refused"), [
    ("x = vars()", "vars()"), ("x = locals()", "locals()"), ("x = globals()", "globals()"),
    ("import os", "import"), ("from os import path", "import"), ("x = open('/etc/passwd')", "open()"),
])
def test_what_the_sandbox_refuses_at_run_time_is_refused_at_deploy_naming_the_element(sessions, script, refused):
    before = snapshot(sessions)
    message = refusal(sessions, "bounded.bpmn", diagram(script=script))
    assert "元素 calc" in message and refused in message
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Definition).where(Definition.process_id == "bounded")) == 0
    assert snapshot(sessions) == before


def test_a_function_the_script_defines_itself_may_bear_a_refused_name(sessions):
    deploy(sessions, script="def vars():\n    return 3\ntotal = vars()")
    case = Case(sessions, "bounded", "admin", NOW)
    case.complete("go", "admin", at("2026-03-02 09:10"))
    assert case.view()["data"]["total"] == 3


START = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:process id="cycled" isExecutable="true">
    <bpmn:startEvent id="tick" name="定期启动"><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeCycle>CYCLE</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize(("cycle", "message"), [
    ("10**10**10", "计算的整数超出上限"),
    # One C-level call no guard foresees: only the child process's rlimits end it.
    ("str([[[[0] * 100] * 100] * 100] * 100)", "超出"),
])
def test_a_start_timer_expression_over_the_limit_is_refused_at_deploy(small, cycle, message):
    refused = refusal(small, "cycled.bpmn", START.replace("CYCLE", cycle).encode())
    assert "元素 tick" in refused and "开始定时器表达式" in refused and message in refused


def test_a_diagram_or_form_larger_than_the_setting_is_refused_at_deploy(sessions):
    limit(sessions, "definition_max_mb", "0.01")
    before = snapshot(sessions)
    padding = "<!-- " + "x" * 20_000 + " -->"
    message = refusal(sessions, "bounded.bpmn", diagram().replace(b"</bpmn:definitions>",
                                                                   padding.encode() + b"</bpmn:definitions>"))
    assert "bounded.bpmn" in message and "超过上限 0.01 MB" in message
    form = b'{"components": [], "type": "default", "x": "' + b"y" * 20_000 + b'"}'
    assert "big.json" in refusal(sessions, "forms/big.json", form)
    assert snapshot(sessions) == before
    deploy(sessions)  # an ordinary diagram still deploys


@pytest.mark.parametrize(("data", "field"), [
    ({"amount": float("inf")}, "amount"), ({"amount": float("nan")}, "amount"),
    ({"items": [1, {"price": float("-inf")}]}, "items[1].price"),
])
def test_numbers_that_are_not_finite_are_refused_naming_the_field(sessions, data, field):
    deploy(sessions)
    before = snapshot(sessions)
    with sessions() as s, s.begin(), pytest.raises(InvalidInput, match=re.escape(f"启动数据的字段 {field} ")):
        runtime.start_instance(s, "bounded", data, directory.actor(s, "admin"), NOW)
    assert snapshot(sessions) == before


def test_a_form_number_that_reads_as_infinite_is_refused_naming_the_field():
    from engine import forms
    schema = {"components": [{"type": "number", "key": "amount", "label": "金额"}]}
    _, errors = forms.validate(schema, {"amount": "1.5e999"}, lambda _: True)
    assert errors == {"amount": "应为有限的数值"}
    assert FormInvalid("go", errors).errors == {"amount": "应为有限的数值"}


def test_a_runaway_instruction_template_shows_an_error_naming_the_step(small):
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    deploy(small, instructions=loop)
    case = Case(small, "bounded", "admin", NOW)
    task_id = case.task("go")["task_id"]
    with small() as s:
        detail = queries.task_detail(s, directory.actor(s, "admin"), task_id, NOW)
    assert detail["instructions"] == "环节「受理」(go) 的说明模板超出 CPU 时间限制 0.2 秒"
    deploy(small, "padded", instructions="{{ 'x' * 10**10 }}{{ 'y'|center(10**10) }}")
    case = Case(small, "padded", "admin", NOW)
    task_id = case.task("go")["task_id"]
    with small() as s:
        detail = queries.task_detail(s, directory.actor(s, "admin"), task_id, NOW)
    assert detail["instructions"] == "环节「受理」(go) 的说明模板超出内存限制 32 MB"


def test_a_worker_tick_parses_no_diagram_it_has_seen(sessions, monkeypatch):
    parsed = []
    real = definitions._parse
    monkeypatch.setattr(definitions, "_parse", lambda files, validate: parsed.append(files) or real(files, validate))
    schedules.start_due(sessions, at("2026-03-02 09:00"))  # reads each newest version once, if not yet seen
    parsed.clear()
    schedules.start_due(sessions, at("2026-03-02 09:01"))
    timers.fire_due(sessions, at("2026-03-02 09:01"))
    assert parsed == []
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Instance)) == 0
