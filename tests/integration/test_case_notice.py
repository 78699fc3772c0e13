"""Typical-case notices (L§8, X-A8): selection, industry verification, legality opinion, approval,
publication on the public page, the credit outbox, and a self-inspection against the notice."""
import json

import pytest
from sqlalchemy import select

from engine import audit, credit, notices
from engine.errors import FormInvalid
from engine.models import Instance
from tests.conftest import at
from tests.driver import Case, snapshot

CASES = [{"archive_no": "LF-2026-0001", "title": "招标文件要求外地企业在本地设立分公司",
          "facts": "县某单位在招标文件中要求投标人须在本县注册分公司。"},
         {"archive_no": "LF-2026-0002", "title": "以备案名义变相设置审批",
          "facts": "某部门要求企业在开业前另行办理辖区备案，未备案不予登记。"},
         {"archive_no": "LF-2026-0003", "title": "限定使用本地企业产品",
          "facts": "某乡镇在采购公告中限定只能采购本县企业生产的建材。"}]
SELECT = {"notice_title": "违背市场准入负面清单典型案例通报", "industry_department": "county_housing",
          "cases": CASES}
FINDINGS = [{"clause": "《市场准入负面清单（2025年版）》说明第二条",
             "rectification": "已删除该条款并重新发布招标公告。"},
            {"clause": "《优化营商环境条例》第二十条", "rectification": "已取消该备案要求。"},
            {"clause": "《公平竞争审查条例》第九条", "rectification": "已重新发布采购公告。"}]
VERIFY = {"facts_confirmed": "yes", "cases": FINDINGS}


def archive_cases(sessions):
    """The archive the lead selects from (L§13): the cases registered through case_registry."""
    for case in CASES:
        entry = Case(sessions, "case_registry", "county_housing", at("2026-03-02 09:00"),
                     {"source_unit": "county_housing", "title": case["title"], "summary": case["facts"],
                      "category": "HIDDEN_BARRIER", "case_date": "2026-02-20"})
        entry.complete("check_materials", "city_ndrc", at("2026-03-02 10:00"), {"materials_decision": "accept"})
        entry.complete("classify", "city_ndrc", at("2026-03-02 11:00"),
                       {"archive_category": "HIDDEN_BARRIER", "importance": "important", "keywords": ""})


@pytest.fixture(autouse=True)
def archived(sessions):
    archive_cases(sessions)


def verified(sessions, when="2026-03-03"):
    case = Case(sessions, "case_notice", "county_ndrc", at(f"{when} 09:00"))
    case.complete("select_cases", "county_ndrc", at(f"{when} 09:30"), SELECT)
    assert case.task("industry_verify")["organisation"] == "county_housing"
    case.complete("industry_verify", "county_housing", at(f"{when} 14:00"), VERIFY)
    assert case.task("legality")["organisation"] == "county_justice"
    return case


def published(sessions):
    with sessions() as s:
        return notices.published(s)


def test_notice_is_verified_approved_published_shared_and_followed_by_self_inspection(sessions, tmp_path):
    case = verified(sessions)
    case.complete("legality", "county_justice", at("2026-03-04 10:00"),
                  {"legality_opinion": "approve", "legality_note": "内容合法合规。"})
    assert published(sessions) == []
    status = case.complete("approve", "county_ndrc", at("2026-03-05 09:00"), {"approve_decision": "publish"})
    assert status == "completed"
    [notice] = published(sessions)
    assert notice["issue"] == "2026年第1期"
    # Each case keeps what the lead selected and what the industry department verified.
    assert notice["cases"] == [{k: v for k, v in {**c, **f}.items() if v is not None}
                               for c, f in zip(CASES, FINDINGS, strict=True)]
    assert "案例1：招标文件要求外地企业在本地设立分公司" in notice["portal_text"]
    assert "案例3：限定使用本地企业产品" in notice["portal_text"]
    assert "《公平竞争审查条例》第九条" in notice["portal_text"]
    assert notice["wechat_text"].startswith("【违背市场准入负面清单典型案例通报】2026年第1期")
    # The credit-platform outbox, collected once as a file.
    with sessions() as s, s.begin():
        path, count = credit.export(s, tmp_path, at("2026-03-05 18:00"))
    assert count == 1
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["kind"] == "typical_case_notice" and record["payload"]["issue"] == "2026年第1期"
    with sessions() as s, s.begin():
        assert credit.export(s, tmp_path, at("2026-03-06 18:00")) == (None, 0)
    # Every county department self-inspects against the notice.
    with sessions() as s:
        campaign = s.scalars(select(Instance).where(Instance.process_id == "self_inspection")).one()
    view = Case.__new__(Case)
    view.sessions, view.id, view.now = sessions, campaign.id, at("2026-03-05 09:00")
    data = view.view()["data"]
    assert data["source_instance"] == case.id and "2026年第1期" in data["trigger_notice"]
    assert set(data["departments"]) >= {"county_housing", "county_transport", "county_justice"}
    assert sorted({t["organisation"] for t in view.view()["ready_tasks"]}) == sorted(data["departments"])
    with sessions() as s:
        assert audit.verify(s, [case.id, campaign.id])["failed"] == []


def test_facts_not_confirmed_go_back_to_the_lead(sessions):
    case = Case(sessions, "case_notice", "county_ndrc", at("2026-03-03 09:00"))
    case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"), SELECT)
    case.complete("industry_verify", "county_housing", at("2026-03-03 14:00"),
                  {"facts_confirmed": "no", "facts_note": "条款已于去年废止。"})
    assert case.ready() == ["select_cases"]


def test_legality_opinion_against_publishing_stops_the_notice(sessions):
    case = verified(sessions)
    case.complete("legality", "county_justice", at("2026-03-04 10:00"),
                  {"legality_opinion": "against", "legality_note": "涉及正在诉讼的事项，暂不宜公开。"})
    assert case.ready() == ["decide_after_opinion"]
    assert case.complete("decide_after_opinion", "county_ndrc", at("2026-03-04 15:00"),
                         {"after_opinion": "withdraw"}) == "completed"
    assert published(sessions) == []


def test_overdue_verification_escalates(sessions):
    case = Case(sessions, "case_notice", "county_ndrc", at("2026-03-03 09:00"))
    case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"), SELECT)
    assert case.fire(at("2026-03-11 00:01")) == ["verify_deadline"]  # 5 working days from Tue 03-03
    assert [(e["step"], e["overdue_unit"]) for e in case.view()["escalations"]] == [
        ("industry_verify", "county_housing")]


def test_a_notice_without_facts_is_refused(sessions):
    case = Case(sessions, "case_notice", "county_ndrc", at("2026-03-03 09:00"))
    before = snapshot(sessions)
    with pytest.raises(FormInvalid):
        case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"),
                      dict(SELECT, cases=[dict(CASES[0], facts="")]))
    assert snapshot(sessions) == before


def test_the_verifier_fills_each_selected_case_and_cannot_change_or_drop_one(sessions):
    case = Case(sessions, "case_notice", "county_ndrc", at("2026-03-03 09:00"))
    case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"), SELECT)
    before = snapshot(sessions)
    with pytest.raises(FormInvalid) as refused:
        case.complete("industry_verify", "county_housing", at("2026-03-03 14:00"),
                      dict(VERIFY, cases=FINDINGS[:2]))
    assert refused.value.errors == {"cases": "应有 3 行，不能增删"}
    with pytest.raises(FormInvalid) as refused:
        case.complete("industry_verify", "county_housing", at("2026-03-03 14:00"),
                      dict(VERIFY, cases=[FINDINGS[0], dict(FINDINGS[1], clause=""), FINDINGS[2]]))
    assert refused.value.errors == {"cases.1.clause": "第 2 行：必填"}
    assert snapshot(sessions) == before
    # A read-only field sent back altered is not taken: the selected case stays as selected.
    altered = [dict(FINDINGS[0], title="改过的名称"), *FINDINGS[1:]]
    case.complete("industry_verify", "county_housing", at("2026-03-03 14:00"), dict(VERIFY, cases=altered))
    cases = case.view()["data"]["cases"]
    assert [c["title"] for c in cases] == [c["title"] for c in CASES]
    assert [c["archive_no"] for c in cases] == ["LF-2026-0001", "LF-2026-0002", "LF-2026-0003"]


def test_a_notice_takes_between_one_and_twenty_cases(sessions):
    case = Case(sessions, "case_notice", "county_ndrc", at("2026-03-03 09:00"))
    for cases, message in (([], "至少 1 行"), ([CASES[0]] * 21, "最多 20 行")):
        with pytest.raises(FormInvalid) as refused:
            case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"), dict(SELECT, cases=cases))
        assert refused.value.errors == {"cases": message}


def test_cases_are_selected_from_the_archive(sessions):
    case = Case(sessions, "case_notice", "county_ndrc", at("2026-03-03 09:00"))
    options = case.view()["data"]["archive_options"]
    assert [o["value"] for o in options] == ["LF-2026-0003", "LF-2026-0002", "LF-2026-0001"]
    assert options[2]["label"] == "LF-2026-0001 招标文件要求外地企业在本地设立分公司（隐性壁垒）"
    with pytest.raises(FormInvalid) as refused:
        case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"),
                      dict(SELECT, cases=[dict(CASES[0], archive_no="LF-2026-0099"), dict(CASES[1], archive_no="")]))
    assert refused.value.errors == {"cases.0.archive_no": "第 1 行：'LF-2026-0099' 不是可选的值",
                                    "cases.1.archive_no": "第 2 行：必填"}
