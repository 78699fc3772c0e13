"""The flagship 0137 clue verification, walked through by each unit with an injected clock."""
import pytest

from engine import directory, runtime
from engine.errors import Conflict, FormInvalid, NotFound
from tests.conftest import at
from tests.driver import Case, snapshot, upload

REGISTER = {"source": "province", "source_ref": "晋发改体改函〔2026〕12号",
            "summary": "某县要求外地企业在本地设立分公司方可参与招投标", "category": "HIDDEN_BARRIER",
            "region": "襄垣县"}
VERIFY_YES = {"verification": "经核查，县住建局招标文件设置了本地注册要求。", "violation_found": "yes",
              "responsible_unit": "county_approval_bureau",
              "rectification_opinion": "删除本地注册条款，重新发布招标文件。"}


def received_and_transferred(sessions, received="2026-02-13 09:30", transferred="2026-02-14 10:00"):
    case = Case(sessions, "clue_0137", "city_ndrc", at(received))
    case.complete("register", "city_ndrc", at(received), REGISTER)
    case.complete("transfer", "city_ndrc", at(transferred), {"competent_unit": "county_gov"})
    return case


def evidence(sessions, user="county_approval_bureau"):
    return upload(sessions, "整改通知.pdf", b"%PDF-1.4 rectification evidence", user, at("2026-03-01 09:00"))


def test_happy_path_transfers_verifies_rectifies_and_closes(sessions):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    assert case.ready() == ["register"]
    assert case.task("register")["organisation"] == "city_ndrc"

    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    transfer = case.task("transfer")
    # L§12(二): 1 working day from Fri 02-13 is the make-up Saturday 02-14, ending at 24:00.
    assert transfer["due_at"] == at("2026-02-15 00:00").isoformat()
    assert case.view()["title"] == "襄垣县：某县要求外地企业在本地设立分公司方可参与招投标"

    case.complete("transfer", "city_ndrc", at("2026-02-14 10:00"), {"competent_unit": "county_gov"})
    verify = case.task("verify")
    assert verify["organisation"] == "county_gov"
    # L§12(三): 3 working days after 02-14 skip the Spring Festival holiday 02-15..23 → ends 02-26.
    assert verify["due_at"] == at("2026-02-27 00:00").isoformat()
    assert ("county_gov", "收到移交的问题线索") in case.notifications()

    case.complete("verify", "county_gov", at("2026-02-24 16:00"), VERIFY_YES)
    rectify = case.task("rectify")
    assert rectify["organisation"] == "county_approval_bureau"
    # L§12(四): 7 calendar days from 02-24 → 03-03 (a Tuesday, a working day).
    assert rectify["due_at"] == at("2026-03-04 00:00").isoformat()

    file_id = evidence(sessions)
    case.complete("rectify", "county_approval_bureau", at("2026-03-02 11:00"),
                  {"rectification_report": "已删除本地注册条款并重新发布招标文件。", "evidence": [file_id]})
    assert case.task("check_report")["organisation"] == "city_ndrc"
    status = case.complete("check_report", "city_ndrc", at("2026-03-03 09:00"),
                           {"report_decision": "complete", "check_opinion": "材料完整，同意销号。"})
    assert status == "completed"
    view = case.view()
    assert view["ready_tasks"] == [] and view["waiting_timers"] == []
    assert view["data"]["closed"] is True and view["data"]["evidence"] == [file_id]
    assert "end_closed" in view["completed_steps"] and "escalate_overdue" not in view["completed_steps"]
    kinds = [e["kind"] for e in case.history()]
    assert kinds == ["instance_started"] + ["task_completed"] * 5
    assert [e["task_name"] for e in case.history()[1:]] == ["register", "transfer", "verify", "rectify", "check_report"]


def test_no_violation_is_reviewed_and_closed_with_reasons(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", "county_gov", at("2026-02-24 10:00"),
                  {"verification": "经核查，招标文件未设置地域限制。", "violation_found": "no"})
    assert case.ready() == ["review_no_violation"]
    status = case.complete("review_no_violation", "city_ndrc", at("2026-02-24 15:00"),
                           {"review_decision": "agree", "review_opinion": "同意核查结论。"})
    assert status == "completed"
    assert "end_no_violation" in case.view()["completed_steps"]
    assert "rectify" not in case.view()["completed_steps"]


def test_city_ndrc_can_send_a_no_violation_finding_back_for_verification(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", "county_gov", at("2026-02-24 10:00"),
                  {"verification": "初步核查未发现问题。", "violation_found": "no"})
    case.complete("review_no_violation", "city_ndrc", at("2026-02-24 15:00"),
                  {"review_decision": "reverify", "review_opinion": "核查不充分，请重新核查招标文件。"})
    assert case.ready() == ["verify"]
    # A fresh verification period runs from the return (3 working days after 02-24 → 02-27).
    assert case.task("verify")["due_at"] == at("2026-02-28 00:00").isoformat()


def test_incomplete_report_goes_back_for_supplement(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", "county_gov", at("2026-02-24 16:00"), VERIFY_YES)
    first = evidence(sessions)
    case.complete("rectify", "county_approval_bureau", at("2026-03-02 11:00"),
                  {"rectification_report": "已整改，材料见附件。", "evidence": [first]})
    case.complete("check_report", "city_ndrc", at("2026-03-03 09:00"),
                  {"report_decision": "supplement", "check_opinion": "缺少重新发布的招标公告。"})
    assert case.ready() == ["rectify"]
    second = upload(sessions, "招标公告.pdf", b"%PDF-1.4 notice", "county_approval_bureau", at("2026-03-04 09:00"))
    case.complete("rectify", "county_approval_bureau", at("2026-03-04 10:00"),
                  {"rectification_report": "补充重新发布的招标公告。", "evidence": [first, second]})
    assert case.complete("check_report", "city_ndrc", at("2026-03-05 09:00"),
                         {"report_decision": "complete", "check_opinion": "同意销号。"}) == "completed"
    assert [e["task_name"] for e in case.history() if e["kind"] == "task_completed"].count("rectify") == 2


def _extension_requested(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", "county_gov", at("2026-02-24 16:00"), VERIFY_YES)
    application = upload(sessions, "延期申请.pdf", b"%PDF-1.4 application", "county_gov", at("2026-02-26 09:00"))
    case.message("extension_request", "county_gov", at("2026-02-26 10:00"),
                 {"reason": "涉及多个部门联合修订招标文件，情况复杂。", "requested_until": "2026-03-20",
                  "application": [application]})
    assert sorted(case.ready()) == ["approve_extension", "rectify"]
    assert case.task("approve_extension")["organisation"] == "province_ndrc"
    return case


def test_approved_extension_moves_the_running_rectification_deadline(sessions):
    case = _extension_requested(sessions)
    assert case.timers()["rectify_deadline"] == at("2026-03-04 00:00")
    case.complete("approve_extension", "province_ndrc", at("2026-02-27 09:00"),
                  {"extension_decision": "approve", "extended_until": "2026-03-20", "approval_opinion": "同意延期。"})
    assert case.timers()["rectify_deadline"] == at("2026-03-21 00:00")
    assert case.task("rectify")["due_at"] == at("2026-03-21 00:00").isoformat()
    extended = [e for e in case.history() if e["kind"] == "deadline_extended"]
    assert extended and extended[0]["data"]["timers"][0]["old_due"] == at("2026-03-04 00:00").isoformat()
    # The old deadline passes without escalation; the new one still escalates.
    assert case.fire(at("2026-03-05 09:00")) == []
    assert case.fire(at("2026-03-21 00:00:01")) == ["rectify_deadline"]
    assert "supervise_overdue" in case.ready()


def test_refused_extension_changes_nothing(sessions):
    case = _extension_requested(sessions)
    case.complete("approve_extension", "province_ndrc", at("2026-02-27 09:00"),
                  {"extension_decision": "refuse", "approval_opinion": "不符合延期条件。"})
    assert case.timers()["rectify_deadline"] == at("2026-03-04 00:00")
    assert not [e for e in case.history() if e["kind"] == "deadline_extended"]
    assert case.ready() == ["rectify"]


def test_extension_request_needs_a_written_application(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", "county_gov", at("2026-02-24 16:00"), VERIFY_YES)
    before = snapshot(sessions)
    with pytest.raises(FormInvalid) as err:
        case.message("extension_request", "county_gov", at("2026-02-26 10:00"),
                     {"reason": "情况复杂需要延期处理。", "requested_until": "2026-03-20"})
    assert "application" in err.value.errors
    assert snapshot(sessions) == before


def test_overdue_transfer_escalates_to_city_government_and_keeps_the_task(sessions):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-09-30 09:00"))
    case.complete("register", "city_ndrc", at("2026-09-30 09:10"), REGISTER)
    # National Day holiday: 1 working day after 09-30 is 10-08.
    assert case.task("transfer")["due_at"] == at("2026-10-09 00:00").isoformat()
    assert case.fire(at("2026-10-08 23:59")) == []
    assert case.fire(at("2026-10-09 00:00:01")) == ["transfer_deadline"]
    assert sorted(case.ready()) == ["supervise_overdue", "transfer"]  # non-interrupting: still owned
    assert ("city_gov", "逾期情况报告") in case.notifications()
    escalated = [e for e in case.history() if e["kind"] == "escalated"]
    assert escalated[0]["task_name"] == "transfer" and escalated[0]["data"]["overdue_unit"] == "city_ndrc"
    case.complete("supervise_overdue", "city_ndrc", at("2026-10-09 09:00"),
                  {"supervision_note": "已督促经办人当日移交。", "report_to_city_gov": "线索移交逾期一日，已督办。"})
    assert case.task("city_gov_review")["organisation"] == "city_gov"
    case.complete("city_gov_review", "city_gov", at("2026-10-10 09:00"),
                  {"instruction": "阅。请严格落实0137制度。", "citywide_notice": True})
    assert case.ready() == ["transfer"]
    assert case.fire(at("2026-10-20 00:00")) == []  # a timer fires once


def test_overdue_verification_names_the_competent_unit(sessions):
    case = received_and_transferred(sessions)
    assert case.fire(at("2026-02-27 00:00:01")) == ["verify_deadline"]
    escalated = [e for e in case.history() if e["kind"] == "escalated"]
    assert escalated[0]["task_name"] == "verify" and escalated[0]["data"]["overdue_unit"] == "county_gov"
    assert escalated[0]["data"]["due_at"] == at("2026-02-27 00:00").isoformat()


def test_another_unit_cannot_act_on_the_clue(sessions):
    case = received_and_transferred(sessions)
    before = snapshot(sessions)
    with pytest.raises(NotFound):  # another unit's task, in a case it is no party to: as if it did not exist
        case.complete("verify", "city_housing", at("2026-02-24 10:00"), VERIFY_YES)
    with sessions() as s:
        visible = {t["task_name"] for t in runtime_tasks(s, "city_housing")}
        assert "verify" not in visible
        assert "verify" in {t["task_name"] for t in runtime_tasks(s, "county_gov")}
    assert snapshot(sessions) == before


def runtime_tasks(session, username):
    from engine import queries
    return queries.tasks_for(session, directory.actor(session, username), at("2026-02-13 10:00"))


@pytest.mark.parametrize("data, field", [
    ({**REGISTER, "category": "MADE_UP"}, "category"),
    ({k: v for k, v in REGISTER.items() if k != "summary"}, "summary"),
    ({**REGISTER, "unexpected": 1}, "unexpected"),
    ({**REGISTER, "attachments": ["no-such-file"]}, "attachments"),
])
def test_invalid_form_data_is_refused_and_nothing_changes(sessions, data, field):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    before = snapshot(sessions)
    with pytest.raises(FormInvalid) as err:
        case.complete("register", "city_ndrc", at("2026-02-13 09:40"), data)
    assert field in err.value.errors
    assert snapshot(sessions) == before


def test_rectification_needs_evidence_files(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", "county_gov", at("2026-02-24 16:00"), VERIFY_YES)
    with pytest.raises(FormInvalid) as err:
        case.complete("rectify", "county_approval_bureau", at("2026-03-02 11:00"),
                      {"rectification_report": "已整改完毕，详见说明。"})
    assert err.value.errors == {"evidence": "必填"}


def test_a_completed_task_cannot_be_completed_twice(sessions):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    task_id = case.task("register")["task_id"]
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    with sessions() as s, s.begin(), pytest.raises(Exception) as err:
        runtime.complete_task(s, task_id, REGISTER, directory.actor(s, "city_ndrc"), at("2026-02-13 09:41"))
    assert "已办结" in str(err.value)
    assert isinstance(err.value, Conflict) or "不存在" in str(err.value)
