"""My work in real Chromium (zh-CN, 1366×768): a notification appears in the header, is read and the count drops;
a submission says what comes next; the step shows in 已办; the 办理单 prints."""
import re

from playwright.sync_api import expect

from tests.conftest import at
from tests.driver import Case
from tests.integration import test_clue_0137 as clue
from tests.web.test_browser import choose, sign_in, submit


def test_a_notification_appears_is_read_and_the_count_drops(sessions, live_server, page, monkeypatch, tmp_path):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-02-14T10:30:00+08:00")
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: blocked.append(str(e)))
    case = Case(sessions, "clue_0137", "city_ndrc", at("2026-02-13 09:30"))
    case.complete("register", "city_ndrc", at("2026-02-13 09:40"), clue.REGISTER)
    sign_in(page, live_server, "yaodu_gov_clerk")
    expect(page.locator("#nav-notifications")).to_have_text("消息")  # nothing unread: no badge
    expect(page.locator("#unread-count")).to_have_count(0)

    case.complete("transfer", "city_ndrc", at("2026-02-14 10:00"), {"competent_unit": clue.COMPETENT})
    page.reload()
    expect(page.locator("#unread-count")).to_have_text("1")
    page.click("#nav-notifications")
    row = page.locator("#notification-table tbody tr.unread")
    expect(row).to_contain_text("收到移交的问题线索：" + clue.TITLE)
    assert page.locator("#notification-table tr.unread a.title").evaluate(
        "a => getComputedStyle(a).fontWeight") == "700"
    page.screenshot(path=str(tmp_path / "notifications-unread.png"), full_page=True)
    row.locator("a.title").click()
    expect(page).to_have_url(f"{live_server}/cases/{case.id}")
    expect(page.locator("#unread-count")).to_have_count(0)
    page.click("#nav-notifications")
    expect(page.locator("#notification-table tbody tr.read")).to_have_count(1)
    expect(page.locator("#unread-summary")).to_have_text("0 条未读")
    page.screenshot(path=str(tmp_path / "notifications-read.png"), full_page=True)
    assert (tmp_path / "notifications-read.png").stat().st_size > 0

    # The clerk does the verification: the page says what comes next, and 已办 lists it.
    page.click("text=待办任务")
    page.click("#scope-organisation")
    page.locator("#task-table tbody tr", has_text="核查").locator("button.claim").click()
    page.click("#scope-mine")
    page.locator("#task-table tbody tr", has_text="核查").locator("a").click()
    page.get_by_label("核查情况").fill("经核查，招标文件设置了本地注册要求。")
    page.get_by_label("存在违规，需要整改").click()
    choose(page, "整改责任单位", "临汾市尧都区市场监督管理局")
    page.get_by_label("整改意见").fill("删除本地注册条款，重新发布招标文件。")
    submit(page)
    expect(page.locator("#submitted-text")).to_contain_text("已提交「落实责任单位并核查」。下一步：")
    expect(page.locator("#submitted-text")).to_contain_text("「整改并报送」由 临汾市尧都区市场监督管理局 办理，期限 ")
    page.screenshot(path=str(tmp_path / "submitted.png"), full_page=True)
    page.click("#nav-done")
    done = page.locator("#done-table tbody tr").first
    expect(done).to_contain_text("落实责任单位并核查")
    expect(done).to_contain_text(clue.TITLE)
    expect(done).to_contain_text("2026-02-14 10:30")
    done.locator("a").click()
    page.click("#case-sheet")
    expect(page.locator("#sheet-steps")).to_contain_text("核查情况")
    expect(page.locator("#sheet-steps")).to_contain_text("按期办理")
    assert not re.search(r"\b(verify|rectify)\b", page.locator("#sheet-steps").inner_text())
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("#print")).to_be_hidden()
    page.screenshot(path=str(tmp_path / "case-sheet-print.png"), full_page=True)
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")  # no dialog in a test
    page.emulate_media(media="screen")
    page.click("#print")
    expect(page.locator("body")).to_have_attribute("data-printed", "yes")
    assert blocked == []
