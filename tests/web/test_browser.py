"""Staff work a clue in real Chromium at 1366×768: register with an attachment, transfer, verify."""
import json
import re

from playwright.sync_api import expect

from tests.web.conftest import screenshot


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", "zhunru-demo")
    page.click("#sign-in")
    expect(page.locator("header .user")).to_have_attribute("title", username)  # the page shows the name


def sign_out(page) -> None:
    page.click("#sign-out")
    expect(page.locator("#sign-in")).to_be_visible()


def choose(page, label: str, option: str) -> None:
    """Pick an option in a form-js select (a searchable dropdown, not a native <select>)."""
    field = page.locator(".fjs-form-field-select", has=page.locator("label", has_text=label))
    field.locator(".fjs-select-display").click()
    page.locator(".fjs-dropdownlist-item", has_text=option).first.click()


def claim_and_open(page, step: str, shows: str | None = None) -> None:
    """From the unit's pool: claim the step (its row showing `shows`, when given), then open it from 我的任务."""
    page.click("#scope-organisation")
    row = page.locator("#task-table tbody tr", has_text=step)
    if shows:
        expect(row).to_contain_text(shows)
    row.locator("button.claim").click()
    page.click("#scope-mine")
    page.locator("#task-table tbody tr", has_text=step).locator("a").click()


def submit(page) -> None:
    """Submit the form and wait for the page it leads to."""
    with page.expect_navigation(), page.expect_response(re.compile(r"/complete$")) as answer:
        page.click("#submit")
    assert answer.value.ok, answer.value.text()


def test_clue_registered_transferred_and_verified_in_the_browser(live_server, page, monkeypatch, tmp_path):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-02-13T09:30:00+08:00")
    sign_in(page, live_server, "city_ndrc_clerk")
    screenshot(page, "01-tasks-empty")
    page.click("text=发起办件")
    page.click("#start-clue_0137")
    expect(page.locator("h1")).to_contain_text("登记线索")

    # Wrong input: form-js shows the field errors and nothing is sent.
    page.click("#submit")
    expect(page.locator("#form-error")).to_be_visible()
    expect(page.locator(".fjs-form-field-error").first).to_be_visible()

    choose(page, "线索来源", "国家发展改革委转送")
    page.get_by_label("线索摘要").fill("某县要求外地企业在本地设立分公司方可参与招投标")
    page.get_by_label("隐性壁垒").click()
    page.get_by_label("涉及地区").fill("尧都区")
    # A field the server refuses (a tampered or outdated page): the error shows at that field.
    def tamper(route):
        route.continue_(post_data=route.request.post_data_buffer.replace("尧都区".encode(), b""))
    page.route(re.compile(r"/complete$"), tamper)
    page.click("#submit")
    expect(page.locator("#form-error")).to_contain_text("涉及地区")
    expect(page.locator(".fjs-form-field-error", has_text="必填")).to_be_visible()
    page.unroute(re.compile(r"/complete$"))
    expect(page.get_by_label("涉及地区")).to_have_value("尧都区")  # nothing typed is lost

    notice = tmp_path / "转送函.pdf"
    notice.write_bytes(b"%PDF-1.4 national referral letter")
    page.locator("input[type=file]").set_input_files(str(notice))
    screenshot(page, "02-register-form")

    submit(page)
    expect(page.locator("h1")).to_contain_text("移交主管单位")  # the next step is the same unit's
    expect(page.locator("#history")).to_contain_text("转送函.pdf")
    choose(page, "主管单位", "临汾市尧都区人民政府")  # Linfen's own units only
    submit(page)
    expect(page.locator("#task-table")).to_be_visible()
    sign_out(page)

    sign_in(page, live_server, "yaodu_gov_clerk")
    page.click("#scope-organisation")
    row = page.locator("#task-table tbody tr", has_text="核查")
    expect(row.locator(".card-green")).to_be_visible()
    monkeypatch.setenv("ZHUNRU_NOW", "2026-02-25T09:00:00+08:00")  # the last working day before the deadline
    page.reload()
    expect(row.locator(".card-yellow")).to_be_visible()
    screenshot(page, "03-tasks-organisation")
    row.locator("button.claim").click()
    page.click("#scope-mine")
    page.locator("#task-table tbody tr", has_text="核查").locator("a").click()
    expect(page.locator("h1")).to_contain_text("核查")
    page.get_by_label("核查情况").fill("经核查，招标文件设置了本地注册要求。")
    page.get_by_label("存在违规，需要整改").click()
    choose(page, "整改责任单位", "临汾市尧都区市场监督管理局")
    page.get_by_label("整改意见").fill("删除本地注册条款，重新发布招标文件。")
    screenshot(page, "04-verify-form")
    submit(page)
    case_link = page.url
    page.goto(f"{live_server}/cases")
    page.locator("#case-table a").first.click()
    expect(page.locator("#diagram[data-ready=true]")).to_be_visible()
    assert page.locator(".zr-active").count() >= 1 and page.locator(".zr-done").count() >= 3
    expect(page.locator("#current-steps")).to_contain_text("整改")
    expect(page.locator("#files")).to_contain_text("转送函.pdf")
    screenshot(page, "05-case")
    case_url = page.url
    with page.expect_download() as download:
        page.locator("#files a").first.click()
    assert download.value.suggested_filename == "转送函.pdf"
    sign_out(page)

    # Another unit can neither open the case nor fetch its evidence.
    sign_in(page, live_server, "county_transport")
    response = page.goto(case_url)
    assert response.status == 404
    expect(page.locator(".error")).to_contain_text("不存在或无权查看")
    assert "某县要求" not in page.content()
    assert case_link  # the verify page redirected somewhere the unit may see
    screenshot(page, "06-other-unit-refused")


def test_english_can_be_switched_on(live_server, page):
    sign_in(page, live_server, "city_ndrc")
    page.click("#switch-language")
    expect(page.locator("header nav")).to_contain_text("Tasks")
    page.click("#switch-language")
    expect(page.locator("header nav")).to_contain_text("待办任务")
    assert json.loads(page.evaluate("JSON.stringify([window.innerWidth, window.innerHeight])")) == [1366, 768]
