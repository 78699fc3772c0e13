"""In Chromium: a self-inspection campaign started by the county NDRC on its start form, its departments chosen
from the county's own, a problem entered by the department with its target (with a date typed as a zh-CN browser
shows it), and the problem in the rectification ledger the NDRC reads."""
import pytest
from playwright.sync_api import expect

from tests.web.conftest import screenshot
from tests.web.test_browser import claim_and_open, sign_in, sign_out, submit


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:00:00+08:00")


def pick_date(page, label: str, typed: str) -> None:
    """form-js's date picker takes the browser locale's format (zh-CN: 2026/3/31)."""
    field = page.get_by_label(label)
    field.fill(typed)
    field.press("Enter")


def test_campaign_started_on_the_page_and_a_problem_entered_by_the_department(live_server, page):
    sign_in(page, live_server, "county_ndrc_clerk")
    page.click("text=发起办件")
    page.click("#start-self_inspection")
    page.get_by_label("自查名称").fill("2026年第一季度市场准入自查")
    page.get_by_label("政策文件：是否超出负面清单增设审批条件、变相设定地方保护条款").check()
    page.get_by_label("国家层面已放开但地方仍在审批的事项").check()
    pick_date(page, "书面报告截止日期", "2026/3/31")
    screenshot(page, "26-self-inspection-start")
    with page.expect_navigation():
        page.click("#submit")
    # The start leads to the campaign's first step: the departments, the county's own (its NDRC's region), by
    # name; Linfen's are not offered.
    expect(page.locator("h1")).to_contain_text("选定自查部门")
    expect(page.locator("#form-error")).to_be_hidden()
    expect(page.locator("#form")).not_to_contain_text("临汾")
    page.get_by_label("襄垣县住房和城乡建设管理局").check()
    page.get_by_label("襄垣县交通运输局").check()
    submit(page)
    sign_out(page)

    sign_in(page, live_server, "county_housing_clerk")
    claim_and_open(page, "自查并登记问题", shows="2026年第一季度市场准入自查")
    page.get_by_label("发现问题，登记一项").click()
    for label, text in (("问题来源", "政策文件清理"), ("问题描述", "招标文件要求外地企业在本县注册"),
                        ("原因分析", "沿用旧范本"), ("整改方案", "修订招标文件范本"),
                        ("整改措施", "删除条款并重新发布"), ("整改目标", "招标文件不再设置注册地要求"),
                        ("责任人", "张三")):
        page.get_by_label(label).fill(text)
    pick_date(page, "整改时限", "2026/3/20")
    page.get_by_label("否", exact=True).click()
    screenshot(page, "27-self-inspection-problem")
    submit(page)
    sign_out(page)

    sign_in(page, live_server, "county_ndrc_clerk")
    page.goto(f"{live_server}/ledgers/rectification")
    row = page.locator("#ledger-table tbody tr", has_text="招标文件要求外地企业在本县注册")
    expect(row).to_contain_text("张三")
    expect(row).to_contain_text("2026-03-20 24:00")  # the day entered, to its end
    expect(row).to_contain_text("县住房")
