"""Complaint intake, dispatch, handling, reply, return visit and written report (L§7(三), X-A7 §5–6)."""
import pytest
from sqlalchemy import select

from engine import audit, directory, ledgers, queries, runtime, settings
from engine.errors import FormInvalid, NotEntitled, NotFound
from engine.models import Instance
from tests.conftest import at
from tests.driver import Case, snapshot, upload

INTAKE = {"channel": "hotline_12345", "hotline_ref": "12345-20260302-0088", "complainant": "王女士",
          "phone": "13800000000", "enterprise": "襄垣县某建材有限公司", "respondent": "县住房和城乡建设管理局",
          "subject": "招标文件要求本地注册", "content": "投标须在本县注册分公司，外地企业无法参与。"}
HANDLE = {"verification": "经核查，招标文件第3.2条设置了本地注册要求。", "violation_found": "yes",
          "handling_result": "已责令删除该条款并重新发布招标公告。", "handler_person": "李明"}
REPLY = {"reply_method": "phone", "reply_content": "已删除本地注册要求，欢迎参与投标。"}


def complaint(sessions, when="2026-03-02 09:00", data=None):
    return Case(sessions, "complaint", "county_ndrc", at(when), data or INTAKE)


def ledger(sessions, name="complaint"):
    with sessions() as s:
        return ledgers.items(s, name)


def through_reply(sessions, case, day="2026-03-03"):
    case.complete("dispatch", "county_ndrc", at(f"{day} 09:00"), {"department": "county_housing"})
    case.complete("acknowledge", "county_housing", at(f"{day} 10:00"), {"ack_decision": "acknowledge"})
    case.complete("handle", "county_housing", at(f"{day} 15:00"), HANDLE)
    case.complete("reply", "county_housing", at(f"{day} 16:00"), REPLY)


def test_main_path_from_hotline_to_written_report(sessions):
    case = complaint(sessions)
    assert case.ready() == ["dispatch"]
    # 12345: dispatch within 1 working day (Mon 03-02 → end of Tue 03-03).
    assert case.task("dispatch")["due_at"] == at("2026-03-04 00:00").isoformat()
    [row] = ledger(sessions)
    assert (row["item_key"], row["source"], row["status"]) == ("TS-2026-0001", "12345热线", "open")
    assert row["title"] == "县住房和城乡建设管理局：招标文件要求本地注册"

    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_housing"})
    ack = case.task("acknowledge")
    assert ack["organisation"] == "county_housing"
    assert ack["due_at"] == at("2026-03-05 00:00").isoformat()  # return window: 2 working days
    assert ("county_housing", "收到派发的投诉举报") in case.notifications()
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    assert case.task("handle")["due_at"] == at("2026-03-10 00:00").isoformat()  # 5 working days
    case.complete("handle", "county_housing", at("2026-03-04 10:00"), HANDLE)
    case.complete("reply", "county_housing", at("2026-03-04 11:00"), REPLY)
    assert ledger(sessions)[0]["status"] == "handled"
    case.complete("revisit", "county_ndrc", at("2026-03-05 09:00"),
                  {"satisfaction": "satisfied", "revisit_note": "投诉人表示满意。"})
    document = upload(sessions, "核查情况报告.pdf", b"%PDF-1.4 report", "county_housing", at("2026-03-05 10:00"))
    case.complete("report", "county_housing", at("2026-03-05 10:00"),
                  {"report_doc_no": "襄住建函〔2026〕8号", "report_document": [document]})
    assert case.complete("accept_report", "county_ndrc", at("2026-03-05 15:00"),
                         {"report_decision": "complete"}) == "completed"
    [row] = ledger(sessions)
    assert (row["status"], row["organisation"], row["person"]) == ("closed", "county_housing", "李明")
    assert row["closed_at"] == at("2026-03-05 15:00").isoformat()
    assert ledger(sessions, "rectification") == []
    with sessions() as s:
        assert audit.verify(s, [case.id])["failed"] == []


def test_wrongly_routed_order_is_returned_with_its_reason_and_dispatched_again(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_transport"})
    with pytest.raises(NotFound):  # another unit's task, in a case it is no party to: as if it did not exist
        case.complete("acknowledge", "county_housing", at("2026-03-02 12:00"), {"ack_decision": "acknowledge"})
    case.complete("acknowledge", "county_transport", at("2026-03-02 14:00"),
                  {"ack_decision": "return", "return_reason": "属住建部门职责，非本局事项。"})
    assert case.ready() == ["dispatch"]
    task_id = case.task("dispatch")["task_id"]
    with sessions() as s:
        page = queries.task_detail(s, directory.actor(s, "county_ndrc"), task_id, at("2026-03-02 15:00"))
    assert "上次被退回，理由：属住建部门职责" in page["instructions"]
    case.complete("dispatch", "county_ndrc", at("2026-03-02 15:00"), {"department": "county_housing"})
    assert case.task("acknowledge")["organisation"] == "county_housing"


def test_bad_rating_reopens_handling_and_enters_the_rectification_ledger(sessions):
    case = complaint(sessions)
    through_reply(sessions, case)
    case.complete("revisit", "county_ndrc", at("2026-03-04 09:00"),
                  {"satisfaction": "dissatisfied", "revisit_note": "条款删除但未重新公告。"})
    assert case.ready() == ["handle"]
    [item] = ledger(sessions, "rectification")
    assert (item["item_key"], item["status"], item["source"]) == ("TS-2026-0001-R1", "rectifying", "投诉差评")
    assert item["organisation"] == "county_housing" and "不满意" in item["title"]
    assert ledger(sessions)[0]["status"] == "reopened"
    case.complete("handle", "county_housing", at("2026-03-05 10:00"), HANDLE)
    case.complete("reply", "county_housing", at("2026-03-05 11:00"), REPLY)
    assert ledger(sessions, "rectification")[0]["status"] == "closed"
    case.complete("revisit", "county_ndrc", at("2026-03-06 09:00"),
                  {"satisfaction": "very_satisfied", "revisit_note": "已重新公告。"})
    assert case.ready() == ["report"]


def test_repeat_complaint_about_the_same_subject_links_to_the_open_case(sessions):
    first = complaint(sessions)
    again = dict(INTAKE, channel="website", complainant="赵先生", respondent=" 县住房和城乡建设管理局 ")
    second = complaint(sessions, "2026-03-03 09:00", again)
    view = second.view()
    assert view["status"] == "completed" and view["data"]["find_repeat_result"]["instance_id"] == first.id
    rows = {r["item_key"]: r for r in ledger(sessions)}
    assert rows["TS-2026-0002"]["status"] == "merged"
    assert rows["TS-2026-0002"]["detail"]["merged_into"] == first.id
    with sessions() as s:
        assert s.get(Instance, second.id).subject_key == s.get(Instance, first.id).subject_key
    other = complaint(sessions, "2026-03-03 10:00", dict(INTAKE, subject="另一事项"))
    assert other.ready() == ["dispatch"]


def test_overdue_handling_escalates_to_the_county_government(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_housing"})
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    assert case.fire(at("2026-03-09 23:59")) == []
    assert case.fire(at("2026-03-10 00:01")) == ["handle_deadline"]
    view = case.view()
    assert view["overdue"] and [e["overdue_unit"] for e in view["escalations"]] == ["county_housing"]
    assert ("county_gov", "逾期情况报告") in case.notifications()
    assert "handle" in case.ready()


def test_complex_case_extension_to_fifteen_working_days_from_dispatch(sessions):
    case = complaint(sessions)
    case.complete("dispatch", "county_ndrc", at("2026-03-02 11:00"), {"department": "county_housing"})
    case.complete("acknowledge", "county_housing", at("2026-03-02 14:00"), {"ack_decision": "acknowledge"})
    case.message("complaint_extension", "county_housing", at("2026-03-05 09:00"),
                 {"reason": "涉及多个部门，需联合核查。"})
    case.complete("approve_extension", "county_ndrc", at("2026-03-05 10:00"), {"extension_decision": "approve"})
    # 15 working days from dispatch on Mon 03-02 end on Mon 03-23.
    assert case.task("handle")["due_at"] == at("2026-03-24 00:00").isoformat()


def test_deadlines_follow_the_settings_in_force_when_the_complaint_arrived(sessions):
    with sessions() as s, s.begin():
        settings.change(s, "complaint_dispatch_days", "3", "admin", at("2026-03-01 09:00"))
    case = complaint(sessions)
    assert case.task("dispatch")["due_at"] == at("2026-03-06 00:00").isoformat()
    with sessions() as s, s.begin():
        settings.change(s, "complaint_dispatch_days", "1", "admin", at("2026-03-02 10:00"))
    assert case.task("dispatch")["due_at"] == at("2026-03-06 00:00").isoformat()
    with sessions() as s:
        assert audit.verify(s, [case.id])["failed"] == []


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
