"""Self-inspection campaigns (L§9, X-A9) in either place: the lead is the NDRC of the region that runs the
campaign (the starter's, or the region a notice or a setting names), the departments are that region's; a
problem ledger whose items (cause, plan, measures, target, deadline, person) are rectified, reviewed and closed
on their own deadlines, written reports, aggregation, spot supervision and accountability."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine import files, queries, runtime
from engine.audit import replay
from engine.errors import FormInvalid, NotEntitled
from engine.people import directory
from engine.store.models import HumanTask, Instance, Notification
from handlers.registers import ledgers
from handlers.vocabulary import VOCABULARIES
from tests.conftest import at
from tests.driver import Case, snapshot, upload

START = {"campaign_title": "2026年第一季度市场准入自查", "scope": ["policy", "approval"], "report_due": "2026-03-31"}
DEPARTMENTS = {"departments": ["county_housing", "county_transport"]}
PROBLEM = {"found_problem": "yes", "problem_source": "政策文件清理", "problem_description": "招标文件要求本地注册",
           "root_cause": "沿用旧范本", "plan": "修订招标文件范本", "measures": "删除条款并重新发布",
           "problem_target": "招标文件不再设置注册地要求", "problem_deadline": "2026-03-20",
           "responsible_person": "张三"}


def rows(sessions):
    with sessions() as s:
        return {r["item_key"]: r for r in ledgers.items(s, ledger="rectification")}


def task_of(sessions, name, organisation):
    with sessions() as s:
        return s.scalars(select(HumanTask).where(HumanTask.task_name == name,
                                                 HumanTask.organisation == organisation)).first()


def complete(sessions, task_name, user, when, data):
    with sessions() as s:
        task_id = s.scalars(select(HumanTask.id).where(HumanTask.task_name == task_name,
                                                       HumanTask.organisation == directory.actor(s, user)
                                                       .organisation)).first()
    assert task_id, f"{task_name} not ready for {user}"
    with sessions() as s, s.begin():
        return runtime.complete_task(s, task_id, data, directory.actor(s, user), at(when)).status


def files_for(sessions, user):
    return [upload(sessions, f"{name}.pdf", b"%PDF-1.4 " + name.encode(), user, at("2026-03-02 08:00"))
            for name in ("plan", "summary")]


def notifications(sessions, organisation):
    with sessions() as s:
        return [(n.title, n.body) for n in s.scalars(select(Notification).where(
            Notification.organisation == organisation).order_by(Notification.id))]


def campaign(sessions, user="county_ndrc", departments=DEPARTMENTS, when="2026-03-02 09:00", **changes) -> Case:
    """A campaign deployed by hand: its lead picks the departments of its own region."""
    case = Case(sessions, "self_inspection", user, at(when), START | changes)
    assert case.ready() == ["choose_departments"]
    case.complete("choose_departments", user, at(when), departments)
    return case


def test_campaign_with_a_problem_in_one_department_and_none_in_the_other(sessions):
    case = campaign(sessions)
    assert case.view()["title"] == "2026年第一季度市场准入自查（XY-ZC-2026-0001）"
    assert sorted((t["task_name"], t["organisation"]) for t in case.view()["ready_tasks"]) == [
        ("inspect", "county_housing"), ("inspect", "county_transport")]
    complete(sessions, "inspect", "county_housing", "2026-03-03 09:00", PROBLEM | {"more": "yes"})
    complete(sessions, "inspect", "county_housing", "2026-03-03 10:00",
             PROBLEM | {"problem_description": "审批要求重复提交材料", "problem_deadline": "2026-03-25", "more": "no"})
    complete(sessions, "inspect", "county_transport", "2026-03-03 11:00", {"found_problem": "no"})
    items = rows(sessions)
    # Numbered campaign-department-problem, the department by its place in the campaign: no codes in a number.
    assert sorted(items) == ["XY-ZC-2026-0001-01-1", "XY-ZC-2026-0001-01-2"]
    first = items["XY-ZC-2026-0001-01-1"]
    assert (first["status"], first["organisation"], first["person"], first["deadline"]) == (
        "rectifying", "county_housing", "张三", at("2026-03-21 00:00").isoformat())
    assert (first["detail"]["root_cause"], first["detail"]["target"]) == ("沿用旧范本", "招标文件不再设置注册地要求")
    # The department without problems goes straight to its written report.
    assert task_of(sessions, "report", "county_transport") is not None

    evidence = upload(sessions, "整改.pdf", b"%PDF-1.4 fixed", "county_housing", at("2026-03-05 09:00"))
    for _ in range(2):
        complete(sessions, "rectify", "county_housing", "2026-03-05 09:00",
                 {"rectification_result": "已删除并重新发布。", "rectification_evidence": [evidence]})
    assert {r["status"] for r in rows(sessions).values()} == {"reviewing"}
    # The lead of the region reviews: 襄垣县's NDRC.
    complete(sessions, "review", "county_ndrc", "2026-03-06 09:00", {"review_decision": "redo",
                                                                    "review_opinion": "未重新发布公告"})
    complete(sessions, "review", "county_ndrc", "2026-03-06 10:00", {"review_decision": "pass"})
    statuses = sorted(r["status"] for r in rows(sessions).values())
    assert statuses == ["closed", "rectifying"]
    complete(sessions, "rectify", "county_housing", "2026-03-09 09:00",
             {"rectification_result": "已重新发布公告。", "rectification_evidence": [evidence]})
    complete(sessions, "review", "county_ndrc", "2026-03-09 10:00", {"review_decision": "pass"})
    assert {r["status"] for r in rows(sessions).values()} == {"closed"}

    for unit in ("county_housing", "county_transport"):
        plan, summary = files_for(sessions, unit)
        complete(sessions, "report", unit, "2026-03-10 09:00", {"report_plan": [plan], "report_summary": [summary]})
    assert case.ready() == ["aggregate"]
    [export] = [f for f in case.view()["files"] if f["filename"].startswith("问题整改台账")]
    with sessions() as s:
        sheet = load_workbook(io.BytesIO(files.get(s, export["file_id"]).content)).active
    header = [c.value for c in sheet[2]]
    assert header[-4:] == ["原因分析", "整改方案", "整改措施", "整改目标"]
    assert [c.value for c in sheet[3]][-4:] == ["沿用旧范本", "修订招标文件范本", "删除条款并重新发布",
                                                "招标文件不再设置注册地要求"]
    # Spot supervision offers the campaign's departments, by name.
    aggregate = case.task("aggregate")
    with sessions() as s:
        prefill = queries.task_detail(s, directory.actor(s, "county_ndrc"), aggregate["task_id"], case.now)["prefill"]
    assert prefill["department_options"] == [{"label": "襄垣县住房和城乡建设管理局", "value": "county_housing"},
                                             {"label": "襄垣县交通运输局", "value": "county_transport"}]
    complete(sessions, "aggregate", "county_ndrc", "2026-03-11 09:00",
             {"aggregate_summary": "两个部门完成自查，发现问题两项，均已销号。",
              "spot_departments": ["county_housing"]})
    status = case.complete("spot_check", "county_ndrc", at("2026-03-12 09:00"),
                           {"findings": "整改流于形式，未修订范本。", "perfunctory": "yes"})
    assert status == "completed"
    # Accountability (附件9 第七条): reported to the county government, naming the unit, not its code.
    [(title, body)] = notifications(sessions, "county_gov")
    assert title == "自查整改问责报告"
    assert "襄垣县住房和城乡建设管理局自查整改工作不认真、走过场或整改不力：整改流于形式，未修订范本。" in body
    assert "county_" not in body and "。。" not in body
    assert "end_accountability" in case.view()["completed_steps"]
    with sessions() as s:
        assert replay.verify(s, [case.id])["failed"] == []


def test_a_linfen_campaign_runs_with_linfens_departments_and_city_ndrc(sessions):
    case = Case(sessions, "self_inspection", "city_ndrc_clerk", at("2026-03-02 09:00"), START)
    options = case.view()["data"]["unit_options"]
    offered = {o["value"] for o in options}
    assert {"city_housing", "city_market_regulation", "yaodu_gov", "houma_gov", "hongtong_gov"} <= offered
    assert not offered & {"city_ndrc", "county_gov", "county_housing", "county_ndrc"}
    assert case.task("choose_departments")["organisation"] == "city_ndrc"
    before = snapshot(sessions)
    with pytest.raises(FormInvalid) as refused:  # 襄垣县 is not Linfen's
        case.complete("choose_departments", "city_ndrc", at("2026-03-02 09:30"),
                      {"departments": ["city_housing", "county_housing"]})
    assert set(refused.value.errors) == {"departments"}
    assert snapshot(sessions) == before
    case.complete("choose_departments", "city_ndrc", at("2026-03-02 09:30"), {"departments": ["city_housing"]})
    assert case.view()["title"].endswith("（LF-ZC-2026-0001）")
    complete(sessions, "inspect", "city_housing", "2026-03-03 09:00", PROBLEM | {"more": "no"})
    assert "LF-ZC-2026-0001-01-1" in rows(sessions)
    evidence = upload(sessions, "整改.pdf", b"%PDF-1.4 fixed", "city_housing", at("2026-03-05 09:00"))
    complete(sessions, "rectify", "city_housing", "2026-03-05 09:00",
             {"rectification_result": "已删除并重新发布。", "rectification_evidence": [evidence]})
    assert task_of(sessions, "review", "city_ndrc") is not None and task_of(sessions, "review", "county_ndrc") is None
    complete(sessions, "review", "city_ndrc", "2026-03-06 09:00", {"review_decision": "pass"})
    # The report is late: reported to 临汾市人民政府 and supervised by the city NDRC, in words.
    assert case.fire(at("2026-04-01 00:01")) == ["report_deadline_timer"]
    assert [(e["step"], e["overdue_unit"], e["reported_to"]) for e in case.view()["escalations"]] == [
        ("report", "city_housing", "city_gov")]
    [(title, body)] = notifications(sessions, "city_gov")
    assert title == "逾期情况报告"
    assert body == ("办件「2026年第一季度市场准入自查（LF-ZC-2026-0001）」的环节「报送书面报告」已超过时限，"
                    "逾期单位：临汾市住房和城乡建设局。")
    assert notifications(sessions, "county_gov") == []
    with sessions() as s:
        assert replay.verify(s, [case.id])["failed"] == []


def test_overdue_rectification_and_report_escalate(sessions):
    case = campaign(sessions)
    complete(sessions, "inspect", "county_housing", "2026-03-03 09:00", PROBLEM | {"more": "no"})
    complete(sessions, "inspect", "county_transport", "2026-03-03 09:00", {"found_problem": "no"})
    # The problem's own deadline (2026-03-20) and the campaign's report date (2026-03-31).
    assert case.fire(at("2026-03-21 00:01")) == ["rectify_deadline"]
    assert [(e["step"], e["overdue_unit"]) for e in case.view()["escalations"]] == [("rectify", "county_housing")]
    assert case.fire(at("2026-04-01 00:01")) == ["report_deadline_timer"]
    assert sorted((e["step"], e["overdue_unit"], e["reported_to"]) for e in case.view()["escalations"]) == [
        ("rectify", "county_housing", "county_gov"), ("report", "county_transport", "county_gov")]
    # Steps of the called processes are named too: on the case page and in its history, never by their ids.
    assert [e["step_title"] for e in case.view()["escalations"]] == ["整改", "报送书面报告"]
    titles = {e["task_name"]: e["step_title"] for e in case.history() if e["task_name"]}
    assert (titles["inspect"], titles["rectify_deadline"]) == ("自查并登记问题", "整改时限")
    reports = notifications(sessions, "county_gov")
    assert [title for title, _ in reports] == ["逾期情况报告", "逾期情况报告"]
    assert "的环节「整改」已超过时限，逾期单位：襄垣县住房和城乡建设管理局。" in reports[0][1]
    assert [title for title, _ in notifications(sessions, "county_ndrc")] == ["督办提醒", "督办提醒"]
    assert not any("county_" in body or case.id in body for _, body in reports)


def test_the_scope_names_what_the_documents_name_and_a_problem_needs_its_target(sessions):
    scope = VOCABULARIES["inspection_scope"]
    assert scope["opened_still_approved"] == "国家层面已放开但地方仍在审批的事项"
    assert sum("市场主体" in label for label in scope.values()) >= 3
    case = campaign(sessions, scope=["opened_still_approved", "qualification", "competition"],
                    departments={"departments": ["county_approval_bureau"]})
    task = case.task("inspect")
    with sessions() as s:
        detail = queries.task_detail(s, directory.actor(s, "county_approval_bureau"), task["task_id"], case.now)
    assert detail["prefill"]["scope"] == ["opened_still_approved", "qualification", "competition"]
    [shown] = [c for c in detail["schema"]["components"] if c.get("key") == "scope"]
    assert shown["readonly"] and {v["label"] for v in shown["values"]} >= {"国家层面已放开但地方仍在审批的事项"}
    before = snapshot(sessions)
    without = {k: v for k, v in PROBLEM.items() if k != "problem_target"} | {"more": "no"}
    with pytest.raises(FormInvalid) as refused:
        case.complete("inspect", "county_approval_bureau", at("2026-03-03 09:00"), without)
    assert refused.value.errors == {"problem_target": "必填"}
    assert snapshot(sessions) == before
    # Nothing found: none of the problem's fields are asked for.
    case.complete("inspect", "county_approval_bureau", at("2026-03-03 09:00"), {"found_problem": "no"})
    assert case.ready() == ["report"] and case.task("report")["organisation"] == "county_approval_bureau"


def test_the_lead_is_the_starters_region_and_no_one_names_another(sessions):
    # Whatever the data say, a campaign deployed by hand is led by the deployer's own organisation.
    case = Case(sessions, "self_inspection", "county_ndrc_clerk", at("2026-03-02 09:00"), START | {"lead": "city_ndrc"})
    assert case.view()["data"]["lead"] == "county_ndrc" and case.task("choose_departments")["organisation"] == (
        "county_ndrc")
    # The departments are chosen from the region's, after the start; the start form has none to fill.
    before = snapshot(sessions)
    with sessions() as s, s.begin(), pytest.raises(FormInvalid) as refused:
        runtime.start_instance(s, "self_inspection", START | {"departments": ["county_housing"]},
                               directory.actor(s, "county_ndrc"), at("2026-03-02 09:00"))
    assert refused.value.errors == {"departments": "表单中没有此字段"}
    assert snapshot(sessions) == before
    # Only an NDRC deploys a campaign.
    with sessions() as s, s.begin(), pytest.raises(NotEntitled):
        runtime.start_instance(s, "self_inspection", START, directory.actor(s, "county_housing"),
                               at("2026-03-02 09:00"))
    with sessions() as s:
        assert s.scalar(select(Instance.id).where(Instance.id != case.id)) is None


def test_bad_campaign_is_refused(sessions):
    before = snapshot(sessions)
    with sessions() as s, s.begin(), pytest.raises(FormInvalid) as refused:
        runtime.start_instance(s, "self_inspection", START | {"scope": ["nowhere"], "report_due": "2026-13-01"},
                               directory.actor(s, "county_ndrc"), at("2026-03-02 09:00"))
    assert set(refused.value.errors) == {"scope", "report_due"}
    assert snapshot(sessions) == before
