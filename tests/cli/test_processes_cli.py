"""Every mechanism driven through the command line, one new process per command, as a restarted web worker or a
second gunicorn process also sees a case: nothing may depend on what an earlier process kept in memory."""
import json

from tests.integration.test_self_inspection import PROBLEM


def _task(cli, user, name):
    ready = [t for t in cli("tasks", "--user", user, "--json") if t["task_name"] == name]
    assert ready, f"{name} not ready for {user}"
    return ready[0]["task_id"]


def _complete(cli, user, name, data, now):
    return cli("complete", _task(cli, user, name), "--user", user, "--data", json.dumps(data), "--json", now=now)


def _file(cli, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 " + name.encode())
    return cli("file", "add", str(path), "--json")["file_id"]


def test_self_inspection_of_one_department_with_one_problem(cli, tmp_path):
    start = {"campaign_title": "2026年第一季度市场准入自查", "scope": ["policy"], "departments": ["county_housing"],
             "report_due": "2026-03-31"}
    iid = cli("start", "self_inspection", "--user", "county_ndrc", "--data", json.dumps(start), "--json",
              now="2026-03-02T09:00:00+08:00")["instance_id"]
    _complete(cli, "county_housing", "inspect", PROBLEM | {"more": "no"}, "2026-03-03T09:00:00+08:00")
    evidence = _file(cli, tmp_path, "rectified.pdf")
    _complete(cli, "county_housing", "rectify", {"rectification_result": "已删除并重新发布。",
                                                 "rectification_evidence": [evidence]}, "2026-03-05T09:00:00+08:00")
    _complete(cli, "county_ndrc", "review", {"review_decision": "pass"}, "2026-03-06T09:00:00+08:00")
    # The problem's case merged into the department's: its written report is next.
    plan, summary = _file(cli, tmp_path, "plan.pdf"), _file(cli, tmp_path, "summary.pdf")
    _complete(cli, "county_housing", "report", {"report_plan": [plan], "report_summary": [summary]},
              "2026-03-10T09:00:00+08:00")
    aggregate = [t for t in cli("tasks", "--user", "county_ndrc", "--json") if t["instance_id"] == iid]
    assert [t["task_name"] for t in aggregate] == ["aggregate"]
