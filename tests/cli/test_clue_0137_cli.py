"""The 0137 mechanism driven through the command line, one new process per command, in both places: a Linfen clue
led by the city NDRC to closing and its archive number, and a Xiangyuan clue led by the county NDRC through a late
transfer, an extension, a report of shirking, a report to the county government and its circular."""
import json

from tests.cli import steps
from tests.integration.test_clue_0137 import FORWARD, RECTIFIED, REGISTER, VERIFY_YES


def _tasks(cli, user, iid):
    return [t for t in cli("tasks", "--user", user, "--json") if t["instance_id"] == iid]


def _complete(cli, user, name, data, now, iid):
    [task] = [t for t in _tasks(cli, user, iid) if t["task_name"] == name]
    return cli("complete", task["task_id"], "--user", user, "--data", json.dumps(data), "--json", now=now)


def _registered(cli, iid, day):
    """The archive case a closed clue started, checked and classified by the NDRC that led the clue."""
    lead = cli("instance", iid, "--json")["data"]["lead"]
    _complete(cli, lead, "check_materials", {"materials_decision": "accept"}, f"{day}T10:00:00+08:00", iid)
    _complete(cli, lead, "classify", {"archive_category": "HIDDEN_BARRIER", "case_date": day, "importance": "important",
                                      "keywords": ""}, f"{day}T11:00:00+08:00", iid)
    return lead, cli("instance", iid, "--json")["data"]["number_result"]["number"]


def test_a_linfen_clue_from_receipt_to_closing_and_its_archive_number(cli, tmp_path):
    iid = cli("start", "clue_0137", "--user", "city_ndrc", "--json", now="2026-02-13T09:30:00+08:00")["instance_id"]
    _complete(cli, "city_ndrc", "register", REGISTER | {"received_on": "2026-02-13"}, "2026-02-13T09:40:00+08:00", iid)
    [transfer] = _tasks(cli, "city_ndrc", iid)
    assert transfer["due_at"] == "2026-02-15T00:00:00+08:00"
    refused = cli("complete", transfer["task_id"], "--user", "city_ndrc", "--data",
                  json.dumps({"competent_unit": "county_gov"}), now="2026-02-14T10:00:00+08:00", expect=2)
    assert "competent_unit" in refused.stderr  # 襄垣县 is no unit of Linfen
    _complete(cli, "city_ndrc", "transfer", {"competent_unit": "yaodu_gov"}, "2026-02-14T10:00:00+08:00", iid)
    _complete(cli, "yaodu_gov", "verify", VERIFY_YES, "2026-02-24T16:00:00+08:00", iid)
    assert [t["task_name"] for t in _tasks(cli, "city_ndrc", iid)] == ["acknowledge_feedback"]
    _complete(cli, "city_ndrc", "acknowledge_feedback", {}, "2026-02-25T09:00:00+08:00", iid)
    evidence = steps.upload(cli, tmp_path, "整改通知.pdf", "yaodu_market_regulation")
    _complete(cli, "yaodu_market_regulation", "rectify", RECTIFIED | {"evidence": [evidence]},
              "2026-03-02T11:00:00+08:00", iid)
    _complete(cli, "yaodu_gov", "competent_review", FORWARD, "2026-03-02T15:00:00+08:00", iid)
    closed = _complete(cli, "city_ndrc", "check_report", {"report_decision": "complete", "check_opinion": "同意销号。"},
                       "2026-03-03T09:00:00+08:00", iid)
    assert closed["status"] == "completed"
    clue = cli("instance", iid, "--json")
    registry = clue["data"]["archive_clue_result"]["instance_id"]
    assert cli("instance", registry, "--json")["data"]["materials"] == [evidence]
    assert _registered(cli, registry, "2026-03-04") == ("city_ndrc", "LF-2026-0001")
    assert cli("audit", "verify", "--all", "--json")["failed"] == []


def test_a_xiangyuan_clue_through_lapses_extension_report_and_circular(cli, tmp_path):
    iid = cli("start", "clue_0137", "--user", "county_ndrc", "--json", now="2026-03-02T09:00:00+08:00")["instance_id"]
    _complete(cli, "county_ndrc", "register", REGISTER | {"region": "襄垣县", "received_on": "2026-02-27"},
              "2026-03-02T09:10:00+08:00", iid)
    # Received Fri 02-27: one working day is the make-up Saturday 02-28, long past when it is registered on
    # 03-02: the transfer is late at once, and its 督办 is before the county NDRC with it.
    shown = {t["title"]: t for t in _tasks(cli, "county_ndrc", iid)}
    assert set(shown) == {"移交主管单位", "督办：移交逾期（襄垣县发展改革和科学技术局）"}
    assert (shown["移交主管单位"]["due_at"], shown["移交主管单位"]["overdue"]) == ("2026-03-01T00:00:00+08:00", True)
    _complete(cli, "county_ndrc", "supervise", {"supervision_decision": "urge", "urge_note": "当日移交。"},
              "2026-03-03T09:00:00+08:00", iid)
    _complete(cli, "county_ndrc", "transfer", {"competent_unit": "county_housing"}, "2026-03-03T09:30:00+08:00", iid)
    _complete(cli, "county_housing", "verify", VERIFY_YES | {"responsible_unit": "county_housing"},
              "2026-03-04T10:00:00+08:00", iid)
    application = steps.upload(cli, tmp_path, "延期申请.pdf", "county_housing")
    request = json.dumps({"reason": "涉及多个部门联合修订招标文件，情况复杂。", "requested_until": "2026-03-25",
                          "application": [application]})
    cli("message", iid, "extension_request", "--user", "county_ndrc", "--data", request, expect=2)  # not its to ask
    cli("message", iid, "extension_request", "--user", "county_housing", "--data", request, "--json",
        now="2026-03-05T09:00:00+08:00")
    _complete(cli, "county_ndrc", "forward_extension", {"forward_decision": "forward", "forward_opinion": "建议同意。"},
              "2026-03-05T10:00:00+08:00", iid)
    approved = {"extension_decision": "approve", "extended_until": "2026-03-25", "approval_opinion": "同意。"}
    _complete(cli, "changzhi_ndrc", "approve_extension", approved, "2026-03-06T09:00:00+08:00", iid)
    [rectify] = [t for t in _tasks(cli, "county_housing", iid) if t["task_name"] == "rectify"]
    assert rectify["due_at"] == "2026-03-26T00:00:00+08:00"
    shirking = {"unit_role": "responsible", "conduct": "delay", "description": "至今未启动整改，拖延。"}
    cli("message", iid, "report_shirking", "--user", "county_ndrc", "--data", json.dumps(shirking), "--json",
        now="2026-03-09T09:00:00+08:00")
    _complete(cli, "county_ndrc", "supervise", {"supervision_decision": "report",
                                                "report_to_government": "县住建局整改拖延，报请县政府督促。"},
              "2026-03-09T10:00:00+08:00", iid)
    [review] = _tasks(cli, "county_gov", iid)
    assert review["title"] == "阅示督办报告：被反映拖延（襄垣县住房和城乡建设管理局）"
    _complete(cli, "county_gov", "government_review", {"government_instruction": "全县通报。", "citywide_notice": True},
              "2026-03-09T15:00:00+08:00", iid)
    evidence = steps.upload(cli, tmp_path, "整改材料.pdf", "county_housing")
    _complete(cli, "county_housing", "rectify", RECTIFIED | {"evidence": [evidence]}, "2026-03-20T09:00:00+08:00", iid)
    _complete(cli, "county_housing", "competent_review", FORWARD, "2026-03-20T10:00:00+08:00", iid)
    _complete(cli, "county_ndrc", "acknowledge_feedback", {}, "2026-03-20T11:00:00+08:00", iid)
    closed = _complete(cli, "county_ndrc", "check_report", {"report_decision": "complete", "check_opinion": "同意。"},
                       "2026-03-23T09:00:00+08:00", iid)
    assert closed["status"] == "completed"
    data = cli("instance", iid, "--json")["data"]
    assert data["issue_circular_result"]["issue"] == "2026年第1期"
    assert _registered(cli, data["archive_clue_result"]["instance_id"], "2026-03-24") == ("county_ndrc",
                                                                                         "XY-2026-0001")
    assert cli("audit", "verify", "--all", "--json")["failed"] == []
