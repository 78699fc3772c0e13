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
    expect(row).to_contain_text("招标文件要求本地注册")
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


def test_complaint_worked_by_the_county_ndrc_and_the_department_then_replayed_by_the_auditor(
        live_server, page, sessions):
    from tests.driver import Case
    from tests.web.test_browser import sign_out, submit

    case = Case(sessions, "complaint", "county_ndrc_clerk", at("2026-03-02 09:00"), INTAKE)
    sign_in(page, live_server, "county_ndrc_clerk")
    page.click("#scope-organisation")
    row = page.locator("#task-table tbody tr", has_text="派单")
    expect(row).to_contain_text("招标文件要求本地注册")
    row.locator("button.claim").click()
    page.click("#scope-mine")
    page.locator("#task-table tbody tr", has_text="派单").locator("a").click()
    choose(page, "主办部门", "襄垣县住房和城乡建设管理局")
    page.get_by_label("派单意见").fill("请核查招标文件。")
    submit(page)
    sign_out(page)

    sign_in(page, live_server, "county_housing_clerk")
    page.click("#scope-organisation")
    row = page.locator("#task-table tbody tr", has_text="签收或退单")
    expect(row.locator(".card-green")).to_be_visible()
    row.locator("button.claim").click()
    page.click("#scope-mine")
    page.locator("#task-table tbody tr", has_text="签收或退单").locator("a").click()
    expect(page.locator(".instructions")).to_contain_text("请核查招标文件")
    page.get_by_label("签收，本部门办理").click()
    submit(page)
    expect(page.locator("h1")).to_contain_text("核查处理")  # the department's next step follows at once
    page.get_by_label("核查情况").fill("经核查，招标文件第3.2条设置了本地注册要求。")
    page.get_by_label("存在", exact=True).click()
    page.get_by_label("处理结果").fill("已责令删除该条款并重新发布招标公告。")
    page.get_by_label("承办人").fill("李明")
    screenshot(page, "22-complaint-handle")
    submit(page)
    sign_out(page)
    assert case.ready() == ["reply"]

    sign_in(page, live_server, "city_auditor")
    page.goto(f"{live_server}/audit/cases/{case.id}")
    expect(page.locator("#diagram[data-ready=true]")).to_be_visible(timeout=15000)
    events = case.history()
    expect(page.locator("#position")).to_have_text(f"{len(events)} / {len(events)}")
    assert page.locator("g.djs-element.zr-done[data-element-id=handle]").count() == 1
    assert page.locator("g.djs-element.zr-active[data-element-id=reply]").count() == 1
    page.click("#first")
    assert page.locator("g.djs-element.zr-active[data-element-id=dispatch]").count() == 1
    screenshot(page, "23-complaint-replay")
