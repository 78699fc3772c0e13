"""0137 deadlines on the official calendar: reminders, red cards, escalation, years not yet loaded."""
import pytest
from sqlalchemy import select

from engine.errors import InvalidInput
from engine.store.models import CalendarDay, CalendarYear
from engine.timing import deadlines, holidays
from tests.conftest import at
from tests.driver import Case, snapshot, upload

REGISTER = {"source": "national", "summary": "某部门对外地企业增设备案要求", "category": "HIDDEN_BARRIER",
            "region": "临汾市"}
VERIFY_YES = {"verification": "经核查属实。", "violation_found": "yes", "responsible_unit": "yaodu_market_regulation",
              "rectification_opinion": "取消备案要求。"}
# Written by an administrator from the State Council notice for 2027; test data, not the official schedule.
CAL_2027 = """date,kind,name
2027-01-01,holiday,元旦
2027-01-02,holiday,元旦
2027-01-03,holiday,元旦
2027-02-06,holiday,春节
2027-02-07,holiday,春节
2027-02-08,holiday,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-12,holiday,春节
2027-02-20,workday,春节
"""


def iso(text: str) -> str:
    return at(text).isoformat()


def registered(sessions, when: str) -> Case:
    case = Case(sessions, "clue_0137", "city_ndrc", at(when))
    case.complete("register", "city_ndrc", at(when), REGISTER)
    return case


def import_calendar(sessions, text: str, now: str, name: str = "2027.csv") -> dict:
    with sessions() as s, s.begin():
        return deadlines.import_calendar(s, name, text.encode(), "admin", at(now))


def test_clue_received_friday_feb_13_through_every_deadline(sessions):
    case = registered(sessions, "2026-02-13 09:30")
    transfer = case.task("transfer")
    # L§12(一): transfer within 1 working day — Sat 02-14 is a make-up workday.
    assert transfer["due_at"] == iso("2026-02-15 00:00") and transfer["card"] == "green"
    assert transfer["provisional"] is False and transfer["remind_at"] == iso("2026-02-14 00:00")
    assert case.fire(at("2026-02-13 23:59")) == []
    assert case.fire(at("2026-02-14 00:00:01")) == []  # the reminder is not a BPMN timer
    assert ("city_ndrc", "催办：移交主管单位") in case.notifications()
    assert case.view(at("2026-02-14 08:00"))["ready_tasks"][0]["card"] == "yellow"
    assert [e["kind"] for e in case.history()].count("reminder_sent") == 1
    assert case.fire(at("2026-02-14 12:00")) == []  # one reminder per deadline

    case.complete("transfer", "city_ndrc", at("2026-02-13 16:00"), {"competent_unit": "yaodu_gov"})
    # L§12(三): verify within 3 working days — 02-15..23 Spring Festival, so the third is 02-25.
    assert case.task("verify")["due_at"] == iso("2026-02-26 00:00")
    case.complete("verify", "yaodu_gov", at("2026-02-13 17:00"), VERIFY_YES)
    # L§12(四): rectify within 7 days, counted as calendar days; 02-20 is a holiday, so 02-24.
    assert case.task("rectify")["due_at"] == iso("2026-02-25 00:00")
    assert case.fire(at("2026-02-25 00:00")) == []  # due at 24:00 of 02-24, not before
    assert case.fire(at("2026-02-25 00:00:01")) == ["rectify_deadline"]
    rectify = case.task("rectify")
    assert rectify["card"] == "red" and rectify["overdue"] is True and rectify["due_at"] == iso("2026-02-25 00:00")
    assert "supervise" in case.ready()
    view = case.view()
    assert view["overdue"] is True
    # L§12(六): the lapse is put before the city NDRC, which decides whether to report to the city government.
    shown = [{k: v for k, v in e.items() if k != "step_title"} for e in view["escalations"]]
    assert shown == [{"step": "rectify", "overdue_unit": "yaodu_market_regulation", "reported_to": "city_ndrc",
                      "due_at": iso("2026-02-25 00:00"), "escalated_at": iso("2026-02-25 00:00:01")}]
    fired = [e for e in case.history() if e["kind"] == "timer_fired"]
    assert fired[0]["data"]["due_at"] == iso("2026-02-25 00:00")
    assert fired[0]["data"]["fired_at"] == iso("2026-02-25 00:00:01")


def test_a_step_completed_after_its_deadline_before_any_tick_is_still_overdue(sessions):
    case = registered(sessions, "2026-02-13 09:30")
    case.complete("transfer", "city_ndrc", at("2026-02-16 09:00"), {"competent_unit": "yaodu_gov"})
    kinds = [(e["kind"], e["actor"]) for e in case.history()]
    # What fell due on 02-15 is recorded before the late transfer, as the worker would have.
    assert kinds[-3:] == [("timer_fired", "system"), ("escalated", "system"), ("task_completed", "city_ndrc")]
    assert sorted(case.ready()) == ["supervise", "verify"]


def test_clue_received_sep_30_through_national_day(sessions):
    case = registered(sessions, "2026-09-30 09:00")
    assert case.task("transfer")["due_at"] == iso("2026-10-09 00:00")  # 10-01..07 off: 10-08
    case.complete("transfer", "city_ndrc", at("2026-09-30 15:00"), {"competent_unit": "yaodu_gov"})
    assert case.task("verify")["due_at"] == iso("2026-10-11 00:00")  # 10-08, 10-09, Sat 10-10 make-up
    case.complete("verify", "yaodu_gov", at("2026-09-30 16:00"), VERIFY_YES)
    assert case.task("rectify")["due_at"] == iso("2026-10-09 00:00")  # 10-07 is a holiday: 10-08
    assert case.fire(at("2026-10-08 23:59:59")) == []
    assert case.fire(at("2026-10-09 00:00:01")) == ["rectify_deadline"]
    assert [e["kind"] for e in case.history()].count("escalated") == 1


def test_deadline_crossing_into_2027_is_provisional_until_the_year_is_imported(sessions):
    case = registered(sessions, "2026-12-31 09:00")
    within_2026 = registered(sessions, "2026-12-28 09:00")
    transfer = case.task("transfer")
    # Fri 2027-01-01 counts on the Monday–Friday rule, marked provisional wherever shown.
    assert transfer["due_at"] == iso("2027-01-02 00:00") and transfer["provisional"] is True
    assert case.view()["waiting_timers"][0]["provisional"] is True
    assert within_2026.task("transfer")["provisional"] is False

    result = import_calendar(sessions, CAL_2027, "2026-12-31 10:00")
    assert result["year"] == 2027 and result["holidays"] == 10 and result["workdays"] == 1
    assert [(c["instance_id"], c["timer"], c["old_due"], c["new_due"]) for c in result["recounted"]] == [
        (case.id, "transfer_deadline", iso("2027-01-02 00:00"), iso("2027-01-05 00:00"))]

    transfer = case.task("transfer")
    assert transfer["due_at"] == iso("2027-01-05 00:00") and transfer["provisional"] is False
    assert transfer["remind_at"] == iso("2027-01-04 00:00")
    assert case.timers()["transfer_deadline"] == at("2027-01-05 00:00")
    recounted = [e for e in case.history() if e["kind"] == "deadline_recounted"]
    assert recounted[0]["actor"] == "admin" and recounted[0]["data"]["year"] == 2027
    assert not [e for e in within_2026.history() if e["kind"] == "deadline_recounted"]
    assert case.fire(at("2027-01-02 01:00")) == []  # the provisional date passes harmlessly
    assert case.fire(at("2027-01-05 00:00:01")) == ["transfer_deadline"]


def test_a_claimed_step_keeps_its_holder_when_its_deadline_is_recounted(sessions):
    """The recount rewrites the step's row from what the engine knows of it; the claim, made in between by
    another transaction, stays."""
    from engine.people import claims, directory
    case = registered(sessions, "2026-12-31 09:00")
    with sessions() as s, s.begin():
        claims.claim(s, case.task("transfer")["task_id"], directory.actor(s, "city_ndrc_clerk"), at("2026-12-31 09:30"))
    import_calendar(sessions, CAL_2027, "2026-12-31 10:00")
    transfer = case.task("transfer")
    assert transfer["due_at"] == iso("2027-01-05 00:00") and transfer["assignee"] == "city_ndrc_clerk"


def test_imported_year_is_shown_and_used_for_new_deadlines(sessions):
    import_calendar(sessions, CAL_2027, "2026-12-01 10:00")
    with sessions() as s:
        shown = holidays.show(s, 2027)
        assert shown["loaded"] and shown["source"] == "2027.csv"
        assert shown["days"][-1] == {"date": "2027-02-20", "weekday": "星期六", "kind": "workday",
                                     "kind_text": "调休上班日", "name": "春节"}
        assert not holidays.show(s, 2028)["loaded"]
    case = registered(sessions, "2027-02-05 10:00")
    assert case.task("transfer")["due_at"] == iso("2027-02-16 00:00")  # 02-06..12 off, then a weekend
    assert case.task("transfer")["provisional"] is False


@pytest.mark.parametrize("text, problem", [
    ("day,kind,name\n2027-01-01,holiday,元旦\n", "第 1 行: 表头必须是 date,kind,name"),
    ("date,kind,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,元旦\n", "第 3 行: 日期 '2027-13-01' 无效"),
    ("date,kind,name\n2027-01-01,vacation,元旦\n", "第 2 行: 类型 'vacation' 无效"),
    ("date,kind,name\n2027-01-04,workday,元旦\n", "第 2 行: 2027-01-04 是星期一，本来就是工作日"),
    ("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n", "第 3 行: 日期 2027-01-01 与第 2 行重复"),
    ("date,kind,name\n2027-01-01,holiday\n", "第 2 行: 应有 3 列"),
    ("date,kind,name\n", "没有任何日期"),
    ("date,kind,name\n2099-01-01,holiday,元旦\n", "年份 2099 不在可导入的范围内"),
])
def test_a_bad_calendar_file_is_refused_naming_the_line_and_changes_nothing(sessions, text, problem):
    case = registered(sessions, "2026-12-31 09:00")
    before = snapshot(sessions)
    with sessions() as s:
        days_before = list(s.execute(select(CalendarDay.day, CalendarDay.kind)))
        years_before = list(s.scalars(select(CalendarYear.year)))
    with pytest.raises(InvalidInput, match=problem):
        import_calendar(sessions, text, "2026-12-31 10:00")
    assert snapshot(sessions) == before
    with sessions() as s:
        assert list(s.execute(select(CalendarDay.day, CalendarDay.kind))) == days_before
        assert list(s.scalars(select(CalendarYear.year))) == years_before
    assert case.task("transfer")["provisional"] is True


def test_a_corrected_notice_replaces_the_year_and_recounts_its_deadlines(sessions):
    # As in early 2020, the State Council extends a holiday after deadlines were set.
    case = registered(sessions, "2026-02-13 09:30")
    case.complete("transfer", "city_ndrc", at("2026-02-13 16:00"), {"competent_unit": "yaodu_gov"})
    assert case.task("verify")["due_at"] == iso("2026-02-26 00:00")
    with sessions() as s:
        rows = [(d, k, n) for d, k, n in s.execute(select(CalendarDay.day, CalendarDay.kind, CalendarDay.name))
                if d.year == 2026]
    text = "date,kind,name\n" + "".join(f"{d},{k},{n}\n" for d, k, n in rows) + "2026-02-24,holiday,春节延长\n"
    result = import_calendar(sessions, text, "2026-02-14 09:00", "2026-corrected.csv")
    assert [c["new_due"] for c in result["recounted"]] == [iso("2026-02-27 00:00")]
    assert case.task("verify")["due_at"] == iso("2026-02-27 00:00")


def test_an_extension_approved_after_the_deadline_passed_moves_the_shown_date(sessions):
    case = registered(sessions, "2026-02-13 09:30")
    case.complete("transfer", "city_ndrc", at("2026-02-13 16:00"), {"competent_unit": "yaodu_gov"})
    case.complete("verify", "yaodu_gov", at("2026-02-13 17:00"), VERIFY_YES)
    application = upload(sessions, "延期申请.pdf", b"%PDF-1.4 application", "yaodu_gov", at("2026-02-24 09:00"))
    case.message("extension_request", "yaodu_gov", at("2026-02-24 10:00"),
                 {"reason": "涉及多部门联合修订文件。", "requested_until": "2026-03-10", "application": [application]})
    case.complete("forward_extension", "city_ndrc", at("2026-02-24 11:00"),
                  {"forward_decision": "forward", "forward_opinion": "建议同意。"})
    assert case.fire(at("2026-02-25 00:00:01")) == ["rectify_deadline"]  # the province has not decided yet
    assert case.task("rectify")["overdue"] is True
    case.complete("approve_extension", "province_ndrc", at("2026-02-25 09:00"),
                  {"extension_decision": "approve", "extended_until": "2026-03-10", "approval_opinion": "同意。"})
    rectify = case.task("rectify")
    assert rectify["due_at"] == iso("2026-03-11 00:00") and rectify["overdue"] is False
    extended = [e for e in case.history() if e["kind"] == "deadline_extended"][0]
    assert extended["actor"] == "province_ndrc" and extended["data"]["approver"] == "province_ndrc"
    assert extended["data"]["timers"] == [{"timer": None, "old_due": iso("2026-02-25 00:00"),
                                           "new_due": iso("2026-03-11 00:00")}]
    assert [e["kind"] for e in case.history()].count("escalated") == 1
