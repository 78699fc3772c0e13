"""Process owners edit decision tables in the browser with dmn-js: validate, deploy, stale edits refused."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from engine import definitions
from engine.store.models import DecisionDefinition, Definition
from tests.conftest import at
from tests.driver import Case
from tests.integration.test_decisions import BPMN, DMN, FILES
from tests.web.conftest import csrf_of, screenshot, sign_in
from tests.web.test_browser import sign_in as browser_sign_in


def deploy(sessions, files=FILES, user="admin"):
    with sessions() as s, s.begin():
        definitions.deploy(s, files, user, at("2026-03-01 10:00"))


def decision_versions(sessions):
    with sessions() as s:
        return list(s.execute(select(DecisionDefinition.version, DecisionDefinition.deployed_by)
                              .order_by(DecisionDefinition.version)))


def post(client, url, token, body):
    return client.post(url, json=body, headers={"X-CSRFToken": token, "Accept": "application/json"})


def test_the_list_validate_and_a_stale_deployment(client, sessions):
    deploy(sessions)
    assert client.get("/decisions").status_code == 302  # signed out: to the login page
    sign_in(client, "city_ndrc_clerk")
    assert client.get("/decisions").status_code == 404
    assert client.get("/decisions/approval_level/editor").status_code == 404
    sign_in(client, "process_owner")
    listing = client.get("/decisions").get_data(as_text=True)
    assert 'id="decision-approval_level"' in listing and "decision_probe v1 → 决策表 v1" in listing
    assert client.get("/decisions/approval_level/v1.dmn").get_data() == DMN
    editor = client.get("/decisions/approval_level/editor").get_data(as_text=True)
    token = csrf_of(editor) if 'name="csrf_token"' in editor else re.search(r'"csrf": "([^"]+)"', editor).group(1)
    assert "dmn-modeler.production.min.js" in editor

    broken = DMN.decode().replace('"clerk"', '__import__("os")')
    answer = post(client, "/decisions/approval_level/validate", token, {"xml": broken}).get_json()
    assert [(p["element"], "沙箱" in p["message"]) for p in answer["problems"]] == [("rule_small", True)]
    assert post(client, "/decisions/approval_level/validate", token, {"xml": DMN.decode()}).get_json() == {
        "problems": []}
    refused = post(client, "/decisions/approval_level/deploy", token, {"xml": broken, "base_version": 1})
    assert refused.status_code == 422 and refused.get_json()["code"] == "definition_invalid"
    assert list(refused.get_json()["errors"]) == ["rule_small"] and "沙箱" in refused.get_json()["errors"]["rule_small"]
    other = post(client, "/decisions/other_key/validate", token, {"xml": DMN.decode()})
    assert other.status_code == 400 and other.get_json()["code"] == "invalid_input"
    assert "approval_level" in other.get_json()["message"]

    deploy(sessions, [("decisions/approval_level.dmn", DMN.replace(b'"clerk"', b'"officer"'))], user="admin")
    stale = post(client, "/decisions/approval_level/deploy", token,
                 {"xml": DMN.decode().replace('"clerk"', '"teller"'), "base_version": 1})
    assert stale.status_code == 409 and stale.get_json()["code"] == "stale_version"
    assert re.search(r"决策表 approval_level 已由 admin 于 .* 部署为 v2（你编辑的是 v1）", stale.get_json()["message"])
    assert decision_versions(sessions) == [(1, "admin"), (2, "admin")]
    without_token = client.post("/decisions/approval_level/deploy", json={"xml": DMN.decode(), "base_version": 2},
                                headers={"Accept": "application/json"})
    assert without_token.status_code == 400 and without_token.get_json()["code"] == "csrf_failed"
    assert decision_versions(sessions) == [(1, "admin"), (2, "admin")]


def test_owner_opens_the_table_edits_a_cell_and_deploys(live_server, page, sessions, monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:00:00+08:00")
    deploy(sessions)
    running = Case(sessions, "decision_probe", "admin", at("2026-03-02 08:00"))
    browser_sign_in(page, live_server, "process_owner")
    page.goto(f"{live_server}/decisions")
    page.locator("#decision-approval_level a", has_text="编辑").click()
    expect(page.locator("#dmn[data-ready=true]")).to_be_visible(timeout=15000)
    table = page.locator("#dmn .tjs-table")
    expect(table).to_contain_text("金额")
    expect(table.locator("tbody tr")).to_have_count(2)
    cell = page.locator('#dmn [data-element-id="rule_small_level"] [contenteditable]')
    expect(cell).to_have_text('"clerk"')

    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type('__import__("os")')
    page.locator("#dmn .tjs-table th").first.click()  # leave the cell
    page.click("#validate")
    expect(page.locator("#status")).to_have_text("发现 1 个问题")
    expect(page.locator('#dmn tr.zr-problem, #dmn [data-row-id="rule_small"].zr-problem').first).to_be_visible()
    screenshot(page, "20-decision-problem")
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("未部署")
    assert decision_versions(sessions) == [(1, "admin")]

    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type('"officer"')
    page.locator("#dmn .tjs-table th").first.click()
    page.click("#validate")
    expect(page.locator("#status")).to_have_text("校验通过，可以部署")
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("已部署为 v2")
    expect(page.locator("#status")).to_contain_text("decision_probe v2")
    expect(page.locator("#status")).to_contain_text("仍有 1 个办理中的办件使用旧版本")
    screenshot(page, "21-decision-deployed")
    assert decision_versions(sessions) == [(1, "admin"), (2, "process_owner")]
    with sessions() as s:
        stored = s.scalar(select(DecisionDefinition.xml).where(DecisionDefinition.version == 2))
        pins = dict(s.execute(select(Definition.version, Definition.decision_versions)
                              .where(Definition.process_id == "decision_probe")).all())
    assert '"officer"' in stored and '"clerk"' not in stored
    assert pins == {1: {"approval_level": 1}, 2: {"approval_level": 2}}

    new = Case(sessions, "decision_probe", "admin", at("2026-03-02 09:10"))
    new.complete("enter", "admin", at("2026-03-02 09:20"), {"amount": 10})
    running.complete("enter", "admin", at("2026-03-02 09:30"), {"amount": 10})
    assert new.view()["data"]["level"] == "officer" and running.view()["data"]["level"] == "clerk"
    assert BPMN  # the process the table serves is the fixture's, unchanged


def test_the_bpmn_modeller_keeps_and_sets_a_business_rule_tasks_table(live_server, page, sessions):
    deploy(sessions)
    browser_sign_in(page, live_server, "process_owner")
    page.goto(f"{live_server}/processes/decision_probe/modeler")
    expect(page.locator("#canvas[data-ready=true]")).to_be_visible(timeout=15000)
    saved = page.evaluate("() => window.zhunruSavedXml()")
    assert "<spiffworkflow:calledDecisionId>approval_level</spiffworkflow:calledDecisionId>" in saved
    page.locator("#canvas [data-element-id=decide]").click(force=True)
    chosen = page.locator("#properties [name=calledDecisionId]")
    expect(chosen).to_have_value("approval_level")
    chosen.select_option("")
    page.click("#validate")
    expect(page.locator("#status")).to_have_text("发现 1 个问题")
    expect(page.locator("#problems")).to_contain_text("未指定决策表")
    chosen.select_option("approval_level")
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("已部署为 v2")  # in bpmn-js's own form of the XML
    with sessions() as s:
        xml, pins = s.execute(select(Definition.xml, Definition.decision_versions)
                              .where(Definition.process_id == "decision_probe", Definition.version == 2)).one()
    assert "<spiffworkflow:calledDecisionId>approval_level</spiffworkflow:calledDecisionId>" in xml
    assert pins == {"approval_level": 1}


def test_the_decision_editor_speaks_chinese(live_server, page, sessions, tmp_path):
    deploy(sessions)
    browser_sign_in(page, live_server, "process_owner")
    page.goto(f"{live_server}/decisions/approval_level/editor")
    expect(page.locator("#dmn[data-ready=true]")).to_be_visible(timeout=15000)
    expect(page.locator("#dmn .hit-policy")).to_contain_text("命中策略：唯一（UNIQUE）")
    expect(page.locator("#dmn .tjs-table")).to_contain_text("当")
    page.locator('#dmn [data-element-id="rule_small_level"] [contenteditable]').click(button="right")
    menu = page.locator("#dmn .context-menu")
    expect(menu).to_contain_text("在上方添加规则")
    expect(menu).to_contain_text("删除规则")
    page.screenshot(path=str(tmp_path / "21-decision-editor-zh.png"), full_page=True)
    screenshot(page, "21-decision-editor-zh")
    assert page.evaluate("() => [...window.zhunruZh.missing]") == []
