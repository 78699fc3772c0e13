"""Self-inspection campaigns: one inspection per department, a problem ledger whose items are rectified,
reviewed and closed on their own deadlines, written reports, aggregation and spot supervision (L§9, X-A9)."""
import pytest
from sqlalchemy import select

from engine import audit, directory, ledgers, runtime
from engine.errors import FormInvalid
from engine.models import HumanTask, Instance
from tests.conftest import at
from tests.driver import Case, snapshot, upload

START = {"campaign_title": "2026年第一季度市场准入自查", "scope": ["policy", "approval"],
         "departments": ["county_housing", "county_transport"], "report_due": "2026-03-31"}
PROBLEM = {"found_problem": "yes", "problem_source": "政策文件清理", "problem_description": "招标文件要求本地注册",
           "root_cause": "沿用旧范本", "plan": "修订招标文件范本", "measures": "删除条款并重新发布",
           "problem_deadline": "2026-03-20", "responsible_person": "张三"}


def rows(sessions):
    with sessions() as s:
        return {r["item_key"]: r for r in ledgers.items(s, "rectification")}


def task_of(sessions, case, name, organisation):
    with sessions() as s:
        ids = set(s.scalars(select(Instance.id)))
        return s.scalars(select(HumanTask).where(HumanTask.task_name == name, HumanTask.organisation == organisation,
                                                 HumanTask.instance_id.in_(ids))).first()


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


def test_campaign_with_a_problem_in_one_department_and_none_in_the_other(sessions):
    case = Case(sessions, "self_inspection", "county_ndrc", at("2026-03-02 09:00"), START)
    assert sorted((t["task_name"], t["organisation"]) for t in case.view()["ready_tasks"]) == [
        ("inspect", "county_housing"), ("inspect", "county_transport")]
    complete(sessions, "inspect", "county_housing", "2026-03-03 09:00", PROBLEM | {"more": "yes"})
    complete(sessions, "inspect", "county_housing", "2026-03-03 10:00",
             PROBLEM | {"problem_description": "审批要求重复提交材料", "problem_deadline": "2026-03-25", "more": "no"})
    complete(sessions, "inspect", "county_transport", "2026-03-03 11:00", {"found_problem": "no"})
    items = rows(sessions)
    assert sorted(items) == ["ZC-2026-0001-county_housing-1", "ZC-2026-0001-county_housing-2"]
    first = items["ZC-2026-0001-county_housing-1"]
    assert (first["status"], first["organisation"], first["person"], first["deadline"]) == (
        "rectifying", "county_housing", "张三", at("2026-03-21 00:00").isoformat())
    assert first["detail"]["root_cause"] == "沿用旧范本"
    # The department without problems goes straight to its written report.
    assert task_of(sessions, case, "report", "county_transport") is not None

    evidence = upload(sessions, "整改.pdf", b"%PDF-1.4 fixed", "county_housing", at("2026-03-05 09:00"))
    for _ in range(2):
        complete(sessions, "rectify", "county_housing", "2026-03-05 09:00",
                 {"rectification_result": "已删除并重新发布。", "rectification_evidence": [evidence]})
    assert {r["status"] for r in rows(sessions).values()} == {"reviewing"}
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
    assert any(f["filename"].startswith("问题整改台账") for f in case.view()["files"])
    complete(sessions, "aggregate", "county_ndrc", "2026-03-11 09:00",
             {"aggregate_summary": "两个部门完成自查，发现问题两项，均已销号。",
              "spot_departments": ["county_housing"]})
    status = case.complete("spot_check", "county_ndrc", at("2026-03-12 09:00"),
                           {"findings": "整改流于形式，未修订范本。", "perfunctory": "yes"})
    assert status == "completed"
    view = case.view()
    assert [(e["step"], e["overdue_unit"], e["reported_to"]) for e in view["escalations"]] == [
        ("self_inspection", "county_housing", "county_gov")]
    with sessions() as s:
        assert audit.verify(s, [case.id])["failed"] == []


def test_overdue_rectification_and_report_escalate(sessions):
    case = Case(sessions, "self_inspection", "county_ndrc", at("2026-03-02 09:00"), START)
    complete(sessions, "inspect", "county_housing", "2026-03-03 09:00", PROBLEM | {"more": "no"})
    complete(sessions, "inspect", "county_transport", "2026-03-03 09:00", {"found_problem": "no"})
    # The problem's own deadline (2026-03-20) and the campaign's report date (2026-03-31).
    assert case.fire(at("2026-03-21 00:01")) == ["rectify_deadline"]
    assert [(e["step"], e["overdue_unit"]) for e in case.view()["escalations"]] == [("rectify", "county_housing")]
    assert case.fire(at("2026-04-01 00:01")) == ["report_deadline_timer"]
    assert sorted((e["step"], e["overdue_unit"]) for e in case.view()["escalations"]) == [
        ("rectify", "county_housing"), ("report", "county_transport")]
    assert ("county_gov", "逾期情况报告") in case.notifications()


def test_bad_campaign_is_refused(sessions):
    before = snapshot(sessions)
    with sessions() as s, s.begin(), pytest.raises(FormInvalid) as refused:
        runtime.start_instance(s, "self_inspection", START | {"departments": ["nowhere"], "report_due": "2026-13-01"},
                               directory.actor(s, "county_ndrc"), at("2026-03-02 09:00"))
    assert set(refused.value.errors) == {"departments", "report_due"}
    assert snapshot(sessions) == before
