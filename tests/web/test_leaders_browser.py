"""The leaders' view in real Chromium (zh-CN, 1366×768): ECharts (served from node_modules) draws the charts
under the app's CSP, each beside its table, and a number opens the list behind it."""
import re

from playwright.sync_api import expect

from handlers import demo_cases
from handlers.demo_content import LINFEN
from tests.integration.test_demo_cases import NOW
from tests.web.test_browser import sign_in


def test_the_city_government_sees_charts_with_their_tables_and_the_reports_to_it(
        sessions, live_server, page, monkeypatch, tmp_path):
    with sessions() as s, s.begin():
        assert demo_cases.seed(s, NOW)
    monkeypatch.setenv("ZHUNRU_NOW", NOW.isoformat())
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: blocked.append(str(e)))
    sign_in(page, live_server, "city_gov")
    page.click("#nav-leaders")
    expect(page.locator("h1")).to_have_text("逾期与督办")
    for chart, table in (("#chart-units", "#units-table"), ("#chart-rates", "#rates-table")):
        expect(page.locator(f"{chart} svg")).to_have_count(1)
        box, beside = page.locator(chart).bounding_box(), page.locator(table).bounding_box()
        assert box["height"] > 200 and beside["x"] > box["x"] + box["width"] - 1  # the table beside the chart
    expect(page.locator("#chart-units svg text", has_text="临汾市尧都区").first).to_be_attached()
    overdue = demo_cases.clue_title(LINFEN, "overdue")
    expect(page.locator("#to-me-table tbody tr", has_text=overdue).first).to_be_visible()
    page.screenshot(path=str(tmp_path / "leaders.png"), full_page=True)
    assert (tmp_path / "leaders.png").stat().st_size > 0
    assert not blocked, blocked

    page.locator('#units-table tr[data-unit="yaodu_market_regulation"] a.red').click()
    expect(page).to_have_url(re.compile(r"/tasks\?scope=region&unit=yaodu_market_regulation&status=red$"))
    rows = page.locator("#task-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(overdue)
    expect(rows.first).to_contain_text("临汾市尧都区市场监督管理局")
    page.screenshot(path=str(tmp_path / "leaders-red-list.png"), full_page=True)
    assert not blocked, blocked
