"""Self-inspection, case registry, case notice and the archive's security check driven through the command line
in both places (临汾市 and 襄垣县), one new process per command: nothing may depend on what an earlier process
kept in memory, and each case's lead is the NDRC of the region that runs it."""
from tests.cli import steps
from tests.integration.test_archive_security import CHECKED
from tests.integration.test_case_notice import CASES, FINDINGS, SELECT
from tests.integration.test_self_inspection import PROBLEM

SUBMIT = {"title": "某协会限制外地企业入会", "category": "ENTITY", "case_date": "2026-02-20",
          "summary": "某行业协会章程要求会员须在本地注册满三年，排除外地企业平等参与。"}


def _registered(cli, user, lead, day, **changes):
    """Materials a department submits, checked and classified by its region's NDRC: the archive number."""
    iid = steps.start(cli, "case_registry", user, SUBMIT | changes, f"{day}T09:00:00+08:00")
    assert steps.view(cli, iid)["ready_tasks"][0]["organisation"] == lead
    steps.complete(cli, lead, "check_materials", {"materials_decision": "accept"}, f"{day}T10:00:00+08:00", iid)
    steps.complete(cli, lead, "classify", {"archive_category": changes.get("category", "ENTITY"),
                                      "case_date": changes.get("case_date", "2026-02-20"), "importance": "important",
                                      "keywords": ""}, f"{day}T11:00:00+08:00", iid)
    return steps.view(cli, iid)["data"]["number_result"]["number"]


def _titles(cli, iid):
    """Each step of the history by its name: a code is never what a person reads."""
    return [(e["task_name"], e["step_title"]) for e in cli("history", iid, "--json") if e["task_name"]]


def test_self_inspection_in_xiangyuan_through_spot_supervision_and_accountability(cli, tmp_path):
    start = {"campaign_title": "2026年第一季度市场准入自查", "scope": ["opened_still_approved", "qualification"],
             "report_due": "2026-03-31"}
    iid = steps.start(cli, "self_inspection", "county_ndrc_clerk", start, "2026-03-02T09:00:00+08:00")
    steps.complete(cli, "county_ndrc", "choose_departments", {"departments": ["county_housing"]},
              "2026-03-02T09:10:00+08:00", iid)
    steps.complete(cli, "county_housing", "inspect", PROBLEM | {"more": "no"}, "2026-03-03T09:00:00+08:00")
    evidence = steps.upload(cli, tmp_path, "rectified.pdf", "county_housing")
    steps.complete(cli, "county_housing", "rectify", {"rectification_result": "已删除并重新发布。",
                                                 "rectification_evidence": [evidence]}, "2026-03-05T09:00:00+08:00")
    steps.complete(cli, "county_ndrc", "review", {"review_decision": "pass"}, "2026-03-06T09:00:00+08:00")
    plan, summary = (steps.upload(cli, tmp_path, name, "county_housing") for name in ("plan.pdf", "summary.pdf"))
    steps.complete(cli, "county_housing", "report", {"report_plan": [plan], "report_summary": [summary]},
              "2026-03-10T09:00:00+08:00")
    assert [t["task_name"] for t in steps.view(cli, iid)["ready_tasks"]] == ["aggregate"]
    steps.complete(cli, "county_ndrc", "aggregate", {"aggregate_summary": "一个部门完成自查，发现问题一项，已销号。",
                                                "spot_departments": ["county_housing"]}, "2026-03-11T09:00:00+08:00")
    done = steps.complete(cli, "county_ndrc", "spot_check",
                          {"findings": "整改流于形式，未修订范本。", "perfunctory": "yes"},
                     "2026-03-12T09:00:00+08:00")
    assert done["status"] == "completed"
    view = steps.view(cli, iid)
    assert view["title"] == "2026年第一季度市场准入自查（XY-ZC-2026-0001）"
    assert {"spot_check", "report_accountability", "end_accountability"} <= set(view["completed_steps"])
    assert "襄垣县住房和城乡建设管理局自查整改工作不认真" in view["data"]["accountability_text"]
    titles = dict(_titles(cli, iid))
    assert (titles["choose_departments"], titles["aggregate"]) == ("选定自查部门", "汇总自查整改情况")
    assert cli("audit", "verify", iid, "--json")["failed"] == []


def test_self_inspection_in_linfen_with_a_late_report(cli):
    start = {"campaign_title": "临汾市2026年市场准入自查", "scope": ["policy"], "report_due": "2026-03-31"}
    iid = steps.start(cli, "self_inspection", "city_ndrc", start, "2026-03-02T09:00:00+08:00")
    offered = {o["value"] for o in steps.view(cli, iid)["data"]["unit_options"]}
    assert {"city_housing", "yaodu_gov"} <= offered and "county_housing" not in offered
    steps.complete(cli, "city_ndrc", "choose_departments", {"departments": ["yaodu_gov", "city_housing"]},
              "2026-03-02T09:10:00+08:00", iid)
    steps.complete(cli, "yaodu_gov", "inspect", {"found_problem": "no"}, "2026-03-03T09:00:00+08:00")
    steps.complete(cli, "city_housing", "inspect", {"found_problem": "no"}, "2026-03-03T09:00:00+08:00")
    fired = cli("timers", "fire", "--now", "2026-04-01T00:01:00+08:00", "--json")
    assert sorted(f["task_name"] for f in fired["fired"] if f["instance_id"] == iid) == [
        "report_deadline_timer", "report_deadline_timer"]
    view = steps.view(cli, iid)
    assert view["title"].endswith("（LF-ZC-2026-0001）")
    assert sorted((e["overdue_unit"], e["reported_to"]) for e in view["escalations"]) == [
        ("city_housing", "city_gov"), ("yaodu_gov", "city_gov")]
    assert cli("audit", "verify", iid, "--json")["failed"] == []


def test_scheduled_campaigns_and_checks_in_each_region_the_settings_list(cli):
    cli("setting", "set", "self_inspection_leads", "county_ndrc,city_ndrc")
    cli("setting", "set", "archive_security_leads", "city_ndrc,county_ndrc")
    tick = cli("timers", "fire", "--now", "2026-04-05T09:00:00+08:00", "--json")
    assert sorted(s["process_id"] for s in tick["started"]) == ["archive_security_check", "self_inspection"]
    started = {s["process_id"]: s["instance_id"] for s in tick["started"]}
    first = steps.view(cli, started["self_inspection"])
    assert (first["data"]["lead"], first["started_by"]) == ("county_ndrc", "system")
    linfen = steps.view(cli, first["data"]["other_region_cases"][0]["instance_id"])
    assert linfen["data"]["lead"] == "city_ndrc" and linfen["title"].endswith("（LF-ZC-2026-0001）")
    assert {t["organisation"] for t in linfen["ready_tasks"]} >= {"city_housing", "city_justice"}
    check = steps.view(cli, started["archive_security_check"])
    assert check["title"] == "临汾市案例资料安全检查（LF-AQ-2026-0001）"
    other = steps.view(cli, check["data"]["other_region_cases"][0]["instance_id"])
    assert other["title"] == "襄垣县案例资料安全检查（XY-AQ-2026-0001）"
    assert other["ready_tasks"][0]["organisation"] == "county_ndrc"
    assert cli("audit", "verify", "--all", "--json")["failed"] == []


def test_case_registry_in_both_places(cli, tmp_path):
    material = steps.upload(cli, tmp_path, "协会章程.pdf", "county_market_regulation")
    assert _registered(cli, "county_market_regulation", "county_ndrc", "2026-03-02", materials=[material]) == (
        "XY-2026-0001")
    assert _registered(cli, "city_housing_clerk", "city_ndrc", "2026-03-02") == "LF-2026-0001"
    assert _registered(cli, "county_transport", "county_ndrc", "2026-03-03", case_date="2025-12-01") == (
        "XY-2026-0002")
    assert _registered(cli, "yaodu_market_regulation", "yaodu_ndrc", "2026-03-03") == "YD-2026-0001"
    assert cli("audit", "verify", "--all", "--json")["failed"] == []


def test_case_notice_in_xiangyuan_from_selection_to_publication(cli):
    [case], [finding] = CASES[:1], FINDINGS[:1]
    assert _registered(cli, "county_housing", "county_ndrc", "2026-03-02", title=case["title"],
                       summary=case["facts"], category="HIDDEN_BARRIER") == case["archive_no"]
    iid = cli("start", "case_notice", "--user", "county_ndrc", "--json", now="2026-03-03T09:00:00+08:00")["instance_id"]
    steps.complete(cli, "county_ndrc", "select_cases", SELECT | {"cases": [case]}, "2026-03-03T09:30:00+08:00")
    steps.complete(cli, "county_housing", "industry_verify", {"facts_confirmed": "yes", "cases": [finding]},
              "2026-03-03T14:00:00+08:00")
    steps.complete(cli, "county_justice", "legality",
                   {"legality_opinion": "approve", "legality_note": "内容合法合规。"},
              "2026-03-04T10:00:00+08:00")
    done = steps.complete(cli, "county_ndrc", "approve", {"approve_decision": "publish"}, "2026-03-05T09:00:00+08:00")
    assert done["status"] == "completed"
    data = steps.view(cli, iid)["data"]
    assert data["publish_result"]["issue"] == "2026年第1期"
    # The region's departments self-inspect against the published notice, led by the same NDRC.
    campaign = steps.view(cli, data["self_inspection_result"]["instance_id"])
    assert campaign["process_id"] == "self_inspection" and campaign["data"]["source_instance"] == iid
    assert campaign["data"]["lead"] == "county_ndrc"
    assert {t["organisation"] for t in campaign["ready_tasks"]} >= {"county_housing", "county_justice"}
    assert cli("audit", "verify", iid, "--json")["failed"] == []


def test_case_notice_in_linfen_with_the_city_justice_bureau(cli):
    assert _registered(cli, "city_housing", "city_ndrc", "2026-03-02", title="某局要求企业提供本地纳税证明",
                       category="HIDDEN_BARRIER") == "LF-2026-0001"
    iid = cli("start", "case_notice", "--user", "city_ndrc_clerk", "--json",
              now="2026-03-03T09:00:00+08:00")["instance_id"]
    case = {"archive_no": "LF-2026-0001", "title": "某局要求企业提供本地纳税证明",
            "facts": "市某局要求申请人提供本市纳税证明。"}
    steps.complete(cli, "city_ndrc", "select_cases", SELECT | {"industry_department": "city_housing", "cases": [case]},
              "2026-03-03T09:30:00+08:00")
    steps.complete(cli, "city_housing", "industry_verify", {"facts_confirmed": "yes", "cases": FINDINGS[:1]},
              "2026-03-03T14:00:00+08:00")
    steps.complete(cli, "city_justice", "legality", {"legality_opinion": "against", "legality_note": "尚在复议期内。"},
              "2026-03-04T10:00:00+08:00")
    done = steps.complete(cli, "city_ndrc", "decide_after_opinion", {"after_opinion": "withdraw"},
                     "2026-03-04T15:00:00+08:00")
    assert done["status"] == "completed"
    assert steps.view(cli, iid)["data"]["revise_reason"] == "临汾市司法局不同意通报：尚在复议期内。"
    assert cli("audit", "verify", iid, "--json")["failed"] == []


def test_archive_security_checks_in_both_places(cli, tmp_path):
    material = steps.upload(cli, tmp_path, "协会章程.pdf", "city_market_regulation")
    assert _registered(cli, "city_market_regulation", "city_ndrc", "2026-03-02", materials=[material]) == (
        "LF-2026-0001")
    iid = steps.start(cli, "archive_security_check", "city_ndrc", {"check_reason": "档案室搬迁后检查"},
                 "2026-04-01T09:00:00+08:00")
    record = steps.upload(cli, tmp_path, "检查记录.pdf", "city_ndrc")
    steps.complete(cli, "city_ndrc", "inspect", {"checked_items": CHECKED, "check_result": "problems",
                                            "findings": "电子档案未异地备份", "rectify_due": "2026-04-30",
                                            "responsible_person": "李四", "check_record": [record]},
              "2026-04-02T10:00:00+08:00", iid)
    evidence = steps.upload(cli, tmp_path, "异地备份记录.pdf", "city_ndrc")
    done = steps.complete(cli, "city_ndrc", "rectify", {"rectification_result": "已建立异地备份。",
                                                   "rectification_evidence": [evidence]}, "2026-04-08T09:00:00+08:00")
    assert done["status"] == "completed"
    view = steps.view(cli, iid)
    assert {"inspect", "rectify"} <= set(view["completed_steps"]) and view["waiting_timers"] == []
    assert view["data"]["integrity_result"]["checked"] == 1
    xiangyuan = steps.start(cli, "archive_security_check", "county_ndrc", {"check_reason": "年度检查"},
                       "2026-04-01T09:00:00+08:00")
    record = steps.upload(cli, tmp_path, "襄垣检查记录.pdf", "county_ndrc")
    assert steps.view(cli, xiangyuan)["data"]["integrity_result"]["checked"] == 0  # Linfen's archive is not its own
    done = steps.complete(cli, "county_ndrc", "inspect", {"checked_items": CHECKED, "check_result": "pass",
                                                     "check_record": [record]}, "2026-04-02T10:00:00+08:00",
                     xiangyuan)
    assert done["status"] == "completed"
    assert cli("audit", "verify", "--all", "--json")["failed"] == []
