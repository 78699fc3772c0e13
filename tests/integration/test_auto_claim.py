"""A step the diagram marks autoClaim goes straight to whoever completed the step before, when it falls to
their own unit; the claim is recorded, and the audit finds the row as recorded."""
from engine import definitions
from engine.audit import replay
from tests.conftest import at
from tests.driver import Case

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="handover" name="连办流程" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l_ndrc" name="city_ndrc"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>draft</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>sign</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l_gov" name="city_gov"><bpmn:flowNodeRef>approve</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="draft" name="起草">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="review" name="复核"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="autoClaim" value="true" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="sign" name="签发">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="approve" name="审批"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="autoClaim" value="true" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="draft" />
    <bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="review" />
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="sign" />
    <bpmn:sequenceFlow id="f4" sourceRef="sign" targetRef="approve" />
    <bpmn:sequenceFlow id="f5" sourceRef="approve" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def deployed(sessions):
    with sessions() as s, s.begin():
        definitions.deploy(s, [("handover.bpmn", DIAGRAM.encode())], "admin", at("2026-03-01 08:00"))


def test_a_step_marked_auto_claim_goes_to_whoever_did_the_step_before(sessions):
    deployed(sessions)
    case = Case(sessions, "handover", "city_ndrc_clerk", at("2026-03-02 09:00"))
    assert case.task("draft")["assignee"] is None
    case.complete("draft", "city_ndrc_clerk", at("2026-03-02 10:00"))
    assert case.task("review")["assignee"] == "city_ndrc_clerk"
    claimed = [e for e in case.history() if e["kind"] == "task_claimed"]
    assert [(e["task_name"], e["data"]["assignee"], e["data"]["automatic"]) for e in claimed] == [
        ("review", "city_ndrc_clerk", True)]
    case.complete("review", "city_ndrc_clerk", at("2026-03-02 11:00"))
    assert case.task("sign")["assignee"] is None  # not marked: it waits in the unit's pool
    case.complete("sign", "city_ndrc", at("2026-03-02 12:00"))
    assert case.task("approve")["assignee"] is None  # marked, but another unit's step: never to this person
    by_admin = Case(sessions, "handover", "city_ndrc_clerk", at("2026-03-02 09:00"))
    by_admin.complete("draft", "admin", at("2026-03-02 10:00"))
    assert by_admin.task("review")["assignee"] is None  # an administrator reaches every unit, holds none of them
    with sessions() as s:
        assert replay.verify(s, [case.id, by_admin.id]) == {"verified": 2, "failed": []}

