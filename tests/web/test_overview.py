"""The status page an administrator opens first."""
from tests.conftest import at
from tests.driver import Case
from web.app import create_app

REGISTER = {"source": "national", "summary": "某部门设置隐性门槛", "category": "OTHER", "region": "临汾市"}


def test_overview_counts_overdue_and_provisional_deadlines(sessions, monkeypatch):
    late = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    late.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    crossing = Case(sessions, "clue_0137", "city_ndrc", at("2026-12-31 09:30"))
    crossing.complete("register", "city_ndrc", at("2026-12-31 09:40"), REGISTER)
    monkeypatch.setenv("ZHUNRU_NOW", "2026-12-31T10:00:00+08:00")
    page = create_app({"SESSIONS": sessions}).test_client().get("/").get_data(as_text=True)
    assert "已逾期（红牌）：1" in page
    assert "期限暂按周一至周五计算：1" in page
    assert "待办任务：2" in page
