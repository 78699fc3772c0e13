"""Two places, one product: the organisation tree has regions, and a process finds the units of the region
that runs it (its NDRC, its government, the region above) from the tree, never by a fixed code."""
import pytest
from sqlalchemy import select

from engine import definitions, runtime
from engine.errors import NotEntitled
from engine.people import directory, regions
from engine.store.models import Organisation
from handlers import demo_directory
from tests.conftest import at
from tests.driver import Case

# A lead lane by function: whichever NDRC starts the case leads it; the government lane and the province lane
# come from the tree through region_units.
REGIONAL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="regional" name="地区流程" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l_lead" name="牵头单位"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="organisationVariable" value="lead_unit" />
        <spiffworkflow:property name="organisationFunction" value="ndrc" />
      </spiffworkflow:properties></bpmn:extensionElements>
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>open</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>find</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l_gov" name="本级政府"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="organisationVariable" value="region_gov" />
      </spiffworkflow:properties></bpmn:extensionElements><bpmn:flowNodeRef>gov_reads</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l_upper" name="上级发展改革部门"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="organisationVariable" value="upper_ndrc" />
      </spiffworkflow:properties></bpmn:extensionElements>
        <bpmn:flowNodeRef>upper_reads</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="open" name="登记">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:serviceTask id="find" name="确定本地区单位"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="region_units" resultVariable="region"><spiffworkflow:parameters>
        <spiffworkflow:parameter id="of" type="any" value="lead_unit" />
      </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>
      <spiffworkflow:postScript>region_gov = region["government"]
upper_ndrc = region["upper_lead"]</spiffworkflow:postScript></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:userTask id="gov_reads" name="政府阅示">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="upper_reads" name="上级阅示">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="open" />
    <bpmn:sequenceFlow id="f2" sourceRef="open" targetRef="find" />
    <bpmn:sequenceFlow id="f3" sourceRef="find" targetRef="gov_reads" />
    <bpmn:sequenceFlow id="f4" sourceRef="gov_reads" targetRef="upper_reads" />
    <bpmn:sequenceFlow id="f5" sourceRef="upper_reads" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def regional(sessions):
    with sessions() as s, s.begin():
        definitions.deploy(s, [("regional.bpmn", REGIONAL.encode())], "admin", at("2026-03-01 08:00"))
    return sessions


def test_the_demo_tree_holds_two_places(sessions):
    with sessions() as s:
        linfen = regions.units(s, "city_ndrc")
        xiangyuan = regions.units(s, "county_housing")
        tree = {o.code: o for o in s.scalars(select(Organisation))}
        parent = {o.id: o.code for o in tree.values()}
    # 襄垣县 is a county of 长治市, not of 临汾市.
    assert parent[tree["county_gov"].parent_id] == "changzhi_gov"
    assert (linfen["government"], linfen["lead"], linfen["upper_lead"], linfen["number_prefix"]) == (
        "city_gov", "city_ndrc", "province_ndrc", "LF")
    assert (xiangyuan["government"], xiangyuan["lead"], xiangyuan["upper_lead"], xiangyuan["number_prefix"]) == (
        "county_gov", "county_ndrc", "changzhi_ndrc", "XY")
    offered = [u["value"] for u in linfen["units"]]
    # Linfen passes matters to its own departments and counties (有关县（市、区）或市直部门), never to 襄垣县.
    assert {"city_housing", "yaodu_gov", "houma_gov", "hongtong_gov"} <= set(offered)
    assert "city_ndrc" not in offered and not {"county_gov", "county_housing", "changzhi_gov"} & set(offered)
    assert {u["label"] for u in linfen["units"]} >= {"临汾市住房和城乡建设局", "临汾市尧都区人民政府"}
    assert "county_ndrc" not in [u["value"] for u in xiangyuan["units"]]


def test_an_older_demo_tree_is_brought_in_line(sessions):
    """A database made when 襄垣县 hung under 临汾市 is corrected by `init --demo` again."""
    with sessions() as s, s.begin():
        county = directory.organisation(s, "county_gov")
        county.parent_id = directory.organisation(s, "city_gov").id
        county.number_prefix = None
    with sessions() as s, s.begin():
        demo_directory.load_demo(s, at("2026-03-01 08:00"))
    with sessions() as s:
        assert regions.units(s, "county_ndrc")["upper_government"] == "changzhi_gov"
        assert regions.units(s, "county_ndrc")["number_prefix"] == "XY"


@pytest.mark.parametrize(("lead", "government", "upper"), [
    ("city_ndrc", "city_gov", "province_ndrc"),
    ("county_ndrc", "county_gov", "changzhi_ndrc"),
    ("yaodu_ndrc", "yaodu_gov", "city_ndrc"),
])
def test_a_process_runs_in_whichever_region_starts_it(regional, lead, government, upper):
    case = Case(regional, "regional", lead, at("2026-03-02 09:00"))
    assert case.task("open")["organisation"] == lead
    case.complete("open", f"{lead}_clerk", at("2026-03-02 10:00"))
    assert case.task("gov_reads")["organisation"] == government
    case.complete("gov_reads", government, at("2026-03-02 11:00"))
    assert case.task("upper_reads")["organisation"] == upper


def test_only_an_organisation_with_the_lanes_function_starts_it(regional):
    for user in ("county_housing", "city_gov"):
        with regional() as s:
            with pytest.raises(NotEntitled):
                runtime.start_instance(s, "regional", {}, directory.actor(s, user), at("2026-03-02 09:00"))


def test_a_function_no_organisation_has_admits_no_starter(regional):
    with regional() as s, s.begin():
        for org in s.scalars(select(Organisation).where(Organisation.function == "ndrc")):
            org.function = "planning"
        directory.add_organisation(s, code="x", name="新设单位", kind="department", parent="county_gov",
                                   now=at("2026-03-02 08:00"))
    with regional() as s, pytest.raises(NotEntitled):
        runtime.start_instance(s, "regional", {}, directory.actor(s, "county_ndrc"), at("2026-03-02 09:00"))
