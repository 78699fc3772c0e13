"""0137's L§12(六): every lapse (a step overdue, a unit reported for shirking) is put before the lead NDRC as its own
督办 naming the step and unit; the NDRC urges the unit or reports to its government, which may circulate a numbered
notice to every unit of the region; and the clue ledger (线索台账) shows each clue's dates and 动态清零."""
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from engine import queries
from engine.audit import replay
from engine.people import directory
from engine.store.models import Notification
from handlers.registers import circulars, clue_ledger
from tests.conftest import at
from tests.driver import Case, upload
from tests.integration.test_clue_0137 import (
    COMPETENT,
    REGISTER,
    TITLE,
    VERIFY_YES,
    evidence,
    received_and_transferred,
    rectify_and_forward,
)


def late_transfer_and_verification(sessions) -> Case:
    """Received Fri 02-13, transferred late on Mon 02-16, then not verified within three working days."""
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    assert case.fire(at("2026-02-15 00:00:01")) == ["transfer_deadline"]
    case.complete("transfer", "city_ndrc", at("2026-02-24 09:00"), {"competent_unit": COMPETENT})
    # The transfer's 督办 (due 02-25) has lapsed by then too: it stays, red, in the NDRC's list.
    assert sorted(case.fire(at("2026-02-28 00:00:01"))) == ["supervise_deadline", "verify_deadline"]
    return case


def supervisions(case: Case) -> dict[str, dict]:
    return {t["title"]: t for t in case.view()["ready_tasks"] if t["task_name"] == "supervise"}


def test_each_lapse_is_its_own_supervision_titled_by_step_and_unit(sessions):
    case = late_transfer_and_verification(sessions)
    found = supervisions(case)
    assert set(found) == {"督办：移交逾期（临汾市发展和改革委员会）", "督办：核查逾期（临汾市尧都区人民政府）"}
    assert {t["organisation"] for t in found.values()} == {"city_ndrc"}
    # Each has its own deadline (clue_supervise_days, 2 working days from the lapse).
    assert found["督办：移交逾期（临汾市发展和改革委员会）"]["due_at"] == at("2026-02-26 00:00").isoformat()
    assert found["督办：核查逾期（临汾市尧都区人民政府）"]["due_at"] == at("2026-03-04 00:00").isoformat()
    assert [(e["step"], e["overdue_unit"], e["reported_to"]) for e in case.view()["escalations"]] == [
        ("transfer", "city_ndrc", "city_ndrc"), ("verify", COMPETENT, "city_ndrc")]
    assert ("city_ndrc", "督办：核查逾期（临汾市尧都区人民政府）") in case.notifications()
    with sessions() as s:  # the government hears of nothing until the NDRC reports
        assert not queries.tasks_for(s, directory.actor(s, "city_gov"), at("2026-02-28 09:00"))


def test_urging_tells_the_late_unit(sessions):
    case = late_transfer_and_verification(sessions)
    task_id = supervisions(case)["督办：核查逾期（临汾市尧都区人民政府）"]["task_id"]
    with sessions() as s, s.begin():
        from engine import runtime
        runtime.complete_task(s, task_id, {"supervision_decision": "urge", "urge_note": "请于今日内完成核查并反馈。"},
                              directory.actor(s, "city_ndrc"), at("2026-02-28 09:00"))
    assert (COMPETENT, f"催办：核查逾期（{TITLE}）") in case.notifications()
    assert "government_review" not in case.ready()


def test_a_report_reaches_the_government_at_once_and_a_circular_is_read_by_the_regions_units(sessions):
    case = late_transfer_and_verification(sessions)
    report = upload(sessions, "督办报告.pdf", b"%PDF-1.4 report", "city_ndrc", at("2026-02-28 08:00"))
    task_id = supervisions(case)["督办：核查逾期（临汾市尧都区人民政府）"]["task_id"]
    with sessions() as s, s.begin():
        from engine import runtime
        runtime.complete_task(s, task_id, {"supervision_decision": "report", "report_files": [report],
                                           "report_to_government": "尧都区政府核查逾期，经催办仍未反馈，特此报告。"},
                              directory.actor(s, "city_ndrc"), at("2026-02-28 09:00"))
    with sessions() as s:
        mine = queries.tasks_for(s, directory.actor(s, "city_gov"), at("2026-02-28 09:01"))
        assert [t["title"] for t in mine] == ["阅示督办报告：核查逾期（临汾市尧都区人民政府）"]
        shown = queries.task_detail(s, directory.actor(s, "city_gov"), mine[0]["task_id"], at("2026-02-28 09:01"))
        assert "尧都区政府核查逾期，经催办仍未反馈" in shown["instructions"]
    assert ("city_gov", "督办报告：核查逾期（临汾市尧都区人民政府）") in case.notifications()
    assert ("verify", COMPETENT, "city_gov") in [(e["step"], e["overdue_unit"], e["reported_to"])
                                                  for e in case.view()["escalations"]]
    case.complete("government_review", "city_gov", at("2026-03-02 09:00"),
                  {"government_instruction": "请严格落实0137制度，全市通报。", "citywide_notice": True})
    with sessions() as s:
        seen = circulars.readable(s, "yaodu_market_regulation")
        assert [(c["issue"], c["region"]) for c in seen] == [("2026年第1期", "city_gov")]
        assert seen[0]["title"] == "关于临汾市尧都区人民政府在问题线索核查整改中核查逾期的通报"
        assert "请严格落实0137制度" in seen[0]["body"] and "经催办仍未反馈" in seen[0]["body"]
        assert circulars.readable(s, "city_housing") == seen and circulars.readable(s, "city_gov") == seen
        assert circulars.readable(s, "county_housing") == []  # 襄垣县 is another city's county


def test_circulars_are_numbered_per_region(sessions):
    for lead in ("city_ndrc", "county_ndrc", "city_ndrc"):
        case = Case(sessions, "clue_0137", lead, at("2026-02-13 09:30"))
        case.complete("register", lead, at("2026-02-13 09:40"), REGISTER)
        case.fire(at("2026-02-15 00:00:01"))
        case.complete("supervise", lead, at("2026-02-16 09:00"),
                      {"supervision_decision": "report", "report_to_government": "移交逾期，特此报告。"})
        government = case.task("government_review")["organisation"]
        case.complete("government_review", government, at("2026-02-16 10:00"),
                      {"government_instruction": "通报。", "citywide_notice": True})
    with sessions() as s:
        assert [c["issue"] for c in circulars.readable(s, "city_housing")] == ["2026年第2期", "2026年第1期"]
        assert [(c["issue"], c["region_name"]) for c in circulars.readable(s, "county_housing")] == [
            ("2026年第1期", "襄垣县人民政府")]


def test_any_party_may_report_shirking_and_it_reaches_the_ndrcs_supervision(sessions):
    case = received_and_transferred(sessions)
    case.message("report_shirking", "city_ndrc", at("2026-02-24 09:00"), {
        "unit_role": "competent", "conduct": "shirk", "description": "尧都区政府称不属本单位职责，推诿不核查。"})
    assert supervisions(case).keys() == {"督办：被反映推诿（临汾市尧都区人民政府）"}
    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    case.message("report_shirking", COMPETENT, at("2026-02-25 09:00"),
                 {"unit_role": "responsible", "conduct": "delay", "description": "责任单位迟迟未启动整改工作。"})
    assert set(supervisions(case)) == {"督办：被反映推诿（临汾市尧都区人民政府）",
                                       "督办：被反映拖延（临汾市尧都区市场监督管理局）"}
    received = [e for e in case.history() if e["kind"] == "message_received"]
    assert [(e["actor"], e["task_name"]) for e in received] == [("city_ndrc", "report_shirking"),
                                                               (COMPETENT, "report_shirking")]


def test_notifications_name_units_and_steps_never_codes(sessions):
    case = late_transfer_and_verification(sessions)
    case.complete("verify", COMPETENT, at("2026-03-02 09:00"), VERIFY_YES)
    application = upload(sessions, "延期申请.pdf", b"%PDF-1.4 application", COMPETENT, at("2026-03-02 10:00"))
    case.message("extension_request", COMPETENT, at("2026-03-02 10:00"),
                 {"reason": "情况复杂，需要联合修订。", "requested_until": "2026-03-20", "application": [application]})
    case.complete("forward_extension", "city_ndrc", at("2026-03-02 11:00"),
                  {"forward_decision": "forward", "forward_opinion": "同意转报。"})
    case.complete("approve_extension", "province_ndrc", at("2026-03-03 09:00"),
                  {"extension_decision": "approve", "extended_until": "2026-03-20", "approval_opinion": "同意。"})
    with sessions() as s:
        codes = set(directory.names(s))
        texts = [n.title + n.body for n in s.scalars(select(Notification).where(Notification.instance_id == case.id))]
    assert len(texts) >= 6
    for text in texts:
        assert not set(re.findall(r"[a-z_]{3,}", text)) & codes, text
        assert "案件" not in text and case.id not in text


def test_the_clue_ledger_shows_each_clues_dates_flags_and_clearing(sessions):
    case = late_transfer_and_verification(sessions)
    case.complete("verify", COMPETENT, at("2026-03-02 09:00"), VERIFY_YES)
    application = upload(sessions, "延期申请.pdf", b"%PDF-1.4 application", COMPETENT, at("2026-03-02 10:00"))
    case.message("extension_request", COMPETENT, at("2026-03-02 10:00"),
                 {"reason": "情况复杂，需要联合修订。", "requested_until": "2026-03-20", "application": [application]})
    case.complete("forward_extension", "city_ndrc", at("2026-03-02 11:00"),
                  {"forward_decision": "forward", "forward_opinion": "同意转报。"})
    case.complete("approve_extension", "province_ndrc", at("2026-03-03 09:00"),
                  {"extension_decision": "approve", "extended_until": "2026-03-20", "approval_opinion": "同意。"})
    rectify_and_forward(case, sessions, "2026-03-10 09:00", "2026-03-10 10:00",
                        [evidence(sessions, when="2026-03-10 08:00")])
    case.complete("check_report", "city_ndrc", at("2026-03-11 09:00"),
                  {"report_decision": "complete", "check_opinion": "同意销号。"})
    still_open = Case(sessions, "clue_0137", "county_ndrc", at("2026-03-12 09:00"))
    still_open.complete("register", "county_ndrc", at("2026-03-12 09:10"), REGISTER | {"region": "襄垣县"})
    with sessions() as s:
        names = directory.names(s)
        rows = [r for r in clue_ledger.rows(s, names) if r["instance_id"] in (case.id, still_open.id)]
    closed, waiting = rows
    assert (closed["received"], closed["transferred"], closed["verified"], closed["rectified"], closed["closed"]) == (
        "2026-02-13", "2026-02-24", "2026-03-02", "2026-03-11", "2026-03-11")
    assert (closed["competent_unit"], closed["responsible_unit"]) == (
        "临汾市尧都区人民政府", "临汾市尧都区市场监督管理局")
    assert (closed["overdue_text"], closed["extended_text"], closed["status_text"]) == (
        "移交逾期、核查逾期", "延至2026-03-20", "已销号")
    assert (waiting["received"], waiting["transferred"], waiting["status_text"], waiting["overdue"]) == (
        "2026-03-12", "", "待移交", False)
    assert clue_ledger.progress(rows) == {"total": 2, "cleared": 1, "open": 1, "overdue": 1, "rate": "50%"}
    sheet = load_workbook(io.BytesIO(clue_ledger.workbook(rows, at("2026-03-12 10:00")))).active
    assert "已销号 1 条，未销号 1 条" in sheet["A1"].value
    assert [c.value for c in sheet[2]][:4] == ["序号", "线索", "来源", "收到日期"]
    assert [c.value for c in sheet[3]][3:5] == ["2026-02-13", "2026-02-24"]
    assert sheet[3][10].value == "移交逾期、核查逾期"


def test_every_supervised_extended_and_circulated_clue_replays(sessions):
    test_a_report_reaches_the_government_at_once_and_a_circular_is_read_by_the_regions_units(sessions)
    test_the_clue_ledger_shows_each_clues_dates_flags_and_clearing(sessions)
    test_any_party_may_report_shirking_and_it_reaches_the_ndrcs_supervision(sessions)
    with sessions() as s:
        result = replay.verify(s, None)
    assert result["failed"] == [] and result["verified"] >= 4
