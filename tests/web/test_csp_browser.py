"""The Content-Security-Policy holds in real Chromium: every page with bpmn-js, dmn-js or form-js still works
and the browser reports no blocked script, style, font or image."""
from playwright.sync_api import expect

from tests.web.test_browser import sign_in, sign_out
from tests.web.test_decisions_web import deploy


def test_the_modellers_and_forms_work_under_the_policy(live_server, page, sessions, monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:00:00+08:00")
    deploy(sessions)
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: blocked.append(str(e)))

    sign_in(page, live_server, "process_owner")
    answer = page.goto(f"{live_server}/processes/clue_0137/modeler")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    expect(page.locator("#canvas[data-ready=true]")).to_be_visible(timeout=15000)
    page.goto(f"{live_server}/forms/clue_register/editor")
    expect(page.locator("#form-editor .fjs-editor-container")).to_be_visible(timeout=15000)
    page.goto(f"{live_server}/decisions/approval_level/editor")
    expect(page.locator("#dmn[data-ready=true]")).to_be_visible(timeout=15000)
    expect(page.locator("#dmn .tjs-table")).to_contain_text("金额")
    sign_out(page)

    sign_in(page, live_server, "county_ndrc_clerk")
    page.goto(f"{live_server}/start/complaint")
    expect(page.locator("#form .fjs-form-field").first).to_be_visible(timeout=15000)
    assert blocked == []
