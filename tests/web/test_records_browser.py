"""In Chromium: a complaint entered on the start form, the complaint ledger with its Excel download,
the archive catalogue, and the public notice page read without signing in."""
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import at
from tests.integration import test_case_notice as notice_case
from tests.integration.test_complaint import INTAKE
from tests.web.conftest import screenshot
from tests.web.test_browser import choose, sign_in


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:00:00+08:00")


def test_complaint_entered_on_the_page_appears_in_the_ledger_and_its_excel(live_server, page, sessions):
    sign_in(page, live_server, "county_ndrc_clerk")
    page.click("text=发起案件")
    page.click("#start-complaint")
    expect(page.locator("h1")).to_contain_text("投诉举报受理与反馈")
    page.click("#submit")
    expect(page.locator("#form-error")).to_be_visible()  # required fields, nothing sent
    choose(page, "受理渠道", "政务服务大厅投诉登记簿")
    for label, key in (("投诉举报人", "complainant"), ("联系电话", "phone"), ("被投诉单位（部门）", "respondent"),
                       ("投诉事项", "subject")):
        page.get_by_label(label).fill(INTAKE[key])
    page.get_by_label("具体内容").fill(INTAKE["content"])
    with page.expect_navigation():
        page.click("#submit")
    expect(page.locator("h1")).to_contain_text("派单")  # the clerk's next step: dispatch
    screenshot(page, "20-complaint-dispatch")

    page.click("text=工作台账")
    row = page.locator("#ledger-table tbody tr").first
    expect(row).to_contain_text("TS-2026-0001")
    expect(row).to_contain_text("政务服务大厅投诉登记簿")
    expect(row).to_contain_text("办理中")
    screenshot(page, "21-complaint-ledger")
    with page.expect_download() as download:
        page.click("#ledger-download")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet["A1"].value.startswith("投诉举报工作台账")
    assert [c.value for c in sheet[2]][:4] == ["序号", "编号", "来源", "事项"]
    assert [c.value for c in sheet[3]][1:4] == ["TS-2026-0001", "政务服务大厅投诉登记簿",
                                                "县住房和城乡建设管理局：招标文件要求本地注册"]
    assert sheet[3][7].value == "办理中"


def test_the_public_reads_published_notices_without_signing_in(live_server, page, sessions):
    case = notice_case.verified(sessions)
    case.complete("legality", "county_justice", at("2026-03-04 10:00"),
                  {"legality_opinion": "approve", "legality_note": "内容合法合规。"})
    case.complete("approve", "county_ndrc", at("2026-03-05 09:00"), {"approve_decision": "publish"})
    page.goto(f"{live_server}/public/notices")
    expect(page.locator("#notice-list")).to_contain_text("违背市场准入负面清单典型案例通报（2026年第1期）")
    expect(page.locator("header .user")).to_have_count(0)
    page.click("#notice-list a")
    expect(page.locator("#notice-title")).to_have_text("违背市场准入负面清单典型案例通报")
    expect(page.locator(".notice-case h2")).to_contain_text("案例1：招标文件要求外地企业在本地设立分公司")
    expect(page.locator(".notice-case")).to_contain_text("已删除该条款并重新发布招标公告。")
    screenshot(page, "22-public-notice")
    assert page.goto(f"{live_server}/public/notices/999").status == 404
