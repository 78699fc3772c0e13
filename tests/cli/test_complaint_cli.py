"""Complaints driven through the command line, one new process per command, in both places: a complaint at 襄垣县
with a co-department and a merged repeat answered too, and one taken in and led by 临汾市's NDRC with a return, a
lapse reported to 临汾市人民政府 and a bad rating that sends it back."""
import json

from tests.integration import test_complaint as complaint

DAY = "2026-03-0{}T{}:00+08:00"


def _task(cli, user, name, iid):
    ready = [t for t in cli("tasks", "--user", user, "--json") if t["task_name"] == name and t["instance_id"] == iid]
    assert ready, f"{name} not ready for {user}"
    return ready[0]


def _complete(cli, user, name, data, now, iid):
    return cli("complete", _task(cli, user, name, iid)["task_id"], "--user", user, "--data", json.dumps(data),
               "--json", now=now)


def _start(cli, user, data, now):
    return cli("start", "complaint", "--user", user, "--data", json.dumps(data), "--json", now=now)["instance_id"]


def _report(cli, tmp_path, user, iid, now):
    path = tmp_path / "核查情况报告.pdf"
    path.write_bytes(b"%PDF-1.4 report")
    document = cli("file", "add", str(path), "--user", user, "--json")["file_id"]
    _complete(cli, user, "report", {"report_doc_no": "报告〔2026〕1号", "report_document": [document]}, now, iid)


def test_a_complaint_at_xiangyuan_with_a_co_department_and_a_merged_repeat(cli, tmp_path):
    iid = _start(cli, "county_ndrc_clerk", complaint.INTAKE, DAY.format(2, "09:00"))
    _complete(cli, "county_ndrc_clerk", "dispatch",
              {"department": "county_housing", "co_departments": ["county_market_regulation"]},
              DAY.format(2, "10:00"), iid)
    _complete(cli, "county_housing", "acknowledge", {"ack_decision": "acknowledge"}, DAY.format(2, "11:00"), iid)
    assist = _task(cli, "county_market_regulation", "assist", iid)
    assert assist["due_at"] == "2026-03-06T00:00:00+08:00"
    _complete(cli, "county_market_regulation", "assist", complaint.ASSIST, DAY.format(3, "09:00"), iid)
    repeat = _start(cli, "county_ndrc", dict(complaint.INTAKE, complainant="赵先生", phone="13900001111"),
                    DAY.format(3, "10:00"))
    assert cli("instance", repeat, "--json")["status"] == "completed"
    handle = _task(cli, "county_housing", "handle", iid)
    assert handle["due_at"] == "2026-03-10T00:00:00+08:00"
    _complete(cli, "county_housing", "handle", complaint.HANDLE, DAY.format(4, "10:00"), iid)
    answered = []
    for hour in ("11:00", "14:00"):  # one reply to each complainant, by the NDRC
        answered.append(_task(cli, "county_ndrc_clerk", "reply", iid)["due_at"])
        _complete(cli, "county_ndrc_clerk", "reply", complaint.REPLY, DAY.format(4, hour), iid)
    assert answered == ["2026-03-07T00:00:00+08:00"] * 2
    people = cli("instance", iid, "--json")["data"]["complainant_list"]["people"]
    assert [(p["complainant"], bool(p["replied_at"])) for p in people] == [("王女士", True), ("赵先生", True)]
    _complete(cli, "county_ndrc_clerk", "revisit", complaint.REVISIT, DAY.format(5, "09:00"), iid)
    _report(cli, tmp_path, "county_housing", iid, DAY.format(5, "10:00"))
    done = _complete(cli, "county_ndrc_clerk", "accept_report", {"report_decision": "complete"},
                     DAY.format(5, "15:00"), iid)
    assert done["status"] == "completed"
    assert cli("audit", "verify", "--all", "--json") == {"verified": 2, "failed": []}


def test_a_complaint_taken_in_and_led_by_linfens_ndrc(cli, tmp_path):
    iid = _start(cli, "city_ndrc_clerk", dict(complaint.INTAKE, respondent="市住房和城乡建设局"),
                 DAY.format(2, "09:00"))
    assert _task(cli, "city_ndrc_clerk", "dispatch", iid)["organisation"] == "city_ndrc"
    assert cli("tasks", "--user", "county_ndrc", "--json") == []  # 襄垣县's NDRC has nothing of it
    _complete(cli, "city_ndrc_clerk", "dispatch", {"department": "city_market_regulation"}, DAY.format(2, "10:00"), iid)
    _complete(cli, "city_market_regulation", "acknowledge",
              {"ack_decision": "return", "return_reason": "属住建部门职责，应由市住房和城乡建设局办理。"},
              DAY.format(2, "11:00"), iid)
    _complete(cli, "city_ndrc_clerk", "dispatch", {"department": "city_housing"}, DAY.format(2, "14:00"), iid)
    _complete(cli, "city_housing", "acknowledge", {"ack_decision": "acknowledge"}, DAY.format(2, "15:00"), iid)
    _complete(cli, "city_housing", "handle", complaint.HANDLE, DAY.format(3, "10:00"), iid)
    fired = cli("timers", "fire", "--now", "2026-03-06T00:01:00+08:00", "--json")
    assert [f["task_name"] for f in fired["fired"]] == ["reply_deadline"]
    view = cli("instance", iid, "--json")
    assert [(e["step"], e["overdue_unit"], e["reported_to"]) for e in view["escalations"]] == [
        ("reply", "city_ndrc", "city_gov")]
    _complete(cli, "city_ndrc_clerk", "reply", complaint.REPLY, DAY.format(6, "09:00"), iid)
    _complete(cli, "city_ndrc_clerk", "revisit", {"satisfaction": "very_dissatisfied", "revisit_note": "未见整改。"},
              DAY.format(6, "10:00"), iid)
    assert _task(cli, "city_housing", "handle", iid)["due_at"] == "2026-03-14T00:00:00+08:00"
    _complete(cli, "city_housing", "handle", complaint.HANDLE, "2026-03-09T10:00:00+08:00", iid)
    _complete(cli, "city_ndrc_clerk", "reply", complaint.REPLY, "2026-03-09T11:00:00+08:00", iid)
    _complete(cli, "city_ndrc_clerk", "revisit", complaint.REVISIT, "2026-03-09T14:00:00+08:00", iid)
    _report(cli, tmp_path, "city_housing", iid, "2026-03-10T09:00:00+08:00")
    done = _complete(cli, "city_ndrc_clerk", "accept_report", {"report_decision": "complete"},
                     "2026-03-10T10:00:00+08:00", iid)
    assert done["status"] == "completed"
    data = cli("instance", iid, "--json")["data"]
    assert [r["unit_name"] for r in data["returns"]] == ["临汾市市场监督管理局"]
    assert cli("audit", "verify", iid, "--json") == {"verified": 1, "failed": []}
