"""Pages name units, people and steps; they never show codes, usernames or the engine's own variables."""
import json

import pytest

from engine import definitions
from tests.conftest import at
from tests.driver import Case
from tests.web.conftest import sign_in

START_FORM = {"type": "default", "id": "hand_start", "schemaVersion": 16, "components": [
    {"type": "textfield", "key": "matter", "label": "事项", "id": "f_matter", "validate": {"required": True}}]}
PASS_FORM = {"type": "default", "id": "hand_pass", "schemaVersion": 16, "components": [
    {"type": "select", "key": "unit", "label": "承办单位", "id": "f_unit", "valuesKey": "unit_choices",
     "validate": {"required": True}},
    {"type": "textfield", "key": "note", "label": "说明", "id": "f_note"}]}

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="hand" name="交办" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l_lead" name="牵头单位"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="organisation" value="county_ndrc" />
      </spiffworkflow:properties></bpmn:extensionElements>
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>choices</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>pass_on</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l_unit" name="承办单位"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="organisationVariable" value="unit" />
      </spiffworkflow:properties></bpmn:extensionElements>
        <bpmn:flowNodeRef>handle</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="hand_start" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="choices" name="本地区单位"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="region_units" resultVariable="region"><spiffworkflow:parameters>
        <spiffworkflow:parameter id="of" type="any" value="&quot;county_ndrc&quot;" />
      </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>
      <spiffworkflow:postScript>unit_choices = region["units"]</spiffworkflow:postScript></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:userTask id="pass_on" name="交办承办单位"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="hand_pass" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="handle" name="办理">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="choices" />
    <bpmn:sequenceFlow id="f2" sourceRef="choices" targetRef="pass_on" />
    <bpmn:sequenceFlow id="f3" sourceRef="pass_on" targetRef="handle" />
    <bpmn:sequenceFlow id="f4" sourceRef="handle" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def case(sessions):
    with sessions() as s, s.begin():
        definitions.deploy(s, [("forms/hand_start.json", json.dumps(START_FORM).encode()),
                               ("forms/hand_pass.json", json.dumps(PASS_FORM).encode()),
                               ("hand.bpmn", DIAGRAM.encode())], "admin", at("2026-03-01 08:00"))
    case = Case(sessions, "hand", "county_ndrc_clerk", at("2026-03-02 09:00"), {"matter": "某项审批违规"})
    case.complete("pass_on", "county_ndrc_clerk", at("2026-03-02 10:00"), {"unit": "county_housing", "note": ""})
    return case


def test_the_case_page_names_units_people_and_steps(client, case):
    sign_in(client, "county_ndrc_clerk")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    history = html[html.index('id="history"'):]
    assert "襄垣县发展改革和科学技术局经办人" in history  # who acted, by name
    assert "承办单位" in history and "襄垣县住房和城乡建设管理局" in history  # the chosen unit by name
    assert "事项" in history and "某项审批违规" in history  # the start form's field, with its label
    for code in ("county_ndrc_clerk", "county_housing", "unit_choices", "region", "None"):
        assert f">{code}<" not in history and f" {code}" not in history, code
    current = html[html.index('id="current-steps"'):html.index('id="history"')]
    assert "襄垣县住房和城乡建设管理局" in current and "county_housing" not in current
    header = html[html.index("<header"):html.index("</header>")]
    assert "襄垣县发展改革和科学技术局经办人" in header and "county_ndrc" not in header.replace(
        'title="county_ndrc_clerk"', "")
