"""The flagship 0137 clue verification (L§12), walked through by each unit with an injected clock, in both places:
a Linfen clue led by the city NDRC and a Xiangyuan clue led by the county NDRC."""
import re

import pytest

from engine import runtime, settings
from engine.errors import FormInvalid, NotEntitled, NotFound
from engine.people import directory
from tests.conftest import ROOT, at
from tests.driver import Case, snapshot, upload

REGISTER = {"source": "province", "source_ref": "晋发改体改函〔2026〕12号",
            "summary": "某区要求外地企业在本地设立分公司方可参与招投标", "category": "HIDDEN_BARRIER",
            "region": "尧都区"}
COMPETENT, RESPONSIBLE = "yaodu_gov", "yaodu_market_regulation"
VERIFY_YES = {"verification": "经核查，区招标文件设置了本地注册要求。", "violation_found": "yes",
              "responsible_unit": RESPONSIBLE, "rectification_opinion": "删除本地注册条款，重新发布招标文件。"}
RECTIFIED = {"rectification_report": "已删除本地注册条款并重新发布招标文件。"}
FORWARD = {"competent_decision": "forward", "competent_opinion": "整改到位，材料齐全，予以报送。"}
TITLE = "尧都区：某区要求外地企业在本地设立分公司方可参与招投标"


def received_and_transferred(sessions, received="2026-02-13 09:30", transferred="2026-02-14 10:00",
                             register=None):
    case = Case(sessions, "clue_0137", "city_ndrc", at(received))
    case.complete("register", "city_ndrc", at(received), register or REGISTER)
    case.complete("transfer", "city_ndrc", at(transferred), {"competent_unit": COMPETENT})
    return case


def evidence(sessions, user=RESPONSIBLE, name="整改通知.pdf", when="2026-03-01 09:00"):
    return upload(sessions, name, b"%PDF-1.4 rectification evidence " + name.encode(), user, at(when))


def rectify_and_forward(case, sessions, rectified="2026-03-02 11:00", forwarded="2026-03-02 15:00", files=None):
    """The responsible unit reports; its competent unit reviews and forwards (L§12(四) 按程序报送)."""
    case.complete("rectify", RESPONSIBLE, at(rectified), RECTIFIED | {"evidence": files or [evidence(sessions)]})
    case.complete("competent_review", COMPETENT, at(forwarded), FORWARD)


def test_happy_path_transfers_verifies_rectifies_and_closes(sessions):
    """A Linfen clue from receipt to closing, through its own units."""
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    assert case.ready() == ["register"] and case.task("register")["organisation"] == "city_ndrc"
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    transfer = case.task("transfer")
    # L§12(二): 1 working day from Fri 02-13 is the make-up Saturday 02-14, ending at 24:00.
    assert transfer["due_at"] == at("2026-02-15 00:00").isoformat()
    assert case.view()["title"] == TITLE
    # 有关县（市、区）或市直部门: Linfen's departments and counties, never 襄垣县 (another city's county).
    offered = {o["value"] for o in case.view()["data"]["transfer_units"]}
    assert {"city_housing", "yaodu_gov", "houma_gov", "hongtong_gov"} <= offered
    assert not offered & {"county_gov", "county_housing", "city_ndrc", "city_gov"}

    case.complete("transfer", "city_ndrc", at("2026-02-14 10:00"), {"competent_unit": COMPETENT})
    verify = case.task("verify")
    assert verify["organisation"] == COMPETENT
    # L§12(三): 3 working days after 02-14 skip the Spring Festival holiday 02-15..23 → ends 02-26.
    assert verify["due_at"] == at("2026-02-27 00:00").isoformat()
    assert {o["value"] for o in case.view()["data"]["responsible_units"]} == {
        "yaodu_gov", "yaodu_ndrc", "yaodu_market_regulation"}

    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    # L§12(三) 同时反馈: a notification and a visible step for the city NDRC, while rectification starts.
    assert case.ready() == ["acknowledge_feedback", "rectify"]
    assert case.task("acknowledge_feedback")["organisation"] == "city_ndrc"
    assert ("city_ndrc", f"收到核查反馈：{TITLE}") in case.notifications()
    rectify = case.task("rectify")
    assert rectify["organisation"] == RESPONSIBLE
    # L§12(四): 7 calendar days from 02-24 → 03-03 (a Tuesday, a working day).
    assert rectify["due_at"] == at("2026-03-04 00:00").isoformat()
    case.complete("acknowledge_feedback", "city_ndrc", at("2026-02-25 09:00"), {"feedback_note": "已阅，请抓紧整改。"})

    file_id = evidence(sessions)
    case.complete("rectify", RESPONSIBLE, at("2026-03-02 11:00"), RECTIFIED | {"evidence": [file_id]})
    # 按程序报送: the report reaches the city NDRC through the competent unit.
    assert case.ready() == ["competent_review"] and case.task("competent_review")["organisation"] == COMPETENT
    case.complete("competent_review", COMPETENT, at("2026-03-02 15:00"), FORWARD)
    assert case.task("check_report")["organisation"] == "city_ndrc"
    status = case.complete("check_report", "city_ndrc", at("2026-03-03 09:00"),
                           {"report_decision": "complete", "check_opinion": "材料完整，同意销号。"})
    assert status == "completed"
    view = case.view()
    assert view["ready_tasks"] == [] and view["waiting_timers"] == []
    assert view["data"]["closed"] is True and view["data"]["evidence"] == [file_id]
    assert "end_closed" in view["completed_steps"] and view["escalations"] == []
    assert [e["task_name"] for e in case.history() if e["kind"] == "task_completed"] == [
        "register", "transfer", "verify", "acknowledge_feedback", "rectify", "competent_review", "check_report"]


def test_a_xiangyuan_clue_is_led_by_the_county_ndrc_with_its_own_units(sessions):
    case = Case(sessions, "clue_0137", "county_ndrc", at("2026-03-02 09:00"))
    assert case.task("register")["organisation"] == "county_ndrc"
    case.complete("register", "county_ndrc", at("2026-03-02 09:10"), REGISTER | {"region": "襄垣县"})
    offered = {o["value"] for o in case.view()["data"]["transfer_units"]}
    assert "county_housing" in offered and not offered & {"city_housing", "yaodu_gov", "county_ndrc"}
    with pytest.raises(FormInvalid) as err:  # a Linfen unit is no option in Xiangyuan
        case.complete("transfer", "county_ndrc", at("2026-03-02 10:00"), {"competent_unit": "city_housing"})
    assert "competent_unit" in err.value.errors
    case.complete("transfer", "county_ndrc", at("2026-03-02 10:00"), {"competent_unit": "county_housing"})
    case.complete("verify", "county_housing", at("2026-03-03 10:00"),
                  VERIFY_YES | {"responsible_unit": "county_housing"})
    assert ("county_ndrc", f"收到核查反馈：襄垣县{TITLE[3:]}") in case.notifications()
    application = upload(sessions, "延期申请.pdf", b"%PDF-1.4 application", "county_housing", at("2026-03-04 09:00"))
    case.message("extension_request", "county_housing", at("2026-03-04 10:00"),
                 {"reason": "涉及多个部门联合修订招标文件，情况复杂。", "requested_until": "2026-03-20",
                  "application": [application]})
    assert case.task("forward_extension")["organisation"] == "county_ndrc"
    case.complete("forward_extension", "county_ndrc", at("2026-03-04 11:00"),
                  {"forward_decision": "forward", "forward_opinion": "情况属实，建议同意。"})
    # The province lane is the NDRC of the region above: for 襄垣县, 长治市发展和改革委员会.
    assert case.task("approve_extension")["organisation"] == "changzhi_ndrc"
    assert case.fire(at("2026-03-05 00:00:01")) == []
    case.message("report_shirking", "county_ndrc", at("2026-03-05 09:00"), {
        "unit_role": "responsible", "conduct": "perfunctory", "description": "整改材料仅为口头说明，敷衍了事。"})
    supervise = case.task("supervise")
    housing = "襄垣县住房和城乡建设管理局"
    assert (supervise["organisation"], supervise["title"]) == ("county_ndrc", f"督办：被反映敷衍（{housing}）")
    case.complete("supervise", "county_ndrc", at("2026-03-05 10:00"),
                  {"supervision_decision": "report", "report_to_government": "县住建局整改敷衍，报请县政府督促。"})
    review = case.task("government_review")
    assert (review["organisation"], review["title"]) == ("county_gov", f"阅示督办报告：被反映敷衍（{housing}）")


def test_transfer_offers_only_the_regions_own_units(sessions):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    before = snapshot(sessions)
    with pytest.raises(FormInvalid) as err:
        case.complete("transfer", "city_ndrc", at("2026-02-13 10:00"), {"competent_unit": "county_gov"})
    assert "competent_unit" in err.value.errors
    assert snapshot(sessions) == before


def test_one_day_transfer_counts_from_the_day_the_clue_was_received(sessions):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    assert case.view()["data"]["received_on"] == "2026-02-13"  # the form opens on today
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER | {"received_on": "2026-02-12"})
    # Received Thu 02-12: due at the end of Fri 02-13, whenever registration was finished.
    assert case.task("transfer")["due_at"] == at("2026-02-14 00:00").isoformat()
    assert case.fire(at("2026-02-14 00:00:01")) == ["transfer_deadline"]
    assert case.task("supervise")["title"] == "督办：移交逾期（临汾市发展和改革委员会）"


def test_the_day_received_defaults_to_today_and_cannot_lie_ahead(sessions):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    before = snapshot(sessions)
    with pytest.raises(FormInvalid) as err:
        case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER | {"received_on": "2026-02-14"})
    assert "received_on" in err.value.errors and snapshot(sessions) == before
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    assert case.view()["data"]["received_on"] == "2026-02-13"


def test_the_report_goes_back_through_the_competent_unit_without_restarting_the_seven_days(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    first = evidence(sessions)
    case.complete("rectify", RESPONSIBLE, at("2026-03-02 11:00"), RECTIFIED | {"evidence": [first]})
    case.complete("competent_review", COMPETENT, at("2026-03-02 15:00"),
                  {"competent_decision": "return", "competent_opinion": "缺少重新发布的招标公告。"})
    assert case.ready() == ["acknowledge_feedback", "rectify"]
    assert case.task("rectify")["due_at"] == at("2026-03-04 00:00").isoformat()  # still 7 days from 02-24
    second = evidence(sessions, name="招标公告.pdf", when="2026-03-03 09:00")
    case.complete("rectify", RESPONSIBLE, at("2026-03-03 10:00"), RECTIFIED | {"evidence": [first, second]})
    case.complete("competent_review", COMPETENT, at("2026-03-03 11:00"), FORWARD)
    case.complete("check_report", "city_ndrc", at("2026-03-05 09:00"),
                  {"report_decision": "supplement", "check_opinion": "请补充公告发布截图。"})
    # Returned after the seven days ran out: the deadline stays 03-03 and the lapse goes to the 督办 at once.
    rectify = case.task("rectify")
    assert (rectify["due_at"], rectify["overdue"]) == (at("2026-03-04 00:00").isoformat(), True)
    assert case.task("supervise")["title"] == "督办：整改逾期（临汾市尧都区市场监督管理局）"


def _extension_requested(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    application = upload(sessions, "延期申请.pdf", b"%PDF-1.4 application", COMPETENT, at("2026-02-26 09:00"))
    request = {"reason": "涉及多个部门联合修订招标文件，情况复杂。", "requested_until": "2026-03-20",
               "application": [application]}
    with pytest.raises(NotEntitled):  # L§12(四): the competent unit applies, not the responsible unit
        case.message("extension_request", RESPONSIBLE, at("2026-02-26 10:00"), request)
    case.message("extension_request", COMPETENT, at("2026-02-26 10:00"), request)
    assert case.ready() == ["acknowledge_feedback", "forward_extension", "rectify"]
    assert case.task("forward_extension")["organisation"] == "city_ndrc"
    case.complete("forward_extension", "city_ndrc", at("2026-02-26 15:00"),
                  {"forward_decision": "forward", "forward_opinion": "情况属实，建议同意延期。"})
    assert case.task("approve_extension")["organisation"] == "province_ndrc"
    return case


def test_an_approved_extension_is_told_to_all_three_and_survives_a_return(sessions):
    case = _extension_requested(sessions)
    assert case.timers()["rectify_deadline"] == at("2026-03-04 00:00")
    case.complete("approve_extension", "province_ndrc", at("2026-02-27 09:00"),
                  {"extension_decision": "approve", "extended_until": "2026-03-20", "approval_opinion": "同意延期。"})
    assert case.timers()["rectify_deadline"] == at("2026-03-21 00:00")
    told = {unit for unit, title in case.notifications() if title.startswith("延期申请审批结果")}
    assert told == {COMPETENT, RESPONSIBLE, "city_ndrc"}
    extended = [e for e in case.history() if e["kind"] == "deadline_extended"]
    assert extended and extended[0]["data"]["timers"][0]["old_due"] == at("2026-03-04 00:00").isoformat()
    # Returned for supplement: the rectification is due on the approved date, not on the old one nor anew.
    rectify_and_forward(case, sessions, "2026-03-05 09:00", "2026-03-05 10:00")
    case.complete("check_report", "city_ndrc", at("2026-03-06 09:00"),
                  {"report_decision": "supplement", "check_opinion": "请补充印证材料。"})
    assert case.task("rectify")["due_at"] == at("2026-03-21 00:00").isoformat()
    assert case.fire(at("2026-03-12 09:00")) == []
    assert case.fire(at("2026-03-21 00:00:01")) == ["rectify_deadline"]
    assert "supervise" in case.ready()


def test_a_refused_extension_changes_nothing_and_is_told_to_all_three(sessions):
    case = _extension_requested(sessions)
    case.complete("approve_extension", "province_ndrc", at("2026-02-27 09:00"),
                  {"extension_decision": "refuse", "approval_opinion": "不符合延期条件。"})
    assert case.timers()["rectify_deadline"] == at("2026-03-04 00:00")
    assert not [e for e in case.history() if e["kind"] == "deadline_extended"]
    assert case.ready() == ["acknowledge_feedback", "rectify"]
    told = {u for u, t in case.notifications() if t.startswith("延期申请审批结果")}
    assert told == {COMPETENT, RESPONSIBLE, "city_ndrc"}


def test_the_lead_may_decline_to_forward_an_extension_request(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    application = upload(sessions, "延期申请.pdf", b"%PDF-1.4 application", COMPETENT, at("2026-02-26 09:00"))
    case.message("extension_request", COMPETENT, at("2026-02-26 10:00"),
                 {"reason": "需要更多时间研究处理方案。", "requested_until": "2026-03-20",
                  "application": [application]})
    case.complete("forward_extension", "city_ndrc", at("2026-02-26 15:00"),
                  {"forward_decision": "decline", "forward_opinion": "理由不充分，不予转报。"})
    assert "approve_extension" not in case.ready()
    assert (COMPETENT, f"延期申请未予转报：{TITLE}") in case.notifications()


def test_extension_request_needs_a_written_application(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    before = snapshot(sessions)
    with pytest.raises(FormInvalid) as err:
        case.message("extension_request", COMPETENT, at("2026-02-26 10:00"),
                     {"reason": "情况复杂需要延期处理。", "requested_until": "2026-03-20"})
    assert "application" in err.value.errors
    assert snapshot(sessions) == before


def test_seven_days_may_be_set_as_working_days(sessions):
    with sessions() as s, s.begin():
        settings.change(s, "clue_rectify_day_unit", "工作日", "admin", at("2026-02-01 09:00"))
    case = received_and_transferred(sessions)
    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    # 7 working days after Tue 02-24: 02-25..27, the make-up Saturday 02-28, 03-02..04 → the end of Wed 03-04.
    assert case.task("rectify")["due_at"] == at("2026-03-05 00:00").isoformat()
    with sessions() as s, s.begin(), pytest.raises(Exception, match="calendar"):
        settings.change(s, "clue_rectify_day_unit", "月", "admin", at("2026-02-01 09:00"))


def test_no_violation_is_reviewed_and_closed_with_reasons(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", COMPETENT, at("2026-02-24 10:00"),
                  {"verification": "经核查，招标文件未设置地域限制。", "violation_found": "no"})
    assert case.ready() == ["review_no_violation"]
    assert ("city_ndrc", f"收到核查反馈：{TITLE}") in case.notifications()
    status = case.complete("review_no_violation", "city_ndrc", at("2026-02-24 15:00"),
                           {"review_decision": "agree", "review_opinion": "同意核查结论。"})
    assert status == "completed"
    assert "end_no_violation" in case.view()["completed_steps"] and "rectify" not in case.view()["completed_steps"]


def test_city_ndrc_can_send_a_no_violation_finding_back_for_verification(sessions):
    case = received_and_transferred(sessions)
    case.complete("verify", COMPETENT, at("2026-02-24 10:00"),
                  {"verification": "初步核查未发现问题。", "violation_found": "no"})
    case.complete("review_no_violation", "city_ndrc", at("2026-02-24 15:00"),
                  {"review_decision": "reverify", "review_opinion": "核查不充分，请重新核查招标文件。"})
    assert case.ready() == ["verify"]
    # A fresh verification period runs from the return (3 working days after 02-24 → 02-27).
    assert case.task("verify")["due_at"] == at("2026-02-28 00:00").isoformat()


def test_another_unit_cannot_act_on_the_clue(sessions):
    case = received_and_transferred(sessions)
    before = snapshot(sessions)
    with pytest.raises(NotFound):  # another unit's task, in a case it is no party to: as if it did not exist
        case.complete("verify", "city_housing", at("2026-02-24 10:00"), VERIFY_YES)
    with pytest.raises(NotEntitled):  # nor may it report on a matter it has no part in
        case.message("report_shirking", "county_housing", at("2026-02-24 10:00"),
                     {"unit_role": "competent", "conduct": "shirk", "description": "推诿扯皮，迟迟不核查。"})
    assert snapshot(sessions) == before
    with sessions() as s:
        assert "verify" not in {t["task_name"] for t in runtime_tasks(s, "city_housing")}
        assert "verify" in {t["task_name"] for t in runtime_tasks(s, COMPETENT)}


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
    case.complete("verify", COMPETENT, at("2026-02-24 16:00"), VERIFY_YES)
    with pytest.raises(FormInvalid) as err:
        case.complete("rectify", RESPONSIBLE, at("2026-03-02 11:00"),
                      {"rectification_report": "已整改完毕，详见说明。"})
    assert err.value.errors == {"evidence": "必填"}


def test_a_completed_task_cannot_be_completed_twice(sessions):
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    task_id = case.task("register")["task_id"]
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    with sessions() as s, s.begin(), pytest.raises(NotFound) as err:  # its row went with the step
        runtime.complete_task(s, task_id, REGISTER, directory.actor(s, "city_ndrc"), at("2026-02-13 09:41"))
    assert (err.value.what, err.value.key) == ("task", task_id)


def test_the_diagram_names_no_unit_and_keeps_system_steps_out_of_the_government_lane():
    xml = (ROOT / "processes" / "clue_0137.bpmn").read_text()
    # Leads come from the tree: no organisation code in lanes or service parameters.
    assert not re.findall(r"\b(city_ndrc|city_gov|province_ndrc|county_ndrc|county_gov)\b", xml)
    government = re.search(r'<bpmn:lane id="lane_government".*?</bpmn:lane>', xml, re.S).group(0)
    steps = re.findall(r"<bpmn:flowNodeRef>(\w+)</bpmn:flowNodeRef>", government)
    kinds = {element: re.search(rf'<bpmn:(\w+) id="{element}"', xml).group(1) for element in steps}
    assert kinds and set(kinds.values()) <= {"userTask", "exclusiveGateway", "endEvent"}
