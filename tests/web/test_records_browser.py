"""In Chromium: a complaint entered on the start form, the complaint ledger with its Excel download,
the archive catalogue, and the public notice page read without signing in."""
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from engine.store.models import Instance
from tests.conftest import at
from tests.integration import test_case_notice as notice_case
from tests.integration.test_complaint import INTAKE
from tests.web.conftest import screenshot
from tests.web.test_browser import choose, claim_and_open, sign_in


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:00:00+08:00")


def test_complaint_entered_on_the_page_appears_in_the_ledger_and_its_excel(live_server, page, sessions):
    sign_in(page, live_server, "county_ndrc_clerk")
    page.click("text=发起办件")
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
    assert [c.value for c in sheet[3]][1:4] == ["XY-TS-2026-0001", "政务服务大厅投诉登记簿",
                                                "县住房和城乡建设管理局：招标文件要求本地注册"]
    assert sheet[3][7].value == "办理中"


def test_the_public_reads_published_notices_without_signing_in(live_server, page, sessions):
    notice_case.archive_cases(sessions)
    case = notice_case.verified(sessions)
    case.complete("legality", "county_justice", at("2026-03-04 10:00"),
                  {"legality_opinion": "approve", "legality_note": "内容合法合规。"})
    case.complete("approve", "county_ndrc", at("2026-03-05 09:00"), {"approve_decision": "publish"})
    page.goto(f"{live_server}/public/notices")
    expect(page.locator("#notice-list")).to_contain_text("违背市场准入负面清单典型案例通报（2026年第1期）")
    expect(page.locator("header .user")).to_have_count(0)
    page.click("#notice-list a")
    expect(page.locator("#notice-title")).to_have_text("违背市场准入负面清单典型案例通报")
    expect(page.locator(".notice-case h2")).to_have_text([f"案例{n}：{c['title']}"
                                                         for n, c in enumerate(notice_case.CASES, 1)])
    expect(page.locator(".notice-case").nth(2)).to_contain_text(notice_case.FINDINGS[2]["rectification"])
    screenshot(page, "22-public-notice")
    assert page.goto(f"{live_server}/public/notices/999").status == 404


def test_complaint_worked_by_the_county_ndrc_and_the_department_then_replayed_by_the_auditor(
        live_server, page, sessions):
    from tests.driver import Case
    from tests.web.test_browser import sign_out, submit

    case = Case(sessions, "complaint", "county_ndrc_clerk", at("2026-03-02 09:00"), INTAKE)
    sign_in(page, live_server, "county_ndrc_clerk")
    claim_and_open(page, "派单", shows="招标文件要求本地注册")
    choose(page, "主办部门", "襄垣县住房和城乡建设管理局")
    page.get_by_label("派单意见").fill("请核查招标文件。")
    submit(page)
    sign_out(page)

    sign_in(page, live_server, "county_housing_clerk")
    page.click("#scope-organisation")
    expect(page.locator("#task-table tbody tr", has_text="签收或退单").locator(".card-green")).to_be_visible()
    claim_and_open(page, "签收或退单")
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

    sign_in(page, live_server, "county_auditor")  # 襄垣县's auditor: the complaint ran in 襄垣县
    page.goto(f"{live_server}/audit/cases/{case.id}")
    expect(page.locator("#diagram[data-ready=true]")).to_be_visible(timeout=15000)
    events = case.history()
    expect(page.locator("#position")).to_have_text(f"{len(events)} / {len(events)}")
    assert page.locator("g.djs-element.zr-done[data-element-id=handle]").count() == 1
    assert page.locator("g.djs-element.zr-active[data-element-id=reply]").count() == 1
    page.click("#first")
    assert page.locator("g.djs-element.zr-active[data-element-id=dispatch]").count() == 1
    screenshot(page, "23-complaint-replay")


def test_notice_cases_are_added_row_by_row_and_verified_row_by_row(live_server, page, sessions):
    from tests.driver import Case
    from tests.web.test_browser import sign_out, submit

    notice_case.archive_cases(sessions)
    sign_in(page, live_server, "county_ndrc_clerk")
    page.click("text=发起办件")
    page.click("#start-case_notice")
    expect(page.locator("h1")).to_contain_text("选取典型案例")
    page.click("#submit")
    errors = page.locator(".fjs-form-field-error")
    expect(errors.first).to_have_text("必填")  # form-js's own messages are in Chinese too
    expect(page.locator("#form")).not_to_contain_text("Field is required")
    page.get_by_label("通报标题").fill(notice_case.SELECT["notice_title"])
    choose(page, "核实事实的行业主管部门", "襄垣县住房和城乡建设管理局")
    page.get_by_role("button", name="添加一行").click()
    rows = page.locator(".fjs-repeat-row-container")
    expect(rows).to_have_count(2)
    for row, case in zip((rows.nth(0), rows.nth(1)), notice_case.CASES[:2], strict=True):
        row.get_by_label("档案编号").fill(case["archive_no"][-4:])  # searched in the archive's choices
        page.locator(".fjs-dropdownlist-item", has_text=case["archive_no"]).click()
        row.get_by_label("案例名称").fill(case["title"])
        row.get_by_label("基本案情").fill(case["facts"])
    screenshot(page, "24-notice-select-rows")
    submit(page)
    sign_out(page)

    sign_in(page, live_server, "county_housing_clerk")
    claim_and_open(page, "核实事实及政策依据")
    expect(page.locator(".instructions")).to_contain_text("共 2 个")
    page.get_by_label("事实清楚、依据准确").click()
    expect(page.get_by_label("案例名称")).to_have_count(2)
    expect(page.get_by_role("button", name="添加一行")).to_have_count(0)  # the selected cases are fixed
    expect(page.get_by_label("案例名称").nth(1)).to_have_value(notice_case.CASES[1]["title"])
    for index, finding in enumerate(notice_case.FINDINGS[:2]):
        page.get_by_label("违反的条款").nth(index).fill(finding["clause"])
        page.get_by_label("整改情况").nth(index).fill(finding["rectification"])

    # The server's refusal of one row's field shows at that row's field.
    def tamper(route):
        route.continue_(post_data=route.request.post_data_buffer.replace(
            notice_case.FINDINGS[1]["clause"].encode(), b""))
    page.route(re.compile(r"/complete$"), tamper)
    page.click("#submit")
    expect(page.locator("#form-error")).to_contain_text("逐案核实 违反的条款 第 2 行：必填")
    clauses = page.locator(".fjs-form-field-textarea", has=page.get_by_label("违反的条款"))
    expect(clauses.nth(1).locator(".fjs-form-field-error")).to_have_text("第 2 行：必填")
    expect(clauses.nth(0).locator(".fjs-form-field-error")).to_have_count(0)
    page.unroute(re.compile(r"/complete$"))
    screenshot(page, "25-notice-verify-rows")
    submit(page)

    with sessions() as s:
        instance_id = s.scalars(select(Instance.id).where(Instance.process_id == "case_notice")).one()
    cases = Case.of(sessions, instance_id, at("2026-03-02 12:00")).view()["data"]["cases"]
    assert [(c["title"], c["clause"]) for c in cases] == [
        (c["title"], f["clause"]) for c, f in zip(notice_case.CASES[:2], notice_case.FINDINGS[:2], strict=True)]
