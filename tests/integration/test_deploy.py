"""Deploying definitions: versions, no-op redeploys, and refusals that store nothing."""
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import definitions, versions
from engine.errors import DefinitionError
from engine.store.models import Definition, FormDefinition
from tests.conftest import ROOT, at

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROBE = (FIXTURES / "lanes_timers_messages.bpmn").read_bytes()


def deploy(sessions, files):
    with sessions() as s, s.begin():
        return definitions.deploy(s, files, "admin", at("2026-03-01 10:00"))


def counts(sessions):
    with sessions() as s:
        return (s.scalar(select(func.count()).select_from(Definition)),
                s.scalar(select(func.count()).select_from(FormDefinition)))


def test_unchanged_file_makes_no_new_version_and_a_change_does(empty_sessions):
    first = deploy(empty_sessions, [("probe.bpmn", PROBE)])
    assert [(d.key, d.version, d.created) for d in first] == [("probe", 1, True)]
    again = deploy(empty_sessions, [("probe.bpmn", PROBE)])
    assert [(d.key, d.version, d.created) for d in again] == [("probe", 1, False)]
    changed = PROBE.replace(b'name="Probe"', b'name="Probe 2"')
    assert [(d.version, d.created) for d in deploy(empty_sessions, [("probe.bpmn", changed)])] == [(2, True)]
    with empty_sessions() as s:
        rows = s.scalars(select(Definition).order_by(Definition.version)).all()
        assert [r.sha256 for r in rows] == [definitions.sha256(PROBE), definitions.sha256(changed)]
        assert rows[1].xml == changed.decode()


def _refused(sessions, files):
    before = counts(sessions)
    with pytest.raises(DefinitionError) as err:
        deploy(sessions, files)
    assert counts(sessions) == before
    return err.value


def test_task_outside_every_lane_is_refused(empty_sessions):
    broken = PROBE.replace(b"<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>", b"")
    err = _refused(empty_sessions, [("probe.bpmn", broken)])
    assert [(p.filename, p.element_id) for p in err.problems] == [("probe.bpmn", "approve")]
    assert "泳道" in str(err)


TWO_POOLS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_pools"
                  targetNamespace="http://example.org/bpmn">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="p_laned" processRef="laned" />
    <bpmn:participant id="p_plain" processRef="plain" />
  </bpmn:collaboration>
  <bpmn:process id="laned" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="lane_a" name="clerks">
      <bpmn:flowNodeRef>s1</bpmn:flowNodeRef><bpmn:flowNodeRef>t1</bpmn:flowNodeRef><bpmn:flowNodeRef>e1</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s1" /><bpmn:userTask id="t1" name="Laned task" /><bpmn:endEvent id="e1" />
    <bpmn:sequenceFlow id="a1" sourceRef="s1" targetRef="t1" />
    <bpmn:sequenceFlow id="a2" sourceRef="t1" targetRef="e1" />
  </bpmn:process>
  <bpmn:process id="plain" isExecutable="true">
    <bpmn:startEvent id="s2" /><bpmn:userTask id="t2" name="Plain task" /><bpmn:endEvent id="e2" />
    <bpmn:sequenceFlow id="b1" sourceRef="s2" targetRef="t2" />
    <bpmn:sequenceFlow id="b2" sourceRef="t2" targetRef="e2" />
  </bpmn:process>
</bpmn:definitions>"""


def test_lanes_are_required_in_the_pool_that_has_them_only(empty_sessions):
    deployed = deploy(empty_sessions, [("pools.bpmn", TWO_POOLS)])
    assert sorted((d.key, d.version) for d in deployed) == [("laned", 1), ("plain", 1)]
    with empty_sessions() as s:
        plain = definitions.load(s, versions.latest_version(s, "plain").id)
        laned = definitions.load(s, versions.latest_version(s, "laned").id)
    assert (plain.has_lanes, laned.has_lanes) == (False, True)
    broken = TWO_POOLS.replace(b"<bpmn:flowNodeRef>t1</bpmn:flowNodeRef>", b"")
    err = _refused(empty_sessions, [("pools.bpmn", broken)])
    assert [(p.filename, p.element_id) for p in err.problems] == [("pools.bpmn", "t1")]


def test_unknown_operator_and_missing_parameter_are_refused(empty_sessions):
    xml = (ROOT / "processes" / "clue_0137.bpmn").read_bytes()
    broken = xml.replace(b'serviceTaskOperator id="record_lapse" resultVariable="report_to_lead_result"',
                         b'serviceTaskOperator id="send_fax" resultVariable="report_to_lead_result"')
    broken = broken.replace(b'<spiffworkflow:parameter id="organisation" type="any" value="responsible_unit" />', b"")
    forms = [(str(p.relative_to(ROOT)), p.read_bytes()) for p in sorted((ROOT / "forms").glob("*.json"))]
    err = _refused(empty_sessions, forms + [("clue_0137.bpmn", broken)])
    messages = {(p.element_id, p.message) for p in err.problems}
    assert ("report_to_lead", "服务任务的 operator 'send_fax' 未注册") in messages
    assert ("notify_responsible", "operator notify_unit 缺少必填参数 organisation") in messages
    assert counts(empty_sessions) == (0, 0)  # the valid forms of the same deployment were not stored


@pytest.mark.parametrize("script, element", [
    ("x = = 1", "prepare"),
    ("x = ().__class__.__bases__", "prepare"),
])
def test_script_that_does_not_compile_in_the_sandbox_is_refused(empty_sessions, script, element):
    broken = re.sub(rb"<bpmn:script>.*?</bpmn:script>", f"<bpmn:script>{script}</bpmn:script>".encode(), PROBE,
                    flags=re.S)
    err = _refused(empty_sessions, [("probe.bpmn", broken)])
    assert err.problems[0].element_id == element and "沙箱" in err.problems[0].message


def test_broken_timer_expression_is_refused(empty_sessions):
    broken = PROBE.replace(b'"P2D"', b'working_deadline(2')
    err = _refused(empty_sessions, [("probe.bpmn", broken)])
    assert err.problems[0].element_id == "slow" and "定时器表达式" in err.problems[0].message


def test_schema_violation_and_malformed_xml_name_file_and_place(empty_sessions):
    bad_attr = PROBE.replace(b'<bpmn:userTask id="fill"', b'<bpmn:userTask colour="red" id="fill"')
    err = _refused(empty_sessions, [("probe.bpmn", bad_attr)])
    assert err.problems[0].filename == "probe.bpmn" and "BPMN" in err.problems[0].message
    err = _refused(empty_sessions, [("cut.bpmn", PROBE[:400])])
    assert err.problems[0].filename == "cut.bpmn" and err.problems[0].element_id.startswith("第")


def test_unknown_form_key_and_bad_form_are_refused(empty_sessions):
    xml = (ROOT / "processes" / "clue_0137.bpmn").read_bytes()
    err = _refused(empty_sessions, [("clue_0137.bpmn", xml)])
    assert any(p.element_id == "register" and "表单 clue_register 不存在" in p.message for p in err.problems)
    bad_form = b'{"components": [{"type": "textfield", "label": "no key"}, {"type": "select", "key": "s"}]}'
    err = _refused(empty_sessions, [("forms/broken.json", bad_form)])
    expected = {"输入组件需要一个由字母、数字、下划线组成的 key",
                "选择组件需要 values 列表，或从办件数据取选项的 valuesKey"}
    assert {p.message for p in err.problems} >= expected


def test_one_bad_file_refuses_the_whole_deployment(empty_sessions):
    broken = PROBE.replace(b'id="probe"', b'id="probe_two"')
    broken = broken.replace(b"<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>", b"")
    _refused(empty_sessions, [("probe.bpmn", PROBE), ("probe_two.bpmn", broken)])


def test_running_instances_keep_their_version(sessions):
    from tests.driver import Case

    deploy(sessions, [("probe.bpmn", PROBE)])
    old = Case(sessions, "probe", "admin", at("2026-03-02 09:00"), {"numbers": [1], "amount": 5})
    renamed = PROBE.replace(b'name="Fill in"', b'name="Fill in (v2)"')
    assert deploy(sessions, [("probe.bpmn", renamed)])[0].version == 2
    new = Case(sessions, "probe", "admin", at("2026-03-02 09:05"), {"numbers": [1], "amount": 5})
    assert (old.view()["version"], new.view()["version"]) == (1, 2)
    assert old.task("fill")["title"] == "Fill in" and new.task("fill")["title"] == "Fill in (v2)"
    old.complete("fill", "admin", at("2026-03-02 10:00"))
    assert old.view()["version"] == 1 and old.ready() == ["review"]


PARENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="dp" targetNamespace="http://x">
  <bpmn:process id="parent" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:callActivity id="call_child" calledElement="child"><bpmn:incoming>a</bpmn:incoming>
      <bpmn:outgoing>b</bpmn:outgoing></bpmn:callActivity>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="call_child" />
    <bpmn:sequenceFlow id="b" sourceRef="call_child" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""
CHILD = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="dc" targetNamespace="http://x">
  <bpmn:process id="child" isExecutable="true">
    <bpmn:startEvent id="cs"><bpmn:outgoing>x</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="inside"><bpmn:incoming>x</bpmn:incoming><bpmn:outgoing>y</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="ce"><bpmn:incoming>y</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="x" sourceRef="cs" targetRef="inside" />
    <bpmn:sequenceFlow id="y" sourceRef="inside" targetRef="ce" />
  </bpmn:process>
</bpmn:definitions>"""


def test_call_activity_needs_the_called_process_and_runs_it_at_its_deployed_version(sessions):
    from tests.driver import Case

    err = _refused(sessions, [("parent.bpmn", PARENT)])
    assert [(p.element_id, p.message) for p in err.problems] == [
        ("call_child", "调用的流程 child 未部署，请先部署或一并部署")]
    deploy(sessions, [("child.bpmn", CHILD)])
    deploy(sessions, [("parent.bpmn", PARENT)])  # the child comes from the database
    case = Case(sessions, "parent", "admin", at("2026-03-02 09:00"), {"n": 1})
    assert case.ready() == ["inside"]
    assert case.complete("inside", "admin", at("2026-03-02 09:30"), {"done": True}) == "completed"
    assert case.view()["data"] == {"n": 1, "done": True}


def test_a_process_version_keeps_the_form_versions_it_was_deployed_with(sessions):
    import json

    from tests.driver import Case
    form = json.loads((ROOT / "forms" / "clue_transfer.json").read_text())
    old = Case(sessions, "clue_0137", "city_ndrc", at("2026-03-02 09:00"))
    old.complete("register", "city_ndrc", at("2026-03-02 09:10"),
                 {"source": "national", "summary": "旧版本表单的线索", "category": "OTHER", "region": "临汾市"})
    assert old.task("transfer")["form_version"] == 1
    form["components"].append({"type": "textfield", "key": "transfer_ref", "label": "移交文号", "id": "f_ref",
                               "validate": {"required": True}})
    deployed = deploy(sessions, [("clue_transfer.json", json.dumps(form).encode()),
                                 ("clue_0137.bpmn", (ROOT / "processes" / "clue_0137.bpmn").read_bytes())])
    assert {(d.key, d.version, d.created) for d in deployed} >= {("clue_transfer", 2, True), ("clue_0137", 2, True)}
    with sessions() as s:
        assert versions.version_row(s, "clue_0137", 2).form_versions["clue_transfer"] == 2
        assert versions.version_row(s, "clue_0137", 1).form_versions.get("clue_transfer") in (None, 1)
    # The running case still uses the form its version was deployed with: no new required field.
    old.complete("transfer", "city_ndrc", at("2026-03-02 10:00"), {"competent_unit": "yaodu_gov"})
    new = Case(sessions, "clue_0137", "city_ndrc", at("2026-03-02 11:00"))
    new.complete("register", "city_ndrc", at("2026-03-02 11:10"),
                 {"source": "national", "summary": "新版本表单的线索", "category": "OTHER", "region": "临汾市"})
    assert new.task("transfer")["form_version"] == 2
    from engine.errors import FormInvalid
    with pytest.raises(FormInvalid) as refused:
        new.complete("transfer", "city_ndrc", at("2026-03-02 11:20"), {"competent_unit": "yaodu_gov"})
    assert "transfer_ref" in refused.value.errors


def test_a_second_owner_editing_an_old_version_is_refused_naming_the_other_change(empty_sessions):
    from engine.errors import Conflict
    deploy(empty_sessions, [("probe.bpmn", PROBE)])
    changed = PROBE.replace(b'name="Fill in"', b'name="Fill in now"')
    with empty_sessions() as s, s.begin():
        definitions.deploy(s, [("probe.bpmn", changed)], "owner_a", at("2026-03-02 10:00"), expected={"probe": 1})
    stale = r"已由 owner_a 于 2026-03-02T10:00:00\+08:00 部署为 v2（你编辑的是 v1）"
    with pytest.raises(Conflict, match=stale) as refused:
        with empty_sessions() as s, s.begin():
            definitions.deploy(s, [("probe.bpmn", PROBE)], "owner_b", at("2026-03-02 10:05"), expected={"probe": 1})
    assert refused.value.code == "stale_version"
    with empty_sessions() as s:
        assert [v["version"] for v in versions.of_process(s, "probe")] == [2, 1]


def test_check_reports_problems_and_stores_nothing(empty_sessions):
    broken = PROBE.replace(b"<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>", b"")
    with empty_sessions() as s, s.begin():
        problems = definitions.check(s, [("probe.bpmn", broken)], "admin", at("2026-03-01 10:00"))
        assert [p.element_id for p in problems] == ["approve"]
        assert definitions.check(s, [("probe.bpmn", PROBE)], "admin", at("2026-03-01 10:00")) == []
    assert counts(empty_sessions) == (0, 0)


RECURSIVE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_rec" targetNamespace="http://x">
  <bpmn:process id="again" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:callActivity id="call_self" calledElement="again"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:callActivity>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call_self" />
    <bpmn:sequenceFlow id="f2" sourceRef="call_self" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_process_calling_itself_is_refused(empty_sessions):
    err = _refused(empty_sessions, [("again.bpmn", RECURSIVE)])
    assert [(p.element_id, p.message) for p in err.problems] == [
        ("call_self", "递归调用: again → again，流程会无休止地调用自身")]
