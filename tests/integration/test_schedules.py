"""Processes with a timer start event start a new case at each time of their cycle (a setting): periodic
self-inspection campaigns (X-A9) and the archive's periodic security checks (L§13(六))."""
import threading

import pytest
from sqlalchemy import func, select

from engine import definitions, settings
from engine.audit import replay
from engine.errors import DefinitionError, InvalidInput
from engine.store.models import Instance, Organisation
from engine.timing import cycles, schedules, timers
from handlers.vocabulary import VOCABULARIES
from tests.conftest import at
from tests.driver import Case

SCHEDULED = {"self_inspection", "archive_security_check"}


def plan(sessions) -> dict[str, dict]:
    with sessions() as s:
        return {r["process_id"]: r for r in schedules.listing(s)}


def change(sessions, key, value, when="2026-03-01 09:00"):
    with sessions() as s, s.begin():
        settings.change(s, key, value, "admin", at(when))


def started(sessions, when) -> dict[str, str]:
    done, failed = schedules.start_due(sessions, at(when))
    assert failed == []
    return {d["process_id"]: d["instance_id"] for d in done}


def count(sessions, process_id) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Instance).where(Instance.process_id == process_id))


def test_each_scheduled_process_starts_one_case_at_each_time_of_its_cycle(sessions):
    assert started(sessions, "2026-03-02 09:00") == {}
    rows = plan(sessions)
    assert set(rows) == SCHEDULED  # the other processes have no timer start
    # The default cycle: quarterly from 2026-01-05 09:00, Beijing time.
    assert rows["self_inspection"]["next_at"] == "2026-04-05T09:00:00+08:00"
    assert started(sessions, "2026-04-05 08:59") == {}
    first = started(sessions, "2026-04-05 09:00")
    assert set(first) == SCHEDULED
    assert started(sessions, "2026-04-05 09:00") == {} and started(sessions, "2026-04-06 09:00") == {}
    assert plan(sessions)["self_inspection"]["next_at"] == "2026-07-05T09:00:00+08:00"

    campaign = Case.of(sessions, first["self_inspection"], at("2026-04-05 09:00"))
    view = campaign.view()
    assert (view["status"], view["started_by"]) == ("running", "system")
    # The system has no organisation: the setting self_inspection_leads names the region (default 襄垣县).
    assert view["title"] == "2026年4月定期市场准入违规案例自查自纠（XY-ZC-2026-0001）"
    assert view["data"]["lead"] == "county_ndrc"
    with sessions() as s:
        county = s.scalar(select(Organisation.id).where(Organisation.code == "county_gov"))
        departments = set(s.scalars(select(Organisation.code).where(Organisation.parent_id == county,
                                                                    Organisation.kind == "department",
                                                                    Organisation.code != "county_ndrc")))
    assert len(departments) == 5
    assert {(t["task_name"], t["organisation"]) for t in view["ready_tasks"]} == {
        ("inspect", code) for code in departments}
    # Every scope the documents name, exactly the shared list's.
    assert view["data"]["scope"] == list(VOCABULARIES["inspection_scope"])
    check = Case.of(sessions, first["archive_security_check"], at("2026-04-05 09:00")).view()
    assert (check["title"], check["ready_tasks"][0]["organisation"]) == ("临汾市案例资料安全检查（LF-AQ-2026-0001）",
                                                                      "city_ndrc")
    # The report deadline is counted from the setting: 20 working days from Sun 04-05.
    assert view["data"]["report_deadline"].startswith("2026-05-")
    assert plan(sessions)["self_inspection"]["last_instance_id"] == campaign.id
    with sessions() as s:
        assert replay.verify(s, list(first.values()))["failed"] == []


def test_a_changed_cycle_counts_from_now_and_a_stopped_one_starts_nothing(sessions):
    started(sessions, "2026-03-02 09:00")
    change(sessions, "self_inspection_cycle", "R/2026-05-01T10:00/P1M")
    assert "self_inspection" not in started(sessions, "2026-04-10 09:00")
    assert plan(sessions)["self_inspection"]["next_at"] == "2026-05-01T10:00:00+08:00"
    assert set(started(sessions, "2026-05-01 10:00")) == {"self_inspection"}
    assert plan(sessions)["self_inspection"]["next_at"] == "2026-06-01T10:00:00+08:00"

    change(sessions, "self_inspection_cycle", cycles.OFF)
    assert "self_inspection" not in started(sessions, "2026-06-01 10:00")
    assert "self_inspection" not in plan(sessions)
    assert count(sessions, "self_inspection") == 1
    # A one-off date starts one case and then no more.
    change(sessions, "self_inspection_cycle", "2026-06-15T09:00")
    assert set(started(sessions, "2026-06-15 09:00")) == {"self_inspection"}
    assert "self_inspection" not in plan(sessions) and "self_inspection" not in started(sessions, "2027-06-15 09:00")


def test_workers_stopped_over_several_cycles_start_one_case_for_the_latest(sessions):
    started(sessions, "2026-01-05 08:00")
    assert plan(sessions)["self_inspection"]["next_at"] == "2026-01-05T09:00:00+08:00"
    late = started(sessions, "2026-07-10 14:00")
    assert count(sessions, "self_inspection") == 1
    campaign = Case.of(sessions, late["self_inspection"], at("2026-07-10 14:00"))
    assert campaign.view()["title"].startswith("2026年7月定期")
    assert plan(sessions)["self_inspection"]["next_at"] == "2026-10-05T09:00:00+08:00"


def test_a_manual_or_notice_start_never_fires_the_timer_start(sessions):
    case = Case(sessions, "self_inspection", "county_ndrc", at("2026-04-05 08:00"),
                {"campaign_title": "手动部署的自查", "scope": ["policy"]})
    case.complete("choose_departments", "county_ndrc", at("2026-04-05 08:00"), {"departments": ["county_housing"]})
    assert case.ready() == ["inspect"]
    assert case.view()["data"]["scheduled_for"] is None
    assert set(started(sessions, "2026-04-05 09:00")) == SCHEDULED
    assert count(sessions, "self_inspection") == 2


def test_each_region_a_setting_lists_runs_its_own_scheduled_campaign_and_check(sessions):
    """Scheduled cases have no starter: the settings name the regions that run them, one case per region, each
    led by its own NDRC over its own departments and archive."""
    archived = Case(sessions, "case_registry", "city_housing", at("2026-03-02 09:00"),
                    {"title": "某局限定本地供应商", "summary": "采购公告限定本市企业。", "category": "HIDDEN_BARRIER",
                     "case_date": "2026-02-20"})
    archived.complete("check_materials", "city_ndrc", at("2026-03-02 10:00"), {"materials_decision": "accept"})
    archived.complete("classify", "city_ndrc", at("2026-03-02 11:00"),
                      {"archive_category": "HIDDEN_BARRIER", "case_date": "2026-02-20", "importance": "general",
                       "keywords": ""})
    started(sessions, "2026-03-02 09:00")
    change(sessions, "self_inspection_leads", "county_ndrc, city_gov")
    change(sessions, "archive_security_leads", "city_ndrc，county_ndrc")
    first = started(sessions, "2026-04-05 09:00")
    assert set(first) == SCHEDULED  # one schedule each; the first case starts the other regions'
    assert count(sessions, "self_inspection") == 2 and count(sessions, "archive_security_check") == 2
    with sessions() as s:
        cases = {i.id: i for i in s.scalars(select(Instance).where(Instance.process_id.in_(SCHEDULED)))}
    views = {iid: Case.of(sessions, iid, at("2026-04-05 09:00")).view() for iid in cases}
    campaigns = {v["data"]["lead"]: v for v in views.values() if v["process_id"] == "self_inspection"}
    assert set(campaigns) == {"county_ndrc", "city_ndrc"}
    linfen, xiangyuan = campaigns["city_ndrc"], campaigns["county_ndrc"]
    assert linfen["data"]["source_instance"] == xiangyuan["instance_id"] == first["self_inspection"]
    assert linfen["title"] == "2026年4月定期市场准入违规案例自查自纠（LF-ZC-2026-0001）"
    assert {t["organisation"] for t in linfen["ready_tasks"]} == {
        "city_market_regulation", "city_approval_bureau", "city_housing", "city_justice"}
    assert {t["organisation"] for t in xiangyuan["ready_tasks"]} >= {"county_housing", "county_transport"}
    checks = {v["data"]["lead"]: v for v in views.values() if v["process_id"] == "archive_security_check"}
    assert {lead: v["title"] for lead, v in checks.items()} == {
        "city_ndrc": "临汾市案例资料安全检查（LF-AQ-2026-0001）",
        "county_ndrc": "襄垣县案例资料安全检查（XY-AQ-2026-0001）"}
    # Each checks its own region's archive: Linfen's one case, none of Xiangyuan's.
    assert checks["city_ndrc"]["data"]["integrity_result"]["checked"] == 1
    assert checks["county_ndrc"]["data"]["integrity_result"]["checked"] == 0
    assert {v["ready_tasks"][0]["organisation"] for v in checks.values()} == {"city_ndrc", "county_ndrc"}
    with sessions() as s:
        assert replay.verify(s, list(cases))["failed"] == []


def test_the_regions_a_setting_lists_must_exist(sessions):
    for value, message in [("nowhere_ndrc", "单位 nowhere_ndrc 不存在"), ("county ndrc!", "单位代码"),
                           (" ", "单位代码")]:
        with pytest.raises(InvalidInput, match=message):
            change(sessions, "self_inspection_leads", value)
    with sessions() as s:
        assert settings.values(s)["self_inspection_leads"] == "county_ndrc"
        assert settings.for_process(settings.values(s), "self_inspection")["self_inspection_leads"] == ["county_ndrc"]


def test_bad_cycles_are_refused_with_a_message_and_nothing_changes(sessions):
    for value, message in [("每季度", "不是有效的启动周期"), ("R/2026-01-05T09:00/P0D", "周期必须大于零"),
                           ("R/2026-01-05T09:00/PT5M", "至少一小时"), ("R/2026-02-30T09:00/P1M", "开始时间")]:
        with pytest.raises(InvalidInput, match=message):
            change(sessions, "self_inspection_cycle", value)
    with sessions() as s:
        assert settings.values(s)["self_inspection_cycle"] == settings.known()["self_inspection_cycle"].default


DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="periodic_probe" isExecutable="true">
    <bpmn:startEvent id="tick"><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:endEvent id="done"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="done" />
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("timer, message", [
    ("<bpmn:timeDuration>\"P1D\"</bpmn:timeDuration>", "不能用 timeDuration"),
    ("<bpmn:timeCycle>probe_cycle</bpmn:timeCycle>", "启动周期设置的名称"),
    ("<bpmn:timeCycle>archive_security_days</bpmn:timeCycle>", "不是启动周期"),
    ("<bpmn:timeCycle>\"R/2026-01-05T09:00/P0D\"</bpmn:timeCycle>", "周期必须大于零"),
])
def test_a_diagram_with_an_unusable_timer_start_is_refused_naming_the_element(sessions, timer, message):
    with sessions() as s, s.begin(), pytest.raises(DefinitionError) as refused:
        definitions.deploy(s, [("probe.bpmn", DIAGRAM.format(timer=timer).encode())], "admin", at("2026-03-01 09:00"))
    assert [(p.element_id, message in p.message) for p in refused.value.problems] == [("tick", True)]


def test_a_literal_cycle_in_the_diagram_is_scheduled_as_written(sessions):
    with sessions() as s, s.begin():
        definitions.deploy(s, [("probe.bpmn", DIAGRAM.format(
            timer='<bpmn:timeCycle>"R3/2026-03-02T08:00/P1W"</bpmn:timeCycle>').encode())], "admin", at("2026-03-01"))
    assert started(sessions, "2026-03-01 09:00") == {}
    assert plan(sessions)["periodic_probe"]["next_at"] == "2026-03-02T08:00:00+08:00"
    for week in ("2026-03-02", "2026-03-09", "2026-03-16"):
        assert "periodic_probe" in started(sessions, f"{week} 08:00")
    assert "periodic_probe" not in plan(sessions) and count(sessions, "periodic_probe") == 3
    with sessions() as s:
        assert {i.status for i in s.scalars(select(Instance).where(Instance.process_id == "periodic_probe"))} == {
            "completed"}


def test_concurrent_ticks_start_each_scheduled_case_exactly_once(sessions):
    started(sessions, "2026-03-02 09:00")
    results, barrier = [], threading.Barrier(4)

    def tick():
        barrier.wait()
        results.append(schedules.start_due(sessions, at("2026-04-05 09:00")))

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(d["process_id"] for done, _ in results for d in done) == sorted(SCHEDULED)
    assert [f for _, failed in results for f in failed] == []
    assert count(sessions, "self_inspection") == 1 and count(sessions, "archive_security_check") == 1


def test_a_scheduled_case_that_fails_is_listed_and_the_schedule_moves_on(sessions):
    failing = DIAGRAM.format(timer='<bpmn:timeCycle>"R/2026-03-02T08:00/P1D"</bpmn:timeCycle>').replace(
        '<bpmn:endEvent id="done"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>',
        '<bpmn:scriptTask id="done"><bpmn:incoming>f1</bpmn:incoming><bpmn:script>x = 1 / 0</bpmn:script>'
        '</bpmn:scriptTask>')
    with sessions() as s, s.begin():
        definitions.deploy(s, [("probe.bpmn", failing.encode())], "admin", at("2026-03-01"))
    assert started(sessions, "2026-03-01 09:00") == {}
    instance_id = started(sessions, "2026-03-02 08:00")["periodic_probe"]
    with sessions() as s:
        assert s.get(Instance, instance_id).status == "error"
        assert [i["instance_id"] for i in timers.incidents(s) if i["kind"] == "instance"] == [instance_id]
    assert plan(sessions)["periodic_probe"]["next_at"] == "2026-03-03T08:00:00+08:00"
