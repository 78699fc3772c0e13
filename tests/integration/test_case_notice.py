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

SELECT = {"notice_title": "违背市场准入负面清单典型案例通报", "industry_department": "county_housing",
          "case1_archive_no": "LF-2026-0001", "case1_title": "招标文件要求外地企业在本地设立分公司",
          "case1_facts": "县某单位在招标文件中要求投标人须在本县注册分公司。"}
VERIFY = {"facts_confirmed": "yes", "case1_clause": "《市场准入负面清单（2025年版）》说明第二条",
          "case1_rectification": "已删除该条款并重新发布招标公告。"}


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
    assert notice["issue"] == "2026年第1期" and notice["cases"][0]["clause"] == VERIFY["case1_clause"]
    assert "案例1：招标文件要求外地企业在本地设立分公司" in notice["portal_text"]
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
        case.complete("select_cases", "county_ndrc", at("2026-03-03 09:30"), dict(SELECT, case1_facts=""))
    assert snapshot(sessions) == before
