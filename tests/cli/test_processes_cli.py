"""Every mechanism driven through the command line, one new process per command, as a restarted web worker or a
second gunicorn process also sees a case: nothing may depend on what an earlier process kept in memory."""
import json

from tests.integration import test_case_notice as notice
from tests.integration import test_complaint as complaint
from tests.integration.test_archive_security import CHECKED
from tests.integration.test_case_registry import SUBMIT
from tests.integration.test_clue_0137 import REGISTER, VERIFY_YES
from tests.integration.test_self_inspection import PROBLEM


def _task(cli, user, name, iid=None):
    ready = [t for t in cli("tasks", "--user", user, "--json")
             if t["task_name"] == name and iid in (None, t["instance_id"])]
    assert ready, f"{name} not ready for {user}"
    return ready[0]["task_id"]


def _complete(cli, user, name, data, now, iid=None):
    return cli("complete", _task(cli, user, name, iid), "--user", user, "--data", json.dumps(data), "--json",
               now=now)


def _start(cli, process_id, user, data, now):
    return cli("start", process_id, "--user", user, "--data", json.dumps(data), "--json", now=now)["instance_id"]


def _view(cli, iid):
    return cli("instance", iid, "--json")


def _registered(cli, iid, category, day):
    """A case_registry case checked and classified by the city NDRC: its archive number."""
    _complete(cli, "city_ndrc", "check_materials", {"materials_decision": "accept"}, f"{day}T10:00:00+08:00", iid)
    _complete(cli, "city_ndrc", "classify", {"archive_category": category, "importance": "important",
                                             "keywords": ""}, f"{day}T11:00:00+08:00", iid)
    return _view(cli, iid)["data"]["number_result"]["number"]


def _file(cli, tmp_path, name, user):
    """Uploaded by the user who will name it in a form: no one else may (evidence cannot be borrowed)."""
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 " + name.encode())
    return cli("file", "add", str(path), "--user", user, "--json")["file_id"]


def test_self_inspection_of_one_department_with_one_problem(cli, tmp_path):
    start = {"campaign_title": "2026年第一季度市场准入自查", "scope": ["policy"], "departments": ["county_housing"],
             "report_due": "2026-03-31"}
    iid = cli("start", "self_inspection", "--user", "county_ndrc", "--data", json.dumps(start), "--json",
              now="2026-03-02T09:00:00+08:00")["instance_id"]
    _complete(cli, "county_housing", "inspect", PROBLEM | {"more": "no"}, "2026-03-03T09:00:00+08:00")
    evidence = _file(cli, tmp_path, "rectified.pdf", "county_housing")
    _complete(cli, "county_housing", "rectify", {"rectification_result": "已删除并重新发布。",
                                                 "rectification_evidence": [evidence]}, "2026-03-05T09:00:00+08:00")
    _complete(cli, "county_ndrc", "review", {"review_decision": "pass"}, "2026-03-06T09:00:00+08:00")
    # The problem's case merged into the department's: its written report is next.
    plan, summary = (_file(cli, tmp_path, name, "county_housing") for name in ("plan.pdf", "summary.pdf"))
    _complete(cli, "county_housing", "report", {"report_plan": [plan], "report_summary": [summary]},
              "2026-03-10T09:00:00+08:00")
    aggregate = [t for t in cli("tasks", "--user", "county_ndrc", "--json") if t["instance_id"] == iid]
    assert [t["task_name"] for t in aggregate] == ["aggregate"]
    # Spot supervision (self_inspection_spot, called for each department picked) finds perfunctory work.
    _complete(cli, "county_ndrc", "aggregate", {"aggregate_summary": "一个部门完成自查，发现问题一项，已销号。",
                                                "spot_departments": ["county_housing"]}, "2026-03-11T09:00:00+08:00")
    done = _complete(cli, "county_ndrc", "spot_check", {"findings": "整改流于形式，未修订范本。", "perfunctory": "yes"},
                     "2026-03-12T09:00:00+08:00")
    assert done["status"] == "completed"
    view = _view(cli, iid)
    assert [(e["step"], e["overdue_unit"], e["reported_to"]) for e in view["escalations"]] == [
        ("self_inspection", "county_housing", "county_gov")]
    assert cli("audit", "verify", iid, "--json")["failed"] == []


def test_clue_0137_from_receipt_to_closing_and_its_archive_number(cli, tmp_path):
    iid = cli("start", "clue_0137", "--user", "city_ndrc", "--json", now="2026-02-13T09:30:00+08:00")["instance_id"]
    _complete(cli, "city_ndrc", "register", REGISTER, "2026-02-13T09:40:00+08:00")
    _complete(cli, "city_ndrc", "transfer", {"competent_unit": "county_gov"}, "2026-02-14T10:00:00+08:00")
    _complete(cli, "county_gov", "verify", VERIFY_YES, "2026-02-24T16:00:00+08:00")
    evidence = _file(cli, tmp_path, "整改通知.pdf", "county_approval_bureau")
    rectified = {"rectification_report": "已删除本地注册条款并重新发布招标文件。", "evidence": [evidence]}
    _complete(cli, "county_approval_bureau", "rectify", rectified, "2026-03-02T11:00:00+08:00")
    closed = _complete(cli, "city_ndrc", "check_report", {"report_decision": "complete", "check_opinion": "同意销号。"},
                       "2026-03-03T09:00:00+08:00")
    assert closed["status"] == "completed"
    clue = _view(cli, iid)
    assert clue["data"]["closed"] is True and "end_closed" in clue["completed_steps"]
    # The closed clue started its case_registry case, with the clue's evidence as its materials.
    registry = clue["data"]["archive_clue_result"]["instance_id"]
    started = _view(cli, registry)
    assert (started["process_id"], started["data"]["source_instance"]) == ("case_registry", iid)
    assert started["data"]["materials"] == [evidence]
    assert _registered(cli, registry, "HIDDEN_BARRIER", "2026-03-04") == "LF-2026-0001"
    archived = _view(cli, registry)
    assert archived["ready_tasks"] == [] and [t["task_name"] for t in archived["waiting_timers"]] == ["review_due"]
    assert cli("audit", "verify", "--all", "--json")["failed"] == []


def test_complaint_from_intake_to_close(cli, tmp_path):
    iid = _start(cli, "complaint", "county_ndrc", complaint.INTAKE, "2026-03-02T09:00:00+08:00")
    _complete(cli, "county_ndrc", "dispatch", {"department": "county_housing"}, "2026-03-02T11:00:00+08:00")
    _complete(cli, "county_housing", "acknowledge", {"ack_decision": "acknowledge"}, "2026-03-02T14:00:00+08:00")
    _complete(cli, "county_housing", "handle", complaint.HANDLE, "2026-03-04T10:00:00+08:00")
    _complete(cli, "county_housing", "reply", complaint.REPLY, "2026-03-04T11:00:00+08:00")
    _complete(cli, "county_ndrc", "revisit", {"satisfaction": "satisfied", "revisit_note": "投诉人表示满意。"},
              "2026-03-05T09:00:00+08:00")
    document = _file(cli, tmp_path, "核查情况报告.pdf", "county_housing")
    _complete(cli, "county_housing", "report", {"report_doc_no": "襄住建函〔2026〕8号", "report_document": [document]},
              "2026-03-05T10:00:00+08:00")
    done = _complete(cli, "county_ndrc", "accept_report", {"report_decision": "complete"}, "2026-03-05T15:00:00+08:00")
    assert done["status"] == "completed"
    view = _view(cli, iid)
    assert view["ready_tasks"] == [] and view["waiting_timers"] == []
    assert cli("audit", "verify", iid, "--json")["failed"] == []


def test_case_notice_from_selection_to_publication(cli):
    [case], [finding] = notice.CASES[:1], notice.FINDINGS[:1]
    entry = _start(cli, "case_registry", "county_housing",
                   {"source_unit": "county_housing", "title": case["title"], "summary": case["facts"],
                    "category": "HIDDEN_BARRIER", "case_date": "2026-02-20"}, "2026-03-02T09:00:00+08:00")
    assert _registered(cli, entry, "HIDDEN_BARRIER", "2026-03-02") == case["archive_no"]
    iid = cli("start", "case_notice", "--user", "county_ndrc", "--json", now="2026-03-03T09:00:00+08:00")["instance_id"]
    _complete(cli, "county_ndrc", "select_cases", notice.SELECT | {"cases": [case]}, "2026-03-03T09:30:00+08:00")
    _complete(cli, "county_housing", "industry_verify", {"facts_confirmed": "yes", "cases": [finding]},
              "2026-03-03T14:00:00+08:00")
    _complete(cli, "county_justice", "legality", {"legality_opinion": "approve", "legality_note": "内容合法合规。"},
              "2026-03-04T10:00:00+08:00")
    done = _complete(cli, "county_ndrc", "approve", {"approve_decision": "publish"}, "2026-03-05T09:00:00+08:00")
    assert done["status"] == "completed"
    data = _view(cli, iid)["data"]
    assert data["publish_result"]["issue"] == "2026年第1期"
    # Every county department self-inspects against the published notice.
    campaign = _view(cli, data["self_inspection_result"]["instance_id"])
    assert campaign["process_id"] == "self_inspection" and campaign["data"]["source_instance"] == iid
    assert cli("audit", "verify", iid, "--json")["failed"] == []


def test_archive_security_check_with_a_problem_rectified(cli, tmp_path):
    material = _file(cli, tmp_path, "协会章程.pdf", "county_market_regulation")
    entry = _start(cli, "case_registry", "county_market_regulation", SUBMIT | {"materials": [material]},
                   "2026-03-02T09:00:00+08:00")
    assert _registered(cli, entry, "ENTITY", "2026-03-02") == "LF-2026-0001"
    iid = _start(cli, "archive_security_check", "city_ndrc", {"check_reason": "档案室搬迁后检查"},
                 "2026-04-01T09:00:00+08:00")
    record = _file(cli, tmp_path, "检查记录.pdf", "city_ndrc")
    _complete(cli, "city_ndrc", "inspect", {"checked_items": CHECKED, "check_result": "problems",
                                            "findings": "电子档案未异地备份", "rectify_due": "2026-04-30",
                                            "responsible_person": "李四", "check_record": [record]},
              "2026-04-02T10:00:00+08:00")
    evidence = _file(cli, tmp_path, "异地备份记录.pdf", "city_ndrc")
    done = _complete(cli, "city_ndrc", "rectify", {"rectification_result": "已建立异地备份。",
                                                   "rectification_evidence": [evidence]}, "2026-04-08T09:00:00+08:00")
    assert done["status"] == "completed"
    view = _view(cli, iid)
    assert {"inspect", "rectify"} <= set(view["completed_steps"]) and view["waiting_timers"] == []
    assert cli("audit", "verify", "--all", "--json")["failed"] == []
