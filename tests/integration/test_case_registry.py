"""Case materials registered in the archive (L§13) by the NDRC of the submitting unit's region, under that
region's yearly number (LF-2026-0001 in 临汾, XY-2026-0001 in 襄垣), classified by category, time and importance,
catalogued and reviewed."""
import threading

import pytest
from sqlalchemy import select

from engine import definitions, queries, runtime
from engine.audit import replay
from engine.errors import FormInvalid, InvalidInput
from engine.people import directory, regions
from engine.store.models import Instance, Notification
from handlers.registers import archive
from tests.conftest import at
from tests.driver import Case, snapshot, upload
from tests.integration import test_clue_0137 as clue

SUBMIT = {"title": "某协会限制外地企业入会",
          "summary": "县某行业协会章程要求会员须在本县注册满三年，排除外地企业平等参与。",
          "category": "ENTITY", "case_date": "2026-02-20"}
CLASSIFIED = {"archive_category": "ENTITY", "case_date": "2026-02-20", "importance": "important",
              "keywords": "行业协会"}


def catalogue(sessions, **filters):
    with sessions() as s:
        return archive.catalogue(s, **filters)


def submitted(sessions, when="2026-03-02 09:00", user="county_market_regulation", **changes):
    return Case(sessions, "case_registry", user, at(when), SUBMIT | changes)


def registered(sessions, user, lead, when="2026-03-02", **changes) -> Case:
    case = submitted(sessions, f"{when} 09:00", user, **changes)
    case.complete("check_materials", lead, at(f"{when} 10:00"), {"materials_decision": "accept"})
    case.complete("classify", lead, at(f"{when} 11:00"), CLASSIFIED | {"case_date": changes.get("case_date",
                                                                                             SUBMIT["case_date"])})
    return case


def test_department_materials_are_checked_numbered_classified_and_catalogued(sessions):
    material = upload(sessions, "协会章程.pdf", b"%PDF-1.4 charter", "county_market_regulation", at("2026-03-02 08:00"))
    case = submitted(sessions, materials=[material])
    # A county department's materials go to its county's NDRC (襄垣县发展改革和科学技术局), not the city's.
    assert case.ready() == ["check_materials"] and case.task("check_materials")["organisation"] == "county_ndrc"
    task_id = case.task("check_materials")["task_id"]
    with sessions() as s:
        text = queries.task_detail(s, directory.actor(s, "county_ndrc"), task_id, case.now)["instructions"]
    assert text.startswith("审核襄垣县市场监督管理局报送的案例资料「某协会限制外地企业入会」") and "county_" not in text
    case.complete("check_materials", "county_ndrc", at("2026-03-02 10:00"), {"materials_decision": "accept"})
    case.complete("classify", "county_ndrc", at("2026-03-02 11:00"), CLASSIFIED)
    [entry] = catalogue(sessions)
    assert entry["archive_no"] == "XY-2026-0001" and entry["category_text"] == "主体违规"
    assert (entry["importance_text"], entry["source_unit"], entry["case_date"], entry["period"]) == (
        "重要", "county_market_regulation", "2026-02-20", "2026年第一季度")
    assert entry["files"] == [material]
    with sessions() as s:
        [(title, body)] = [(n.title, n.body) for n in s.scalars(select(Notification).where(
            Notification.organisation == "county_market_regulation"))]
    assert (title, body) == ("案例资料已登记归档", "襄垣县发展改革和科学技术局已将「某协会限制外地企业入会」登记归档，"
                                                "档案编号 XY-2026-0001。")
    assert catalogue(sessions, text="协会") == [entry] and catalogue(sessions, text="招标") == []
    assert catalogue(sessions, category="HIDDEN_BARRIER") == []
    # L§13(五): reviewed periodically — 180 calendar days later (Sat 08-29 moves to Mon 08-31), and again.
    assert case.timers()["review_due"] == at("2026-09-01 00:00")
    assert case.fire(at("2026-09-01 00:01")) == ["review_due"]
    case.complete("periodic_review", "county_ndrc", at("2026-09-01 09:00"),
                  {"review_decision": "keep", "review_note": "资料完整。"})
    assert catalogue(sessions)[0]["reviewed_at"] == at("2026-09-01 09:00").isoformat()
    assert case.timers()["review_due"] == at("2027-03-02 00:00")  # Sun 2027-02-28 → Mon 03-01
    with sessions() as s:
        assert replay.verify(s, [case.id])["failed"] == []


def test_each_region_registers_under_its_own_prefix_without_gaps(sessions):
    """A city department's materials go to the city NDRC (LF), a county department's to its county's (XY, YD):
    each region numbers its own archive, one after another."""
    linfen = registered(sessions, "city_housing", "city_ndrc")
    assert linfen.view()["data"]["number_result"]["number"] == "LF-2026-0001"
    yaodu = submitted(sessions, user="yaodu_market_regulation_clerk")
    assert yaodu.task("check_materials")["organisation"] == "yaodu_ndrc"
    yaodu.complete("check_materials", "yaodu_ndrc", at("2026-03-02 10:00"), {"materials_decision": "accept"})
    yaodu.complete("classify", "yaodu_ndrc", at("2026-03-02 11:00"), CLASSIFIED)
    registered(sessions, "county_housing", "county_ndrc")
    registered(sessions, "county_transport", "county_ndrc", title="某站限定本地车辆")
    registered(sessions, "city_market_regulation", "city_ndrc", title="某局限定本市企业")
    assert sorted(e["archive_no"] for e in catalogue(sessions)) == [
        "LF-2026-0001", "LF-2026-0002", "XY-2026-0001", "XY-2026-0002", "YD-2026-0001"]
    # The city NDRC keeps Linfen's archive; it is not given Xiangyuan's materials to check.
    with sessions() as s:
        held = {i.id for i in s.scalars(select(Instance).where(Instance.process_id == "case_registry"))}
        assert replay.verify(s, sorted(held))["failed"] == []


def test_a_registered_case_is_classified_by_category_time_and_importance(sessions):
    """L§13(三): 按照类别、时间、重要性等进行分类整理 — the time is when the case happened, by year and quarter."""
    case = submitted(sessions, case_date="2025-11-03", title="上年度的违规审批")
    case.complete("check_materials", "county_ndrc", at("2026-03-02 10:00"), {"materials_decision": "accept"})
    # The lead corrects the date the submitter gave when classifying.
    task = case.task("classify")
    with sessions() as s:
        prefill = queries.task_detail(s, directory.actor(s, "county_ndrc"), task["task_id"], case.now)["prefill"]
    assert prefill["case_date"] == "2025-11-03"
    case.complete("classify", "county_ndrc", at("2026-03-02 11:00"),
                  {"archive_category": "APPROVAL", "case_date": "2025-10-28", "importance": "major", "keywords": ""})
    registered(sessions, "county_housing", "county_ndrc")  # a case of 2026's first quarter
    [entry] = catalogue(sessions, year=2025)
    assert (entry["archive_no"], entry["case_date"], entry["period"]) == ("XY-2026-0001", "2025-10-28",
                                                                          "2025年第四季度")
    assert (entry["category"], entry["importance_text"]) == ("APPROVAL", "重大")
    assert [e["title"] for e in catalogue(sessions, year=2026)] == [SUBMIT["title"]]
    assert catalogue(sessions, year=2025, quarter=4) == [entry] and catalogue(sessions, year=2025, quarter=3) == []
    assert [e["period"] for e in catalogue(sessions, quarter=1)] == ["2026年第一季度"]
    assert catalogue(sessions, importance="major", category="APPROVAL") == [entry]


def test_incomplete_materials_go_back_for_supplement_and_a_late_supplement_is_supervised(sessions):
    case = submitted(sessions)
    case.complete("check_materials", "county_ndrc", at("2026-03-02 10:00"),
                  {"materials_decision": "supplement", "check_opinion": "缺少协会章程原件。"})
    assert case.task("supplement")["organisation"] == "county_market_regulation"
    assert case.fire(at("2026-03-10 00:01")) == ["supplement_deadline"]
    assert [(e["overdue_unit"], e["reported_to"]) for e in case.view()["escalations"]] == [
        ("county_market_regulation", "county_ndrc")]
    with sessions() as s:
        bodies = [n.body for n in s.scalars(select(Notification).where(Notification.instance_id == case.id))]
    assert bodies and all("逾期单位：襄垣县市场监督管理局" in b and "county_" not in b for b in bodies)
    material = upload(sessions, "章程.pdf", b"%PDF-1.4 charter", "county_market_regulation", at("2026-03-10 09:00"))
    case.complete("supplement", "county_market_regulation", at("2026-03-10 09:00"), {"materials": [material]})
    assert case.ready() == ["check_materials"]


ARCHIVER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="probe_archiver" name="办结后登记" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="archive" name="登记归档"><bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="start_process" resultVariable="archived"><spiffworkflow:parameters>
        <spiffworkflow:parameter id="process_id" type="any" value="&quot;case_registry&quot;" />
        <spiffworkflow:parameter id="data" type="any" value="{&quot;title&quot;: &quot;某区要求外地企业设立分公司&quot;,
          &quot;summary&quot;: &quot;核查属实：该区招标文件要求外地企业设立分公司，已整改。&quot;,
          &quot;category&quot;: &quot;HIDDEN_BARRIER&quot;,
          &quot;case_date&quot;: &quot;2026-03-01&quot;, &quot;source_unit&quot;: &quot;yaodu_gov&quot;,
          &quot;lead&quot;: &quot;city_ndrc&quot;}" />
      </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="archive" />
    <bpmn:sequenceFlow id="f2" sourceRef="archive" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_case_another_starts_is_kept_by_the_lead_it_names(sessions):
    """A closed clue registers its case with the NDRC that led it (the city's), whose prefix the number takes,
    though the competent unit it names as submitter is a district's government."""
    with sessions() as s, s.begin():
        definitions.deploy(s, [("probe_archiver.bpmn", ARCHIVER.encode())], "admin", at("2026-03-01 08:00"))
    closing = Case(sessions, "probe_archiver", "city_ndrc", at("2026-03-03 09:00"))
    registry = Case.of(sessions, closing.view()["data"]["archived"]["instance_id"], at("2026-03-03 09:00"))
    data = registry.view()["data"]
    assert (data["source_unit"], data["lead"], data["source_instance"]) == ("yaodu_gov", "city_ndrc", closing.id)
    assert registry.task("check_materials")["organisation"] == "city_ndrc"
    registry.complete("check_materials", "city_ndrc", at("2026-03-03 10:00"), {"materials_decision": "accept"})
    registry.complete("classify", "city_ndrc", at("2026-03-03 11:00"), CLASSIFIED | {"case_date": "2026-03-01"})
    assert [(e["archive_no"], e["source_unit"]) for e in catalogue(sessions)] == [("LF-2026-0001", "yaodu_gov")]
    with sessions() as s:
        assert replay.verify(s, [closing.id, registry.id])["failed"] == []


def test_a_closed_clue_is_registered_automatically(sessions):
    clue.test_happy_path_transfers_verifies_rectifies_and_closes(sessions)
    with sessions() as s:
        registry_id = s.scalars(select(Instance.id).where(Instance.process_id == "case_registry")).one()
        clue_id = s.scalars(select(Instance.id).where(Instance.process_id == "clue_0137")).one()
        clue_data = queries.instance_view(s, clue_id, at("2026-03-01 12:00"))["data"]
        view = queries.instance_view(s, registry_id, at("2026-03-01 12:00"))
        # The clue names its lead; a clue that names none is kept by its competent unit's region's NDRC.
        lead = clue_data.get("lead_unit") or regions.units(s, clue_data["competent_unit"])["lead"]
    data = view["data"]
    assert data["source_instance"] == clue_id and data["lead"] == lead
    assert (data["category"], data["source_unit"]) == ("HIDDEN_BARRIER", clue_data["competent_unit"])
    assert data["materials"]
    assert [(t["task_name"], t["organisation"]) for t in view["ready_tasks"]] == [("check_materials", lead)]


def test_archive_numbers_are_sequential_per_year_and_never_reused_under_concurrency(sessions):
    numbers: list[str] = []
    errors: list[Exception] = []

    def allocate() -> None:
        try:
            with sessions() as s, s.begin():
                numbers.append(archive.allocate(s, 2026, "LF"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=allocate) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == [f"LF-2026-{n:04d}" for n in range(1, 13)]
    with sessions() as s, s.begin():
        assert archive.allocate(s, 2027, "LF") == "LF-2027-0001"
        assert archive.allocate(s, 2026, "XY") == "XY-2026-0001"  # another region's own sequence
        assert archive.allocate(s, 2026, "XY-ZC") == "XY-ZC-2026-0001"
    # A registration that is rolled back never issued its number: the sequence stays without gaps.
    with sessions() as s:
        s.begin()
        assert archive.allocate(s, 2026, "LF") == "LF-2026-0013"
        s.rollback()
    with sessions() as s, s.begin():
        assert archive.allocate(s, 2026, "LF") == "LF-2026-0013"
    for bad in ("", "L F", "LF--ZC", "临汾", "ABCDEFGHIJKLMNOPQ"):
        with sessions() as s, s.begin(), pytest.raises(InvalidInput, match="编号前缀"):
            archive.allocate(s, 2026, bad)


def test_bad_submission_is_refused_and_nothing_is_stored(sessions):
    before = snapshot(sessions)
    with sessions() as s, s.begin(), pytest.raises(FormInvalid) as refused:
        runtime.start_instance(s, "case_registry", SUBMIT | {"category": "UNKNOWN", "case_date": "2026-02-31",
                                                             "lead": "city_ndrc"},
                               directory.actor(s, "county_market_regulation"), at("2026-03-02 09:00"))
    # No one submitting names the NDRC that keeps the materials: it is the submitting unit's region's.
    assert refused.value.errors == {"category": "'UNKNOWN' 不是可选的值", "case_date": "日期时间格式不正确",
                                    "lead": "表单中没有此字段"}
    assert snapshot(sessions) == before
