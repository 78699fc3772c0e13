"""Process owners edit, validate and deploy in the browser (real Chromium): modeller and form editor."""
import json
import re

from playwright.sync_api import expect
from sqlalchemy import select

from engine.store.models import Definition, FormDefinition
from tests.conftest import ROOT, at
from tests.driver import Case
from tests.web.conftest import screenshot
from tests.web.test_browser import sign_in

REGISTER = {"source": "national", "summary": "新版本流程中的线索", "category": "OTHER", "region": "临汾市"}

ADD_REVIEW_STEP = """() => {
  const m = window.zhunruModeler, reg = m.get('elementRegistry'), modeling = m.get('modeling');
  const register = reg.get('register'), transfer = reg.get('transfer');
  const flow = reg.get('record_received').outgoing.find((c) => c.target === transfer);
  const shape = modeling.createShape({ type: 'bpmn:UserTask' },
    { x: register.x + register.width / 2 + 150, y: register.y + register.height / 2 }, register.parent);
  modeling.reconnectEnd(flow, shape, { x: shape.x, y: shape.y + shape.height / 2 });
  modeling.connect(shape, transfer);
  const timer = modeling.createShape({ type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:TimerEventDefinition' },
    { x: shape.x + shape.width / 2, y: shape.y + shape.height }, shape, { attach: true });
  return [shape.id, timer.id];
}"""


def versions(sessions, process_id="clue_0137"):
    with sessions() as s:
        return list(s.scalars(select(Definition.version).where(Definition.process_id == process_id)
                              .order_by(Definition.version)))


def open_modeler(page, base):
    page.goto(f"{base}/processes/clue_0137/modeler")
    expect(page.locator("#canvas[data-ready=true]")).to_be_visible(timeout=15000)


def panel(page, name):
    return page.locator(f"#properties [name={name}]")


def test_owner_adds_a_step_with_form_and_deadline_and_deploys(live_server, page, sessions, monkeypatch):
    monkeypatch.setenv("ZHUNRU_NOW", "2026-03-02T09:00:00+08:00")
    running = Case(sessions, "clue_0137", "city_ndrc", at("2026-03-02 08:00"))
    sign_in(page, live_server, "process_owner")
    page.click("text=流程管理")
    expect(page.locator("#process-clue_0137 td.running")).to_have_text("1")
    page.locator("#process-clue_0137 a", has_text="编辑").click()
    expect(page.locator("#canvas[data-ready=true]")).to_be_visible(timeout=15000)

    # Round trip: what the modeller saves opens again identically.
    same = page.evaluate("""async () => {
      const m = window.zhunruModeler, first = (await m.saveXML({ format: true })).xml;
      await m.importXML(first);
      return first === (await m.saveXML({ format: true })).xml;
    }""")
    assert same

    task_id, timer_id = page.evaluate(ADD_REVIEW_STEP)
    page.locator(f"[data-element-id={task_id}]").click(force=True)
    panel(page, "name").fill("初审")
    panel(page, "name").press("Tab")
    panel(page, "formKey").select_option("clue_check_report")
    panel(page, "instructions").fill("请初审线索：{{ summary }}")
    panel(page, "instructions").press("Tab")
    panel(page, "autoClaim").check()
    page.locator(f"[data-element-id={timer_id}]").click(force=True)
    panel(page, "timerMode").select_option("working")
    panel(page, "timerDays").fill("2")
    panel(page, "timerDays").press("Tab")
    panel(page, "nonInterrupting").check()
    expect(panel(page, "timerExpression")).to_have_value("working_deadline(2)")
    screenshot(page, "10-modeler-new-step")

    page.click("#validate")
    expect(page.locator("#status")).to_have_text("校验通过，可以部署")
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("已部署为 v2")
    expect(page.locator("#status")).to_contain_text("仍有 1 个办理中的办件使用旧版本")
    assert versions(sessions) == [1, 2]

    deployed = page.evaluate("() => window.zhunruSavedXml()")
    with sessions() as s:
        stored = s.scalar(select(Definition.xml).where(Definition.version == 2))
    assert stored == deployed
    assert 'name="formKey" value="clue_check_report"' in stored and "working_deadline(2)" in stored
    assert 'name="autoClaim" value="true"' in stored
    open_modeler(page, live_server)  # reopened from the database: identical
    assert page.evaluate("async () => (await window.zhunruModeler.saveXML({ format: true })).xml") == stored
    assert page.evaluate("() => window.zhunruSavedXml()") == stored

    new = Case(sessions, "clue_0137", "city_ndrc", at("2026-03-02 09:00"))
    new.complete("register", "city_ndrc_clerk", at("2026-03-02 09:10"), REGISTER)
    assert new.view()["version"] == 2 and running.view()["version"] == 1
    sign_in(page, live_server, "city_ndrc_clerk")
    page.goto(f"{live_server}/tasks?scope=mine")  # the clerk who registered holds it at once (autoClaim)
    row = page.locator("#task-table tbody tr", has_text="初审")
    expect(row).to_contain_text("2026-03-04 24:00")  # two working days after Mon 03-02
    expect(row).to_contain_text("临汾市发展和改革委员会经办人")
    row.locator("a").click()
    expect(page.locator(".instructions")).to_have_text("请初审线索：新版本流程中的线索")


def test_invalid_changes_are_marked_on_their_elements_and_nothing_is_deployed(live_server, page, sessions, tmp_path):
    xml = (ROOT / "processes" / "clue_0137.bpmn").read_text()
    broken = (xml.replace("<bpmn:flowNodeRef>transfer</bpmn:flowNodeRef>", "")
              .replace('serviceTaskOperator id="record_lapse" resultVariable="report_to_lead_result"',
                       'serviceTaskOperator id="no_such_operator" resultVariable="report_to_lead_result"')
              .replace("working_deadline(3)", "working_deadline(3"))
    drawn_elsewhere = tmp_path / "drawn-elsewhere.bpmn"
    drawn_elsewhere.write_text(broken)
    sign_in(page, live_server, "process_owner")
    open_modeler(page, live_server)
    page.locator("#import").set_input_files(str(drawn_elsewhere))
    expect(page.locator("#status")).to_contain_text("已导入")
    page.click("#validate")
    expect(page.locator("#status")).to_have_text("发现 3 个问题")
    for element in ("transfer", "report_to_lead", "verify_deadline"):
        expect(page.locator(f"g.djs-element.zr-problem[data-element-id={element}]")).to_have_count(1)
    expect(page.locator(".zr-problem-note", has_text="不在任何泳道内")).to_be_visible()
    expect(page.locator(".zr-problem-note", has_text="no_such_operator")).to_be_visible()
    expect(page.locator(".zr-problem-note", has_text="无法在沙箱中编译")).to_be_visible()
    screenshot(page, "11-modeler-problems")
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("未部署")
    assert versions(sessions) == [1]

    # A broken expression typed in the panel is caught the same way.
    open_modeler(page, live_server)
    page.locator("[data-element-id=transfer_deadline]").click(force=True)
    panel(page, "timerMode").select_option("expression")
    panel(page, "timerExpression").fill("working_deadline(1")
    panel(page, "timerExpression").press("Tab")
    page.click("#deploy")
    expect(page.locator("g.djs-element.zr-problem[data-element-id=transfer_deadline]")).to_have_count(1)
    assert versions(sessions) == [1]


def test_a_second_owner_saving_an_older_version_is_refused(live_server, browser, sessions):
    pages = []
    for user in ("process_owner", "admin"):
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        sign_in(page, live_server, user)
        open_modeler(page, live_server)
        pages.append(page)
    first, second = pages
    for page, name in ((first, "线索登记（甲）"), (second, "线索登记（乙）")):
        page.locator("[data-element-id=register]").click(force=True)
        panel(page, "name").fill(name)
        panel(page, "name").press("Tab")
    first.click("#deploy")
    expect(first.locator("#status")).to_contain_text("已部署为 v2")
    second.click("#deploy")
    refused = re.compile(r"已由 process_owner 于 .* 部署为 v2（你编辑的是 v1）")
    expect(second.locator("#status")).to_contain_text(refused)
    assert versions(sessions) == [1, 2]
    with sessions() as s:
        assert "线索登记（甲）" in s.scalar(select(Definition.xml).where(Definition.version == 2))


def test_form_editor_validates_and_deploys_a_new_version(live_server, page, sessions):
    sign_in(page, live_server, "process_owner")
    page.goto(f"{live_server}/forms")
    page.locator("#form-table tr", has_text="clue_transfer").locator("a", has_text="编辑").click()
    expect(page.locator(".fjs-editor-container, .fjs-form-editor, #form-editor .fjs-container").first).to_be_visible()
    schema = json.loads((ROOT / "forms" / "clue_transfer.json").read_text())
    bad = dict(schema, components=[*schema["components"], {"type": "textfield", "key": "x", "id": "f_x", "label": "X",
                                                           "conditional": {"hide": "=count(items) > 3"}}])
    page.evaluate("(s) => window.zhunruFormEditor.importSchema(s)", bad)
    page.click("#validate")
    expect(page.locator("#problems")).to_contain_text("不支持的显示条件")
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("未部署")
    good = dict(schema, components=[*schema["components"],
                                    {"type": "textfield", "key": "transfer_ref", "label": "移交文号", "id": "f_ref"}])
    page.evaluate("(s) => window.zhunruFormEditor.importSchema(s)", good)
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("已部署为 v2")
    screenshot(page, "12-form-editor")
    with sessions() as s:
        assert s.scalar(select(FormDefinition.version).where(FormDefinition.form_key == "clue_transfer")
                        .order_by(FormDefinition.version.desc()).limit(1)) == 2
    page.goto(f"{live_server}/forms")
    expect(page.locator("#form-table tr", has_text="clue_transfer")).to_contain_text("clue_0137 v1 → 表单 v1")


def test_the_process_pages_are_for_process_owners_only(client):
    from tests.web.conftest import sign_in as sign_in_client
    sign_in_client(client, "city_ndrc")
    for url in ("/processes", "/processes/clue_0137/modeler", "/forms", "/processes/clue_0137/v1.bpmn"):
        assert client.get(url).status_code == 404, url
