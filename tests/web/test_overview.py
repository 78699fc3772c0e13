"""The status page an administrator opens."""
from tests.conftest import at
from tests.driver import Case
from tests.web.conftest import sign_in

REGISTER = {"source": "national", "summary": "某部门设置隐性门槛", "category": "OTHER", "region": "临汾市"}


def test_status_counts_overdue_and_provisional_deadlines(sessions, client, monkeypatch):
    late = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    late.complete("register", "city_ndrc", at("2026-02-13 09:40"), REGISTER)
    crossing = Case(sessions, "clue_0137", "city_ndrc", at("2026-12-31 09:30"))
    crossing.complete("register", "city_ndrc", at("2026-12-31 09:40"), REGISTER)
    monkeypatch.setenv("ZHUNRU_NOW", "2026-12-31T10:00:00+08:00")
    sign_in(client, "admin")
    page = client.get("/status").get_data(as_text=True)
    assert "已逾期（红牌）：1" in page
    assert "期限暂按周一至周五计算：1" in page
    assert "待办任务：2" in page


def test_status_is_for_administrators_only(client):
    sign_in(client, "city_ndrc")
    assert client.get("/status").status_code == 404
