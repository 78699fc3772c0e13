"""The archive's periodic security check (L§13(六)) in either place: the system verifies every case the region
archived (its record and materials), the region's NDRC (the case-material office) checks storage, access,
backups and catalogue, and whatever is found is rectified on a deadline through the rectification ledger; a
late check or rectification is reported to the region's government."""
import pytest
from sqlalchemy import update

from engine import queries, runtime
from engine.audit import replay
from engine.errors import FormInvalid, NotEntitled
from engine.people import directory
from engine.store.models import StoredFile
from handlers.registers import ledgers
from tests.conftest import at
from tests.driver import Case, upload
from tests.integration.test_case_registry import CLASSIFIED, submitted

CHECKED = ["storage", "access", "backup", "catalogue", "integrity"]


def archived(sessions, user="city_market_regulation", lead="city_ndrc") -> str:
    """One department's case material, checked, numbered and catalogued by its region's NDRC (by default a
    Linfen city department's, LF-2026-0001); returns the material's file id."""
    material = upload(sessions, "协会章程.pdf", b"%PDF-1.4 charter", user, at("2026-03-02 08:00"))
    case = submitted(sessions, user=user, materials=[material])
    case.complete("check_materials", lead, at("2026-03-02 10:00"), {"materials_decision": "accept"})
    case.complete("classify", lead, at("2026-03-02 11:00"), CLASSIFIED)
    return material


def check(sessions, when="2026-04-01 09:00", user="city_ndrc") -> Case:
    return Case(sessions, "archive_security_check", user, at(when), {"check_reason": "档案室搬迁后检查"})


def instructions(sessions, case: Case) -> str:
    task_id = case.task("inspect")["task_id"]
    with sessions() as s:
        return queries.task_detail(s, directory.actor(s, "city_ndrc"), task_id, case.now)["instructions"]


def record(sessions, when="2026-04-02 09:00") -> list[str]:
    return [upload(sessions, "检查记录.pdf", b"%PDF-1.4 record", "city_ndrc", at(when))]


def ledger_item(sessions, key):
    with sessions() as s:
        return next((r for r in ledgers.items(s, ledger="rectification") if r["item_key"] == key), None)


def test_a_clean_archive_passes_its_check(sessions):
    archived(sessions)
    archived(sessions, "county_market_regulation", "county_ndrc")  # Xiangyuan's archive is not Linfen's to check
    case = check(sessions)
    assert case.task("inspect")["organisation"] == "city_ndrc"
    assert case.view()["title"] == "临汾市案例资料安全检查（LF-AQ-2026-0001）"
    assert "系统核验 1 件档案，记录与材料均完整" in instructions(sessions, case)
    # L§13(六): within the set 10 working days (04-04..06 are the Qingming holidays).
    assert case.timers()["inspect_deadline"] == at("2026-04-17 00:00")
    passed = {"checked_items": CHECKED, "check_result": "pass", "check_record": record(sessions)}
    assert case.complete("inspect", "city_ndrc", at("2026-04-02 09:00"), passed) == "completed"
    assert "end_passed" in case.view()["completed_steps"] and ledger_item(sessions, "LF-AQ-2026-0001") is None
    with sessions() as s:
        assert replay.verify(s, [case.id])["failed"] == []


def test_altered_material_is_found_by_the_system_and_must_be_rectified(sessions):
    material = archived(sessions)
    with sessions() as s, s.begin():
        s.execute(update(StoredFile).where(StoredFile.id == material).values(content=b"%PDF-1.4 forged"))
    case = check(sessions)
    text = instructions(sessions, case)
    assert "发现 1 个问题" in text and "LF-2026-0001" in text and "SHA-256 不符" in text
    # Even when the office sees nothing wrong, what the system found is rectified.
    case.complete("inspect", "city_ndrc", at("2026-04-02 09:00"),
                  {"checked_items": CHECKED, "check_result": "pass", "check_record": record(sessions)})
    item = ledger_item(sessions, "LF-AQ-2026-0001")
    assert (item["status"], item["organisation"], item["source"]) == ("rectifying", "city_ndrc", "案例资料安全检查")
    assert "LF-2026-0001" in item["title"]
    evidence = upload(sessions, "恢复记录.pdf", b"%PDF-1.4 restored", "city_ndrc", at("2026-04-08 09:00"))
    assert case.complete("rectify", "city_ndrc", at("2026-04-08 09:00"),
                         {"rectification_result": "已从备份恢复原件并核对。", "rectification_evidence": [evidence]}
                         ) == "completed"
    assert ledger_item(sessions, "LF-AQ-2026-0001")["status"] == "closed"


def test_problems_the_office_finds_get_their_own_deadline_and_person(sessions):
    case = check(sessions)
    task_id, files = case.task("inspect")["task_id"], record(sessions)
    with pytest.raises(FormInvalid) as refused, sessions() as s, s.begin():
        runtime.complete_task(s, task_id, {"checked_items": CHECKED, "check_result": "problems", "check_record": files},
                              directory.actor(s, "city_ndrc"), at("2026-04-02 09:00"))
    assert set(refused.value.errors) == {"findings", "rectify_due", "responsible_person"}
    case.complete("inspect", "city_ndrc", at("2026-04-02 10:00"),
                  {"checked_items": CHECKED, "check_result": "problems", "findings": "电子档案未异地备份",
                   "rectify_due": "2026-04-30", "responsible_person": "李四", "check_record": record(sessions)})
    item = ledger_item(sessions, "LF-AQ-2026-0001")
    assert (item["title"], item["person"], item["deadline"]) == (
        "电子档案未异地备份", "李四", at("2026-05-01 00:00").isoformat())
    # Not rectified by its deadline: reported to the city government, supervised by the city NDRC.
    assert case.fire(at("2026-05-01 00:01")) == ["rectify_deadline_timer"]
    assert [(e["step"], e["overdue_unit"], e["reported_to"]) for e in case.view()["escalations"]] == [
        ("rectify", "city_ndrc", "city_gov")]
    assert case.ready() == ["rectify"]  # the deadline reports; the work stays to be done


def test_a_check_not_done_in_time_is_reported(sessions):
    case = check(sessions)
    assert case.fire(at("2026-04-17 00:01")) == ["inspect_deadline"]
    assert [(e["step"], e["reported_to"]) for e in case.view()["escalations"]] == [("inspect", "city_gov")]
    assert ("city_gov", "逾期情况报告") in case.notifications()


def test_a_check_needs_its_reason_and_only_the_archive_office_starts_it(sessions):
    with pytest.raises(FormInvalid) as refused:
        Case(sessions, "archive_security_check", "city_ndrc", at("2026-04-01 09:00"), {})
    assert set(refused.value.errors) == {"check_reason"}
    with pytest.raises(NotEntitled):
        Case(sessions, "archive_security_check", "county_housing", at("2026-04-01 09:00"), {"check_reason": "x"})


def test_xiangyuans_ndrc_checks_xiangyuans_archive_and_reports_to_its_county(sessions):
    material = archived(sessions, "county_market_regulation", "county_ndrc")
    archived(sessions)  # Linfen's, untouched by Xiangyuan's check
    with sessions() as s, s.begin():
        s.execute(update(StoredFile).where(StoredFile.id == material).values(content=b"%PDF-1.4 forged"))
    case = check(sessions, user="county_ndrc_clerk")
    assert case.view()["title"] == "襄垣县案例资料安全检查（XY-AQ-2026-0001）"
    assert case.task("inspect")["organisation"] == "county_ndrc"
    task_id = case.task("inspect")["task_id"]
    with sessions() as s:
        text = queries.task_detail(s, directory.actor(s, "county_ndrc"), task_id, case.now)["instructions"]
    assert "系统核验 1 件档案，发现 1 个问题：XY-2026-0001" in text and "LF-2026" not in text
    assert case.fire(at("2026-04-17 00:01")) == ["inspect_deadline"]
    assert [(e["step"], e["overdue_unit"], e["reported_to"]) for e in case.view()["escalations"]] == [
        ("inspect", "county_ndrc", "county_gov")]
    notices = dict(case.notifications())
    assert set(notices) == {"county_gov", "county_ndrc"}
    with sessions() as s:
        assert replay.verify(s, [case.id])["failed"] == []
