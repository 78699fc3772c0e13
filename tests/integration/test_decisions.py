"""DMN decision tables: deployed beside diagrams, checked, versioned, pinned per process version, replayed."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import definitions
from engine.audit import history, replay
from engine.errors import DefinitionError
from engine.store.models import DecisionDefinition, Definition, Event, Instance
from tests.conftest import at
from tests.driver import Case

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DMN = (FIXTURES / "decisions" / "approval_level.dmn").read_bytes()
BPMN = (FIXTURES / "decision_probe.bpmn").read_bytes()
FILES = [("decisions/approval_level.dmn", DMN), ("processes/decision_probe.bpmn", BPMN)]


def deploy(sessions, files, when="2026-03-01 10:00"):
    with sessions() as s, s.begin():
        return [(d.kind, d.key, d.version, d.created) for d in definitions.deploy(s, files, "admin", at(when))]


def counts(sessions):
    with sessions() as s:
        return (s.scalar(select(func.count()).select_from(Definition)),
                s.scalar(select(func.count()).select_from(DecisionDefinition)))


def refused(sessions, files):
    before = counts(sessions)
    with pytest.raises(DefinitionError) as err:
        deploy(sessions, files)
    assert counts(sessions) == before
    return [(p.filename, p.element_id, p.message) for p in err.value.problems]


def decide(sessions, amount, when="2026-03-02 09:00"):
    """A case through the table: the level it decided."""
    case = Case(sessions, "decision_probe", "admin", at(when))
    assert case.complete("enter", "admin", at(when), {"amount": amount}) == "completed"
    return case.view()["data"]


def table(hit_policy, rules, output_name="level"):
    """A one-input, one-output table: rules are (input entry, output entry)."""
    body = "".join(
        f'<rule id="r{i}"><inputEntry id="r{i}_in"><text>{cond}</text></inputEntry>'
        f'<outputEntry id="r{i}_out"><text>{out}</text></outputEntry></rule>'
        for i, (cond, out) in enumerate(rules, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
            f'id="defs" name="t" namespace="http://example.org/dmn"><decision id="approval_level" name="审批级别">'
            f'<decisionTable id="tbl" hitPolicy="{hit_policy}"><input id="in_amount" label="金额">'
            f'<inputExpression id="in_expr" typeRef="number"><text>amount</text></inputExpression></input>'
            f'<output id="out_level" label="级别" name="{output_name}" typeRef="string" />{body}'
            f'</decisionTable></decision></definitions>').encode()


def test_a_business_rule_task_evaluates_the_deployed_table(empty_sessions):
    assert deploy(empty_sessions, FILES) == [("decision", "approval_level", 1, True),
                                             ("process", "decision_probe", 1, True)]
    with empty_sessions() as s:
        assert s.scalar(select(Definition.decision_versions)) == {"approval_level": 1}
    assert decide(empty_sessions, 500)["level"] == "clerk"
    assert decide(empty_sessions, 1500)["level"] == "manager"
    with empty_sessions() as s:
        recorded = s.scalars(select(Event.data).where(Event.kind == "decision_evaluated")).all()
    assert [(d["decision"], d["version"], d["result"]) for d in recorded] == [
        ("approval_level", 1, {"level": "clerk"}), ("approval_level", 1, {"level": "manager"})]


def test_an_unchanged_table_is_no_new_version_and_a_changed_one_reaches_new_cases_only(empty_sessions):
    deploy(empty_sessions, FILES)
    assert deploy(empty_sessions, FILES) == [("decision", "approval_level", 1, False),
                                             ("process", "decision_probe", 1, False)]
    running = Case(empty_sessions, "decision_probe", "admin", at("2026-03-02 09:00"))
    changed = DMN.replace(b'"clerk"', b'"officer"')
    # The table alone: every process whose newest version evaluates it gets a version pinning the new one.
    assert deploy(empty_sessions, [("decisions/approval_level.dmn", changed)], "2026-03-03 10:00") == [
        ("decision", "approval_level", 2, True), ("process", "decision_probe", 2, True)]
    with empty_sessions() as s:
        pins = dict(s.execute(select(Definition.version, Definition.decision_versions)).all())
    assert pins == {1: {"approval_level": 1}, 2: {"approval_level": 2}}
    assert decide(empty_sessions, 500, "2026-03-04 09:00")["level"] == "officer"
    running.complete("enter", "admin", at("2026-03-04 10:00"), {"amount": 500})
    assert running.view()["data"]["level"] == "clerk"
    assert deploy(empty_sessions, [("decisions/approval_level.dmn", changed)]) == [
        ("decision", "approval_level", 2, False)]
    assert audit_result(empty_sessions)["failed"] == []


def audit_result(sessions):
    with sessions() as s:
        return replay.verify(s)


def test_a_table_outside_the_dmn_schema_is_refused_naming_file_and_element(empty_sessions):
    broken = DMN.replace(b'hitPolicy="UNIQUE"', b'hitPolicy="SOMETIMES"')
    problems = refused(empty_sessions, [("decisions/approval_level.dmn", broken), FILES[1]])
    assert problems[0][:2] == ("decisions/approval_level.dmn", "approval_level_table")
    assert "DMN 模式" in problems[0][2] and "SOMETIMES" in problems[0][2]
    not_xml = refused(empty_sessions, [("decisions/approval_level.dmn", b"<definitions")])
    assert not_xml[0][0] == "decisions/approval_level.dmn" and "XML" in not_xml[0][2]


@pytest.mark.parametrize(("cell", "where", "named"), [
    (b'"clerk"', b'__import__("os").getcwd()', "输出 level"),
    (b"&lt; 1000", b"&lt; = 1000", "输入 金额 条件"),
])
def test_a_cell_the_sandbox_refuses_is_named_by_decision_and_rule(empty_sessions, cell, where, named):
    problems = refused(empty_sessions, [("decisions/approval_level.dmn", DMN.replace(cell, where, 1)), FILES[1]])
    assert [(f, e) for f, e, _ in problems] == [("decisions/approval_level.dmn", "rule_small")]
    assert "决策 approval_level 第 1 条规则" in problems[0][2] and named in problems[0][2]
    assert "沙箱" in problems[0][2]


def test_a_task_naming_an_undeployed_table_is_refused_naming_the_task(empty_sessions):
    problems = refused(empty_sessions, [FILES[1]])
    assert problems == [("processes/decision_probe.bpmn", "decide",
                         "决策表 approval_level 未部署，请先部署或一并部署 (decisions/approval_level.dmn)")]


@pytest.mark.parametrize(("policy", "amount", "expected"), [
    ("UNIQUE", 500, "small"),
    ("UNIQUE", 5000, None),  # no rule matches: the table adds nothing
    ("FIRST", 500, "small"),
    ("FIRST", 2000, "medium"),
    ("COLLECT", 500, ["small", "medium", "any"]),
    ("COLLECT", 2000, ["medium", "any"]),
])
def test_hit_policies_as_spiffworkflow_evaluates_them(empty_sessions, policy, amount, expected):
    rules = ([("&lt; 1000", '"small"'), ("1000 &lt;= ? &lt; 3000", '"medium"')] if policy == "UNIQUE" else
             [("&lt; 1000", '"small"'), ("&lt; 3000", '"medium"'), ("-", '"any"')])
    deploy(empty_sessions, [("decisions/approval_level.dmn", table(policy, rules)), FILES[1]])
    assert decide(empty_sessions, amount).get("level") == expected


@pytest.mark.parametrize("policy", ["ANY", "PRIORITY", 'COLLECT" aggregation="SUM'])
def test_hit_policies_spiffworkflow_does_not_evaluate_are_refused(empty_sessions, policy):
    problems = refused(empty_sessions, [("decisions/approval_level.dmn", table(policy, [("-", '"x"')])), FILES[1]])
    assert [(f, e) for f, e, _ in problems] == [("decisions/approval_level.dmn", "tbl")]
    assert "不受支持" in problems[0][2]


def forge_decision(sessions, instance_id, result):
    """Change the recorded decision and recompute the whole chain, as a thorough forger would."""
    with sessions() as s, s.begin():
        events = s.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.seq)).all()
        target = next(e for e in events if e.kind == "decision_evaluated")
        target.data = dict(target.data, result=result)
        previous = history.GENESIS
        for e in events:
            e.prev_hash = previous
            e.hash = history.event_hash(previous, instance_id, e.seq, e.at, e.actor, e.kind, e.task_id,
                                        e.task_name, e.data)
            previous = e.hash
        s.get(Instance, instance_id).event_hash = previous


def test_audit_verify_re_evaluates_the_decision_on_its_version(empty_sessions):
    deploy(empty_sessions, FILES)
    decide(empty_sessions, 1500)
    deploy(empty_sessions, [("decisions/approval_level.dmn", DMN.replace(b'"manager"', b'"director"'))])
    assert audit_result(empty_sessions) == {"verified": 1, "failed": []}
    with empty_sessions() as s:
        instance_id = s.scalar(select(Instance.id))
    forge_decision(empty_sessions, instance_id, {"level": "clerk"})
    failed = audit_result(empty_sessions)["failed"]
    assert [(f["instance_id"], f["seq"]) for f in failed] == [(instance_id, 2)]
    assert "决策表 approval_level v1" in failed[0]["reason"] and '"manager"' in failed[0]["reason"]


def test_a_stored_table_changed_behind_the_record_is_found_by_replay(empty_sessions):
    deploy(empty_sessions, FILES)
    decide(empty_sessions, 1500)
    with empty_sessions() as s, s.begin():
        row = s.scalar(select(DecisionDefinition))
        row.xml = row.xml.replace('"manager"', '"nobody"')
    failed = audit_result(empty_sessions)["failed"]
    assert len(failed) == 1 and "重放结果" in failed[0]["reason"] and "nobody" in failed[0]["reason"]
