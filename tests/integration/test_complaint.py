"""Complaints as X-A7 §5–6 and L§7(三) say: intake, ledger, dispatch to a department with co-departments, acknowledge
or return with a reason, one case one verification, a reply to every complainant (a merged repeat's too), return
visit, written report; every step on a deadline from the settings; the complainant's name and telephone seen only by
the NDRC that leads the complaint; in 襄垣县 and in 临汾市 alike."""
import json
import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine import queries, runtime, settings
from engine.audit import replay
from engine.errors import FormInvalid, NotEntitled, NotFound
from engine.people import directory
from engine.store.models import Instance, Notification
from handlers.registers import ledgers
from tests.conftest import ROOT, at
from tests.driver import Case, snapshot, upload

INTAKE = {"channel": "hotline_12345", "hotline_ref": "12345-20260302-0088", "complainant": "王女士",
          "phone": "13800000000", "enterprise": "襄垣县某建材有限公司", "respondent": "县住房和城乡建设管理局",
          "subject": "招标文件要求本地注册", "content": "投标须在本县注册分公司，外地企业无法参与。"}
HANDLE = {"verification": "经核查，招标文件第3.2条设置了本地注册要求。", "violation_found": "yes",
          "handling_result": "已责令删除该条款并重新发布招标公告。", "handler_person": "李明"}
REPLY = {"reply_method": "phone", "reply_content": "已删除本地注册要求，欢迎参与投标。"}
ASSIST = {"assist_opinion": "本局未对该项目设置资质前置条件。", "assist_person": "张强"}
REVISIT = {"satisfaction": "satisfied", "revisit_note": "投诉人表示满意。"}
RAW = ("王女士", "13800000000")


def complaint(sessions, when="2026-03-02 09:00", data=None, user="county_ndrc"):
    return Case(sessions, "complaint", user, at(when), data or INTAKE)


def ledger(sessions, name="complaint"):
    with sessions() as s:
        return ledgers.items(s, ledger=name)


def row(sessions, key):
    return next(r for r in ledger(sessions) if r["item_key"] == key)


def due(case, task_name):
    return {t["task_name"]: t["due_at"] for t in case.view()["ready_tasks"]}[task_name]


def holders(case):
    return sorted((t["task_name"], t["organisation"]) for t in case.view()["ready_tasks"])


def detail(sessions, case, task_name, user, when="2026-03-06 09:00"):
    task_id = case.task(task_name)["task_id"]
    with sessions() as s:
        return queries.task_detail(s, directory.actor(s, user), task_id, at(when))


def verified(sessions, *cases):
    with sessions() as s:
        return replay.verify(s, [c.id for c in cases])


def through_handle(case, day="2026-03-03", lead="county_ndrc", department="county_housing"):
    case.complete("dispatch", lead, at(f"{day} 09:00"), {"department": department})
    case.complete("acknowledge", department, at(f"{day} 10:00"), {"ack_decision": "acknowledge"})
    case.complete("handle", department, at(f"{day} 15:00"), HANDLE)


def through_reply(case, day="2026-03-03", lead="county_ndrc", department="county_housing"):
    through_handle(case, day, lead, department)
    case.complete("reply", lead, at(f"{day} 16:00"), REPLY)


def test_main_path_from_hotline_to_written_report_with_a_deadline_on_every_step(sessions):
    case = complaint(sessions)
    assert holders(case) == [("dispatch", "county_ndrc")]  # the NDRC of the region that took it in leads
    # 12345: dispatch within 1 working day (Mon 03-02 → end of Tue 03-03).
    assert due(case, "dispatch") == at("2026-03-04 00:00").isoformat()
    [entry] = ledger(sessions)
    assert (entry["item_key"], entry["source"], entry["status"]) == ("XY-TS-2026-0001", "12345热线", "open")
    assert entry["title"] == "县住房和城乡建设管理局：招标文件要求本地注册"
    assert entry["deadline"] == at("2026-03-04 00:00").isoformat()  # the ledger's 期限 is the step's
    assert entry["detail"]["complainants_text"] == "王女士 13800000000（XY-TS-2026-0001，待答复）"

    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_housing"})
    assert holders(case) == [("acknowledge", "county_housing")]
    assert due(case, "acknowledge") == at("2026-03-05 00:00").isoformat()  # return window: 2 working days
    assert row(sessions, "XY-TS-2026-0001")["status_text"] == "已派单"
    assert row(sessions, "XY-TS-2026-0001")["deadline"] == at("2026-03-10 00:00").isoformat()  # handle: 5 from dispatch
    assert ("county_housing", "收到派发的投诉举报") in case.notifications()
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    assert due(case, "handle") == at("2026-03-10 00:00").isoformat()
    case.complete("handle", "county_housing", at("2026-03-04 10:00"), HANDLE)
    # The NDRC answers the complainant (the department complained about never gets the contact).
    assert holders(case) == [("reply", "county_ndrc")]
    assert due(case, "reply") == at("2026-03-07 00:00").isoformat()  # 2 working days from handling
    case.complete("reply", "county_ndrc", at("2026-03-04 11:00"), REPLY)
    entry = row(sessions, "XY-TS-2026-0001")
    assert entry["status"] == "handled" and entry["detail"]["complainants_text"].endswith("已答复）")
    assert due(case, "revisit") == at("2026-03-10 00:00").isoformat()  # 3 working days
    case.complete("revisit", "county_ndrc", at("2026-03-05 09:00"), REVISIT)
    assert due(case, "report") == at("2026-03-13 00:00").isoformat()  # 5 working days
    document = upload(sessions, "核查情况报告.pdf", b"%PDF-1.4 report", "county_housing", at("2026-03-05 10:00"))
    case.complete("report", "county_housing", at("2026-03-05 10:00"),
                  {"report_doc_no": "襄住建函〔2026〕8号", "report_document": [document]})
    assert holders(case) == [("accept_report", "county_ndrc")]
    assert due(case, "accept_report") == at("2026-03-10 00:00").isoformat()  # review: 2 working days
    assert case.complete("accept_report", "county_ndrc", at("2026-03-05 15:00"),
                         {"report_decision": "complete"}) == "completed"
    [entry] = ledger(sessions)
    assert (entry["status"], entry["organisation"], entry["person"]) == ("closed", "county_housing", "李明")
    assert entry["closed_at"] == at("2026-03-05 15:00").isoformat() and entry["deadline"]
    assert ledger(sessions, "rectification") == []
    assert verified(sessions, case)["failed"] == []


def test_a_return_needs_its_reason_and_the_ledger_row_shows_it(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_transport"})
    with pytest.raises(NotFound):  # another unit's task, in a case it is no party to: as if it did not exist
        case.complete("acknowledge", "county_housing", at("2026-03-02 12:00"), {"ack_decision": "acknowledge"})
    with pytest.raises(FormInvalid) as refused:
        case.complete("acknowledge", "county_transport", at("2026-03-02 14:00"), {"ack_decision": "return"})
    assert set(refused.value.errors) == {"return_reason"}
    case.complete("acknowledge", "county_transport", at("2026-03-02 14:00"),
                  {"ack_decision": "return", "return_reason": "属住建部门职责，非本局事项。"})
    assert holders(case) == [("dispatch", "county_ndrc")]
    assert "上次被襄垣县交通运输局退回，理由：属住建部门职责" in detail(sessions, case, "dispatch", "county_ndrc")[
        "instructions"]
    entry = row(sessions, "XY-TS-2026-0001")
    assert (entry["status_text"], entry["organisation"]) == ("已退单待重新派单", "county_ndrc")
    assert entry["detail"]["returns_text"] == "襄垣县交通运输局（2026-03-02）：属住建部门职责，非本局事项。"
    assert entry["deadline"] == at("2026-03-04 00:00").isoformat() and entry["closed_at"] is None
    with sessions() as s:
        told = s.scalars(select(Notification).where(Notification.instance_id == case.id,
                                                    Notification.organisation == "county_ndrc")).one()
    assert told.title == "投诉举报被退单" and told.body.startswith("襄垣县交通运输局退回投诉举报 XY-TS-2026-0001")
    case.complete("dispatch", "county_ndrc", at("2026-03-02 15:00"), {"department": "county_housing"})
    assert holders(case) == [("acknowledge", "county_housing")]
    entry = row(sessions, "XY-TS-2026-0001")
    assert entry["status_text"] == "已派单" and "属住建部门职责" in entry["detail"]["returns_text"]
    assert verified(sessions, case)["failed"] == []


def test_co_departments_get_their_own_tasks_and_their_opinions_reach_the_handling_department(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {
        "department": "county_housing", "co_departments": ["county_market_regulation", "county_approval_bureau",
                                                           "county_housing"]})
    assert row(sessions, "XY-TS-2026-0001")["detail"]["co_text"] == "襄垣县市场监督管理局、襄垣县行政审批服务管理局"
    assert "协办部门：襄垣县市场监督管理局、襄垣县行政审批服务管理局" in detail(
        sessions, case, "acknowledge", "county_housing")["instructions"]
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    # One task each, on the co-handling deadline (3 working days); the handling department waits for them.
    assert holders(case) == [("assist", "county_approval_bureau"), ("assist", "county_market_regulation")]
    assert {t["due_at"] for t in case.view()["ready_tasks"]} == {at("2026-03-06 00:00").isoformat()}
    told = set(case.notifications())
    assert {(unit, "收到协办的投诉举报") for unit in ("county_market_regulation", "county_approval_bureau")} <= told
    assisting = [t for t in case.view()["ready_tasks"] if t["organisation"] == "county_market_regulation"][0]
    with sessions() as s, s.begin():
        runtime.complete_task(s, assisting["task_id"], ASSIST, directory.actor(s, "county_market_regulation"),
                              at("2026-03-03 10:00"))
    assert ("county_housing", "协办意见已送达") in case.notifications()
    assert holders(case) == [("assist", "county_approval_bureau")]
    case.complete("assist", "county_approval_bureau", at("2026-03-04 10:00"),
                  {"assist_opinion": "该项目无需行政审批。", "assist_person": "赵敏"})
    assert holders(case) == [("handle", "county_housing")]
    assert due(case, "handle") == at("2026-03-10 00:00").isoformat()  # still 5 working days from dispatch
    shown = detail(sessions, case, "handle", "county_housing")["instructions"]
    assert "协办意见：襄垣县市场监督管理局（张强）：本局未对该项目设置资质前置条件。" in shown
    assert "襄垣县行政审批服务管理局（赵敏）：该项目无需行政审批。" in shown
    opinions = [(r["unit"], r["opinion"]) for r in case.view()["data"]["assist_replies"]]
    assert ("county_market_regulation", ASSIST["assist_opinion"]) in opinions and len(opinions) == 2
    assert verified(sessions, case)["failed"] == []


def test_a_late_co_department_is_reported_to_the_government_by_name(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"),
                  {"department": "county_housing", "co_departments": ["county_market_regulation"]})
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    assert case.fire(at("2026-03-06 00:01")) == ["assist_deadline"]
    [lapse] = case.view()["escalations"]
    assert (lapse["step"], lapse["overdue_unit"], lapse["reported_to"]) == ("assist", "county_market_regulation",
                                                                            "county_gov")
    assert holders(case) == [("assist", "county_market_regulation")]  # the task stays, now overdue
    assert case.view()["overdue"]
    assert verified(sessions, case)["failed"] == []


def test_a_merged_repeat_complaints_complainant_is_answered_too(sessions):
    first = complaint(sessions)
    first.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_housing"})
    again = dict(INTAKE, channel="website", complainant="赵先生", phone="13900001111",
                 respondent=" 县住房和城乡建设管理局 ")
    second = complaint(sessions, "2026-03-03 09:00", again)
    view = second.view()
    assert view["status"] == "completed" and view["data"]["find_repeat_result"]["instance_id"] == first.id
    assert view["data"]["merge_result"]["delivered"] is True
    # The merged complainant is recorded on the open case, and in its ledger row.
    people = first.view()["data"]["complainant_list"]["people"]
    assert [(p["number"], p["complainant"], p["phone"]) for p in people] == [
        ("XY-TS-2026-0001", "王女士", "13800000000"), ("XY-TS-2026-0002", "赵先生", "13900001111")]
    rows = {r["item_key"]: r for r in ledger(sessions)}
    merged = rows["XY-TS-2026-0002"]
    assert merged["status"] == "merged" and merged["detail"]["merged_into"] == first.id and merged["deadline"]
    assert "赵先生 13900001111（XY-TS-2026-0002，待答复）" in rows["XY-TS-2026-0001"]["detail"]["complainants_text"]
    with sessions() as s:
        assert s.get(Instance, second.id).subject_key == s.get(Instance, first.id).subject_key

    first.complete("acknowledge", "county_housing", at("2026-03-03 10:00"), {"ack_decision": "acknowledge"})
    first.complete("handle", "county_housing", at("2026-03-04 10:00"), HANDLE)
    # A reply to each complainant, one after the other, each on the same deadline.
    shown = detail(sessions, first, "reply", "county_ndrc")["instructions"]
    assert "答复投诉举报人 王女士（联系电话 13800000000" in shown
    deadline = due(first, "reply")
    first.complete("reply", "county_ndrc", at("2026-03-04 11:00"), REPLY)
    shown = detail(sessions, first, "reply", "county_ndrc")["instructions"]
    assert "答复投诉举报人 赵先生（联系电话 13900001111，门户网站受理，编号 XY-TS-2026-0002）" in shown
    assert HANDLE["handling_result"] in shown and due(first, "reply") == deadline
    first.complete("reply", "county_ndrc", at("2026-03-04 14:00"), dict(REPLY, reply_method="sms"))
    assert holders(first) == [("revisit", "county_ndrc")]
    text = row(sessions, "XY-TS-2026-0001")["detail"]["complainants_text"]
    assert text.count("已答复") == 2 and "待答复" not in text

    # One more after the replies went out: the NDRC gets a reply step of its own for that complainant.
    third = complaint(sessions, "2026-03-05 09:00", dict(INTAKE, complainant="钱女士", phone="13700002222"))
    assert third.view()["status"] == "completed"
    assert holders(first) == [("reply_merged", "county_ndrc"), ("revisit", "county_ndrc")]
    shown = detail(sessions, first, "reply_merged", "county_ndrc")["instructions"]
    assert "钱女士（联系电话 13700002222" in shown and HANDLE["handling_result"] in shown
    assert due(first, "reply_merged") == at("2026-03-10 00:00").isoformat()  # 2 working days
    first.complete("reply_merged", "county_ndrc", at("2026-03-05 10:00"), REPLY)
    assert row(sessions, "XY-TS-2026-0001")["detail"]["complainants_text"].count("已答复") == 3
    assert verified(sessions, first, second, third)["failed"] == []


def test_a_repeat_the_open_complaint_cannot_take_is_handled_as_a_new_one(sessions, monkeypatch):
    from engine.operator_context import LiveEffects

    first = complaint(sessions)
    monkeypatch.setattr(LiveEffects, "deliver", lambda self, *args: "办件当前不在等待消息 complaint_merged")
    second = complaint(sessions, "2026-03-03 09:00", dict(INTAKE, complainant="赵先生"))
    assert holders(second) == [("dispatch", "county_ndrc")]
    assert second.view()["data"]["merge_result"]["delivered"] is False
    assert [p["complainant"] for p in first.view()["data"]["complainant_list"]["people"]] == ["王女士"]
    assert [(r["item_key"], r["status"]) for r in ledger(sessions)] == [("XY-TS-2026-0001", "open"),
                                                                        ("XY-TS-2026-0002", "open")]


def test_a_complaint_of_the_same_matter_in_another_place_is_not_merged(sessions):
    xiangyuan = complaint(sessions)
    linfen = complaint(sessions, "2026-03-02 10:00", user="city_ndrc_clerk")
    assert linfen.view()["status"] == "running" and linfen.view()["data"]["find_repeat_result"]["instance_id"] is None
    assert holders(linfen) == [("dispatch", "city_ndrc")] and holders(xiangyuan) == [("dispatch", "county_ndrc")]


def test_bad_rating_reopens_handling_enters_the_rectification_ledger_and_everyone_is_answered_again(sessions):
    case = complaint(sessions)
    through_reply(case)
    case.complete("revisit", "county_ndrc", at("2026-03-04 09:00"),
                  {"satisfaction": "dissatisfied", "revisit_note": "条款删除但未重新公告。"})
    assert case.ready() == ["handle"]
    assert due(case, "handle") == at("2026-03-12 00:00").isoformat()  # 5 working days from the reopening
    [item] = ledger(sessions, "rectification")
    assert (item["item_key"], item["status"], item["source"]) == ("XY-TS-2026-0001-R1", "rectifying", "投诉差评")
    assert item["organisation"] == "county_housing" and "不满意" in item["title"] and item["deadline"]
    assert row(sessions, "XY-TS-2026-0001")["status"] == "reopened"
    case.complete("handle", "county_housing", at("2026-03-05 10:00"), HANDLE)
    assert holders(case) == [("reply", "county_ndrc")]
    case.complete("reply", "county_ndrc", at("2026-03-05 11:00"), REPLY)
    assert ledger(sessions, "rectification")[0]["status"] == "closed"
    case.complete("revisit", "county_ndrc", at("2026-03-06 09:00"),
                  {"satisfaction": "very_satisfied", "revisit_note": "已重新公告。"})
    assert case.ready() == ["report"]
    document = upload(sessions, "核查情况报告.pdf", b"%PDF-1.4 report", "county_housing", at("2026-03-06 10:00"))
    case.complete("report", "county_housing", at("2026-03-06 10:00"),
                  {"report_doc_no": "襄住建函〔2026〕10号", "report_document": [document]})
    assert case.complete("accept_report", "county_ndrc", at("2026-03-06 11:00"),
                         {"report_decision": "complete"}) == "completed"
    # The replay keeps each ledger write as it was written (the case's data change afterwards).
    assert verified(sessions, case)["failed"] == []


def test_overdue_handling_escalates_to_the_region_government_naming_step_and_unit(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_housing"})
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    assert case.fire(at("2026-03-09 23:59")) == []
    assert case.fire(at("2026-03-10 00:01")) == ["handle_deadline"]
    view = case.view()
    assert view["overdue"] and [(e["overdue_unit"], e["reported_to"]) for e in view["escalations"]] == [
        ("county_housing", "county_gov")]
    assert ("county_gov", "逾期情况报告") in case.notifications()
    assert "handle" in case.ready()


@pytest.mark.parametrize(("step", "when", "timer"), [
    ("reply", "2026-03-06 00:01", "reply_deadline"),
    ("revisit", "2026-03-07 00:01", "revisit_deadline"),
])
def test_the_ndrcs_own_steps_lapse_too(sessions, step, when, timer):
    case = complaint(sessions)
    through_handle(case)
    if step == "revisit":
        case.complete("reply", "county_ndrc", at("2026-03-03 16:00"), REPLY)
    assert case.fire(at(when)) == [timer]
    assert [(e["step"], e["overdue_unit"], e["reported_to"]) for e in case.view()["escalations"]] == [
        (step, "county_ndrc", "county_gov")]


def test_complex_case_extension_to_fifteen_working_days_from_dispatch(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_housing"})
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    case.message("complaint_extension", "county_housing", at("2026-03-05 09:00"),
                 {"reason": "涉及多个部门，需联合核查。"})
    assert due(case, "approve_extension") == at("2026-03-10 00:00").isoformat()  # review: 2 working days
    assert "襄垣县住房和城乡建设管理局申请延期：涉及多个部门，需联合核查。" in detail(
        sessions, case, "approve_extension", "county_ndrc")["instructions"]
    case.complete("approve_extension", "county_ndrc", at("2026-03-05 10:00"), {"extension_decision": "approve"})
    # 15 working days from dispatch on Mon 03-02 end on Mon 03-23.
    assert due(case, "handle") == at("2026-03-24 00:00").isoformat()
    assert row(sessions, "XY-TS-2026-0001")["deadline"] == at("2026-03-24 00:00").isoformat()
    assert verified(sessions, case)["failed"] == []


def test_deadlines_follow_the_settings_in_force_when_the_complaint_arrived(sessions):
    with sessions() as s, s.begin():
        for key, value in (("complaint_dispatch_days", "3"), ("complaint_assist_days", "1"),
                           ("complaint_reply_days", "4"), ("complaint_revisit_days", "1"),
                           ("complaint_review_days", "3")):
            settings.change(s, key, value, "admin", at("2026-03-01 09:00"))
    case = complaint(sessions)
    assert due(case, "dispatch") == at("2026-03-06 00:00").isoformat()
    with sessions() as s, s.begin():
        settings.change(s, "complaint_dispatch_days", "1", "admin", at("2026-03-02 10:00"))
        settings.change(s, "complaint_reply_days", "1", "admin", at("2026-03-02 10:00"))
    assert due(case, "dispatch") == at("2026-03-06 00:00").isoformat()
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"),
                  {"department": "county_housing", "co_departments": ["county_justice"]})
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    assert due(case, "assist") == at("2026-03-04 00:00").isoformat()
    case.complete("assist", "county_justice", at("2026-03-03 09:00"), ASSIST)
    case.complete("handle", "county_housing", at("2026-03-03 10:00"), HANDLE)
    assert due(case, "reply") == at("2026-03-10 00:00").isoformat()  # 4 working days, as when it arrived
    case.complete("reply", "county_ndrc", at("2026-03-03 11:00"), REPLY)
    assert due(case, "revisit") == at("2026-03-05 00:00").isoformat()
    case.complete("revisit", "county_ndrc", at("2026-03-03 12:00"), REVISIT)
    document = upload(sessions, "报告.pdf", b"%PDF-1.4", "county_housing", at("2026-03-03 13:00"))
    case.complete("report", "county_housing", at("2026-03-03 13:00"),
                  {"report_doc_no": "襄住建函〔2026〕9号", "report_document": [document]})
    assert due(case, "accept_report") == at("2026-03-07 00:00").isoformat()
    assert verified(sessions, case)["failed"] == []


def test_bad_intake_is_refused_and_nothing_is_stored(sessions):
    before = snapshot(sessions)
    with sessions() as s, s.begin(), pytest.raises(FormInvalid) as refused:
        runtime.start_instance(s, "complaint", dict(INTAKE, channel="fax", phone=""),
                               directory.actor(s, "county_ndrc"), at("2026-03-02 09:00"))
    assert set(refused.value.errors) == {"channel", "phone"}
    with sessions() as s, s.begin(), pytest.raises(NotEntitled):
        runtime.start_instance(s, "complaint", INTAKE, directory.actor(s, "county_housing"), at("2026-03-02 09:00"))
    assert snapshot(sessions) == before
    with sessions() as s:
        assert s.scalars(select(Instance)).first() is None


def _leaks(value) -> list[str]:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return [raw for raw in RAW if raw in text]


def test_the_complainants_name_and_phone_are_seen_in_full_by_the_lead_ndrc_only(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"),
                  {"department": "county_housing", "co_departments": ["county_market_regulation"]})
    with sessions() as s:
        lead, department, admin = (directory.actor(s, u) for u in ("county_ndrc_clerk", "county_housing", "admin"))
        assert _leaks(queries.instance_view(s, case.id, at("2026-03-02 12:00"), lead)) == list(RAW)
        masked = queries.instance_view(s, case.id, at("2026-03-02 12:00"), department)
        assert (masked["data"]["complainant"], masked["data"]["phone"]) == ("王某", "138****0000")
        assert masked["data"]["complainant_list"]["people"][0]["complainant"] == "王某"
        assert masked["data"]["people_text"] == "王某 138****0000（XY-TS-2026-0001，待答复）"
        for viewer in (department, admin):
            assert _leaks(queries.instance_view(s, case.id, at("2026-03-02 12:00"), viewer)) == []
            assert _leaks(queries.history_view(s, case.id, viewer)) == []
        started = queries.history_view(s, case.id, department)[0]["data"]["data"]
        assert (started["complainant"], started["phone"]) == ("王某", "138****0000")
        assert _leaks(queries.history_view(s, case.id, lead)) == list(RAW)
    # What the department's form receives: its prefill, options and instructions carry no raw value.
    page = detail(sessions, case, "acknowledge", "county_housing")
    assert _leaks(page) == []
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    assert _leaks(detail(sessions, case, "assist", "county_market_regulation")) == []
    case.complete("assist", "county_market_regulation", at("2026-03-03 09:00"), ASSIST)
    assert _leaks(detail(sessions, case, "handle", "county_housing")) == []
    case.complete("handle", "county_housing", at("2026-03-03 10:00"), HANDLE)
    assert _leaks(detail(sessions, case, "reply", "county_ndrc_clerk")) == list(RAW)  # the NDRC calls them back
    case.complete("reply", "county_ndrc", at("2026-03-03 11:00"),
                  {"reply_method": "phone", "reply_content": "王女士您好，已删除本地注册要求。"})
    with sessions() as s:
        for user in ("county_housing", "county_market_regulation"):
            seen = queries.history_view(s, case.id, directory.actor(s, user))
            assert _leaks(seen) == [] and "王某您好" in json.dumps(seen, ensure_ascii=False)


def test_a_complaint_taken_in_by_linfens_ndrc_is_led_and_dispatched_there(sessions):
    case = complaint(sessions, data=dict(INTAKE, respondent="市住房和城乡建设局"), user="city_ndrc_clerk")
    assert holders(case) == [("dispatch", "city_ndrc")]
    assert [r["item_key"] for r in ledger(sessions)] == ["LF-TS-2026-0001"]  # numbered with Linfen's prefix
    options = {o["value"] for o in detail(sessions, case, "dispatch", "city_ndrc")["prefill"]["unit_options"]}
    assert {"city_housing", "city_market_regulation", "yaodu_gov"} <= options
    assert not {o for o in options if o.startswith("county_")} and "city_ndrc" not in options
    with pytest.raises(FormInvalid) as refused:  # a unit of another place is not offered, and not taken
        case.complete("dispatch", "city_ndrc", at("2026-03-02 11:00"), {"department": "county_housing"})
    assert set(refused.value.errors) == {"department"}
    case.complete("dispatch", "city_ndrc_clerk", at("2026-03-02 11:00"),
                  {"department": "city_housing", "co_departments": ["city_market_regulation"]})
    case.complete("acknowledge", "city_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    case.complete("assist", "city_market_regulation", at("2026-03-03 09:00"), ASSIST)
    case.complete("handle", "city_housing", at("2026-03-03 10:00"), HANDLE)
    assert holders(case) == [("reply", "city_ndrc")]
    reply = case.task("reply")["task_id"]
    with sessions() as s:
        with pytest.raises(NotFound):  # 襄垣县's NDRC has nothing to do with it
            queries.task_detail(s, directory.actor(s, "county_ndrc"), reply, at("2026-03-03 11:00"))
        seen = {u: _leaks(queries.instance_view(s, case.id, at("2026-03-03 11:00"), directory.actor(s, u)))
                for u in ("city_housing", "city_ndrc")}
        assert seen == {"city_housing": [], "city_ndrc": list(RAW)}
    assert case.fire(at("2026-03-06 00:01")) == ["reply_deadline"]
    assert [(e["overdue_unit"], e["reported_to"]) for e in case.view()["escalations"]] == [("city_ndrc", "city_gov")]
    assert verified(sessions, case)["failed"] == []


def test_notifications_name_units_and_steps_never_codes(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"),
                  {"department": "county_transport", "co_departments": ["county_justice"]})
    case.complete("acknowledge", "county_transport", at("2026-03-02 14:00"),
                  {"ack_decision": "return", "return_reason": "属住建部门职责。"})
    case.complete("dispatch", "county_ndrc", at("2026-03-02 15:00"),
                  {"department": "county_housing", "co_departments": ["county_justice"]})
    case.complete("acknowledge", "county_housing", at("2026-03-02 16:00"), {"ack_decision": "acknowledge"})
    case.complete("assist", "county_justice", at("2026-03-03 09:00"), ASSIST)
    case.fire(at("2026-03-10 00:01"))
    with sessions() as s:
        written = [(n.title, n.body)
                   for n in s.scalars(select(Notification).where(Notification.instance_id == case.id))]
    assert len(written) >= 6
    for title, body in written:
        text = title + body
        assert not re.search(r"[a-z]+_[a-z_]+|[0-9a-f]{32}|案件", text), text
        assert "。。" not in text
    assert any("襄垣县司法局" in body for _, body in written)


def test_the_diagram_has_a_shape_for_every_element_and_none_overlap():
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
          "dc": "http://www.omg.org/spec/DD/20100524/DC",
          "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
    for name in ("complaint.bpmn", "complaint_assist.bpmn"):
        root = etree.parse(str(Path(ROOT) / "processes" / name)).getroot()
        process = root.find("bpmn:process", ns)
        elements = {e.get("id"): e for e in process.iter() if e.get("id") and etree.QName(e).namespace == ns["bpmn"]
                    and etree.QName(e).localname not in (
            "process", "laneSet", "dataObject", "property", "conditionExpression", "timerEventDefinition",
            "messageEventDefinition", "inputDataItem", "outputDataItem", "documentation")}
        drawn = {d.get("bpmnElement"): d for d in root.iter(f"{{{ns['bpmndi']}}}BPMNShape",
                                                            f"{{{ns['bpmndi']}}}BPMNEdge")}
        assert set(elements) - set(drawn) == set(), name
        boxes = []
        for key, shape in drawn.items():
            kind = etree.QName(elements[key]).localname if key in elements else "pool"
            if kind in ("pool", "lane", "subProcess", "boundaryEvent") or shape.tag.endswith("Edge"):
                continue
            b = shape.find("dc:Bounds", ns)
            boxes.append((key, *(float(b.get(k)) for k in ("x", "y", "width", "height"))))
        for i, (a, ax, ay, aw, ah) in enumerate(boxes):
            for other, bx, by, bw, bh in boxes[i + 1:]:
                assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), (name, a, other)
        lanes = {lane.get("name"): {p.get("name"): p.get("value")
                                    for p in lane.iter(f"{{{ns['spiffworkflow']}}}property")}
                 for lane in process.iter(f"{{{ns['bpmn']}}}lane")}
        lead = lanes["发展改革部门（牵头）"]
        assert (lead["organisationVariable"], lead["organisationFunction"]) == ("lead_unit", "ndrc"), name
        assert "县人民政府" not in lanes


def test_the_history_names_the_merge_and_the_extension_request_by_their_steps(sessions):
    first = complaint(sessions)
    first.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_housing"})
    first.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    complaint(sessions, "2026-03-03 09:00", dict(INTAKE, complainant="赵先生"))
    first.message("complaint_extension", "county_housing", at("2026-03-04 09:00"),
                  {"reason": "涉及多个部门，需联合核查。"})
    received = {e["task_name"]: e for e in first.history() if e["kind"] == "message_received"}
    assert received["complaint_merged"]["step_title"] == "收到并入的重复投诉"
    assert received["complaint_extension"]["step_title"] == "申请延期"
    assert received["complaint_extension"]["form_key"] == "complaint_extension_request"
