"""Typical-case notices (L§8, X-A8) in either place: selection from the region's own archive, verification by one
of the region's industry departments, legality opinion by the region's justice department, approval, publication
on the public page naming the issuing unit, the credit outbox, and a self-inspection of the region's departments
against the notice."""
import json

import pytest
from sqlalchemy import select

from engine import queries
from engine.audit import replay
from engine.errors import FormInvalid
from engine.people import directory
from engine.store.models import Instance
from handlers.registers import credit, notices
from tests.conftest import at
from tests.driver import Case, snapshot

CASES = [{"archive_no": "XY-2026-0001", "title": "招标文件要求外地企业在本地设立分公司",
          "facts": "县某单位在招标文件中要求投标人须在本县注册分公司。"},
         {"archive_no": "XY-2026-0002", "title": "以备案名义变相设置审批",
          "facts": "某部门要求企业在开业前另行办理辖区备案，未备案不予登记。"},
         {"archive_no": "XY-2026-0003", "title": "限定使用本地企业产品",
          "facts": "某乡镇在采购公告中限定只能采购本县企业生产的建材。"}]
SELECT = {"notice_title": "违背市场准入负面清单典型案例通报", "industry_department": "county_housing",
          "cases": CASES}
FINDINGS = [{"clause": "《市场准入负面清单（2025年版）》说明第二条",
             "rectification": "已删除该条款并重新发布招标公告。"},
            {"clause": "《优化营商环境条例》第二十条", "rectification": "已取消该备案要求。"},
            {"clause": "《公平竞争审查条例》第九条", "rectification": "已重新发布采购公告。"}]
VERIFY = {"facts_confirmed": "yes", "cases": FINDINGS}
LINFEN_CASE = {"archive_no": "LF-2026-0001", "title": "某局要求企业提供本地纳税证明",
               "facts": "市某局在审批中要求申请人提供本市纳税证明，变相限制外地企业。"}


def register(sessions, user, lead, title, facts):
    entry = Case(sessions, "case_registry", user, at("2026-03-02 09:00"),
                 {"title": title, "summary": facts, "category": "HIDDEN_BARRIER", "case_date": "2026-02-20"})
    entry.complete("check_materials", lead, at("2026-03-02 10:00"), {"materials_decision": "accept"})
    entry.complete("classify", lead, at("2026-03-02 11:00"), {"archive_category": "HIDDEN_BARRIER",
                                                              "case_date": "2026-02-20", "importance": "important",
                                                              "keywords": ""})


def archive_cases(sessions):
    """The archives the leads select from (L§13): Xiangyuan's three cases, registered by its NDRC, and one of
    Linfen's, registered by the city NDRC."""
    for case in CASES:
        register(sessions, "county_housing", "county_ndrc", case["title"], case["facts"])
    register(sessions, "city_housing", "city_ndrc", LINFEN_CASE["title"], LINFEN_CASE["facts"])


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
    assert notice["wechat_text"].startswith("【违背市场准入负面清单典型案例通报】襄垣县发展改革和科学技术局2026年第1期")
    # The full text (全文) ends with the issuing unit, by its name, and the date; no unit is named by a code.
    assert notice["portal_text"].endswith("襄垣县发展改革和科学技术局\n2026年3月5日")
    assert "county_" not in notice["portal_text"] + notice["wechat_text"]
    # The credit-platform outbox, collected once as a file.
    with sessions() as s, s.begin():
        path, count = credit.export(s, tmp_path, at("2026-03-05 18:00"))
    assert count == 1
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["kind"] == "typical_case_notice" and record["payload"]["issue"] == "2026年第1期"
    with sessions() as s, s.begin():
        assert credit.export(s, tmp_path, at("2026-03-06 18:00")) == (None, 0)
    # Every department of the same region self-inspects against the notice, led by the same NDRC.
    with sessions() as s:
        campaign = s.scalars(select(Instance).where(Instance.process_id == "self_inspection")).one()
    view = Case.of(sessions, campaign.id, at("2026-03-05 09:00"))
    data = view.view()["data"]
    assert data["source_instance"] == case.id and "2026年第1期" in data["trigger_notice"]
    assert data["lead"] == "county_ndrc" and view.view()["title"].endswith("（XY-ZC-2026-0001）")
    assert set(data["departments"]) >= {"county_housing", "county_transport", "county_justice"}
    assert not {d for d in data["departments"] if not d.startswith("county_")}
    assert sorted({t["organisation"] for t in view.view()["ready_tasks"]}) == sorted(data["departments"])
    with sessions() as s:
        assert replay.verify(s, [case.id, campaign.id])["failed"] == []


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
    task_id = case.task("decide_after_opinion")["task_id"]
    with sessions() as s:
        text = queries.task_detail(s, directory.actor(s, "county_ndrc"), task_id, case.now)["instructions"]
    assert text == "襄垣县司法局不同意通报：涉及正在诉讼的事项，暂不宜公开。请决定修改后重新报送或撤销本次通报。"
    assert case.complete("decide_after_opinion", "county_ndrc", at("2026-03-04 15:00"),
                         {"after_opinion": "withdraw"}) == "completed"
    assert published(sessions) == []


def test_overdue_verification_escalates(sessions):
    case = Case(sessions, "case_notice", "county_ndrc", at("2026-03-03 09:00"))
    case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"), SELECT)
    assert case.fire(at("2026-03-11 00:01")) == ["verify_deadline"]  # 5 working days from Tue 03-03
    assert [(e["step"], e["overdue_unit"], e["reported_to"]) for e in case.view()["escalations"]] == [
        ("industry_verify", "county_housing", "county_gov")]
    assert ("county_gov", "逾期情况报告") in case.notifications()


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
    assert [c["archive_no"] for c in cases] == ["XY-2026-0001", "XY-2026-0002", "XY-2026-0003"]


def test_a_notice_takes_between_one_and_twenty_cases(sessions):
    case = Case(sessions, "case_notice", "county_ndrc", at("2026-03-03 09:00"))
    for cases, message in (([], "至少 1 行"), ([CASES[0]] * 21, "最多 20 行")):
        with pytest.raises(FormInvalid) as refused:
            case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"), dict(SELECT, cases=cases))
        assert refused.value.errors == {"cases": message}


def test_cases_are_selected_from_the_archive(sessions):
    case = Case(sessions, "case_notice", "county_ndrc", at("2026-03-03 09:00"))
    options = case.view()["data"]["archive_options"]
    # Only the region's own archive: Linfen's case is not Xiangyuan's to publish.
    assert [o["value"] for o in options] == ["XY-2026-0003", "XY-2026-0002", "XY-2026-0001"]
    assert options[2]["label"] == "XY-2026-0001 招标文件要求外地企业在本地设立分公司（隐性壁垒）"
    with pytest.raises(FormInvalid) as refused:
        case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"),
                      dict(SELECT, cases=[dict(CASES[0], archive_no="LF-2026-0001"), dict(CASES[1], archive_no="")]))
    assert refused.value.errors == {"cases.0.archive_no": "第 1 行：'LF-2026-0001' 不是可选的值",
                                    "cases.1.archive_no": "第 2 行：必填"}


def test_a_linfen_notice_runs_with_linfens_archive_departments_and_justice(sessions):
    case = Case(sessions, "case_notice", "city_ndrc_clerk", at("2026-03-03 09:00"))
    data = case.view()["data"]
    assert (data["lead"], data["justice"], data["government"]) == ("city_ndrc", "city_justice", "city_gov")
    assert [o["value"] for o in data["archive_options"]] == ["LF-2026-0001"]
    industries = {o["value"] for o in data["industry_options"]}
    assert "city_housing" in industries and not industries & {"county_housing", "yaodu_gov", "city_ndrc"}
    with pytest.raises(FormInvalid) as refused:  # a department of another place
        case.complete("select_cases", "city_ndrc", at("2026-03-03 09:30"),
                      dict(SELECT, industry_department="county_housing", cases=[LINFEN_CASE]))
    assert set(refused.value.errors) == {"industry_department"}
    case.complete("select_cases", "city_ndrc", at("2026-03-03 09:30"),
                  dict(SELECT, industry_department="city_housing", cases=[LINFEN_CASE]))
    assert case.task("industry_verify")["organisation"] == "city_housing"
    case.complete("industry_verify", "city_housing", at("2026-03-03 14:00"),
                  {"facts_confirmed": "yes", "cases": FINDINGS[:1]})
    assert case.task("legality")["organisation"] == "city_justice"
    case.complete("legality", "city_justice", at("2026-03-04 10:00"),
                  {"legality_opinion": "approve", "legality_note": "内容合法合规。"})
    assert case.complete("approve", "city_ndrc", at("2026-03-05 09:00"), {"approve_decision": "publish"}) == (
        "completed")
    [notice] = published(sessions)
    assert notice["portal_text"].endswith("临汾市发展和改革委员会\n2026年3月5日")
    with sessions() as s:
        campaign = s.scalars(select(Instance).where(Instance.process_id == "self_inspection")).one()
    view = Case.of(sessions, campaign.id, at("2026-03-05 09:00")).view()
    assert view["data"]["lead"] == "city_ndrc" and view["title"].endswith("（LF-ZC-2026-0001）")
    assert {t["organisation"] for t in view["ready_tasks"]} == {
        "city_housing", "city_market_regulation", "city_approval_bureau", "city_justice"}
    with sessions() as s:
        assert replay.verify(s, [case.id, campaign.id])["failed"] == []
