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


def shot(page, tmp_path, name):
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    screenshot(page, name)


def test_the_modeller_speaks_chinese(live_server, page, tmp_path):
    sign_in(page, live_server, "process_owner")
    open_modeler(page, live_server)
    palette = page.locator(".djs-palette")
    for label in ("创建开始事件", "创建任务", "创建网关", "创建池/参与者", "套索工具（框选）"):
        expect(palette.locator(f".entry[aria-label='{label}']")).to_have_count(1)
    palette.locator(".entry[aria-label='创建开始事件']").hover()
    expect(page.locator(".djs-hover-tooltip")).to_have_text("创建开始事件")
    page.locator("[data-element-id=register]").click(force=True)
    pad = page.locator(".djs-context-pad")
    expect(pad.locator(".entry[title='追加任务']")).to_have_count(1)
    expect(pad.locator(".entry[title='删除']")).to_have_count(1)
    expect(page.locator("#properties h3")).to_have_text("用户任务 · register")
    expect(page.locator("#properties h4")).to_have_text(["基本信息", "办理", "前后脚本"])
    pad.locator(".entry[title='更改元素类型']").click()
    menu = page.locator(".djs-popup")
    expect(menu.locator(".entry", has_text="服务任务")).to_have_count(1)
    expect(menu.locator(".entry", has_text="业务规则任务（决策表）")).to_have_count(1)
    expect(menu.locator("[title='串行多实例']")).to_have_count(1)
    shot(page, tmp_path, "13-modeler-zh")
    page.keyboard.press("Escape")
    # the form is offered by its title
    expect(panel(page, "formKey").locator("option:checked")).to_have_text("登记问题线索（clue_register v1）")
    assert page.evaluate("() => [...window.zhunruZh.missing]") == []


def test_days_typed_into_a_new_timer_are_kept_and_deployed(live_server, page, sessions):
    sign_in(page, live_server, "process_owner")
    open_modeler(page, live_server)
    _, timer_id = page.evaluate(ADD_REVIEW_STEP)
    page.locator(f"[data-element-id={timer_id}]").click(force=True)
    expect(panel(page, "timerMode")).to_have_value("expression")
    panel(page, "timerDays").fill("4")
    panel(page, "timerDays").press("Tab")
    expect(panel(page, "timerDays")).to_have_value("4")
    expect(panel(page, "timerMode")).to_have_value("working")
    expect(panel(page, "timerExpression")).to_have_value("working_deadline(4)")
    expect(panel(page, "timerExpression")).to_be_focused()  # Tab went on to the next field
    expect(page.locator("#properties h3")).to_have_text(f"定时边界事件 · {timer_id}")
    panel(page, "timerMode").select_option("calendar")
    expect(panel(page, "timerExpression")).to_have_value("calendar_deadline(4)")
    panel(page, "timerDays").fill("6")
    panel(page, "timerDays").press("Tab")
    expect(panel(page, "timerExpression")).to_have_value("calendar_deadline(6)")
    page.click("#validate")
    expect(page.locator("#status")).to_have_text("校验通过，可以部署")
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("已部署为 v2")
    with sessions() as s:
        stored = s.scalar(select(Definition.xml).where(Definition.version == 2))
    assert "calendar_deadline(6)" in stored


def test_undo_redo_and_a_warning_before_leaving_unsaved_changes(live_server, page, tmp_path):
    sign_in(page, live_server, "process_owner")
    open_modeler(page, live_server)
    expect(page.locator("#undo")).to_be_disabled()
    expect(page.locator("#redo")).to_be_disabled()
    page.locator("[data-element-id=register]").click(force=True)
    panel(page, "name").fill("登记（改）")
    panel(page, "name").press("Tab")
    name = "() => window.zhunruModeler.get('elementRegistry').get('register').businessObject.name"
    assert page.evaluate(name) == "登记（改）"
    expect(page.locator("#undo")).to_be_enabled()
    page.click("#undo")
    assert page.evaluate(name) == "登记线索"
    expect(panel(page, "name")).to_have_value("登记线索")
    expect(page.locator("#redo")).to_be_enabled()
    expect(page.locator("#undo")).to_be_disabled()
    page.click("#redo")
    assert page.evaluate(name) == "登记（改）"
    expect(panel(page, "name")).to_have_value("登记（改）")
    shot(page, tmp_path, "14-modeler-undo-redo")

    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()
    page.on("dialog", answer)
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert not page.is_closed()  # dismissed: the owner stays with the changes


def test_no_warning_after_deploying(live_server, page):
    sign_in(page, live_server, "process_owner")
    open_modeler(page, live_server)
    page.locator("[data-element-id=register]").click(force=True)
    panel(page, "name").fill("登记（改）")
    panel(page, "name").press("Tab")
    assert page.evaluate("() => window.zhunruUnsaved()")
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("已部署为 v2")
    assert not page.evaluate("() => window.zhunruUnsaved()")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.goto(f"{live_server}/processes")
    assert dialogs == []


def test_the_form_editor_speaks_chinese(live_server, page, tmp_path):
    sign_in(page, live_server, "process_owner")
    page.goto(f"{live_server}/forms/clue_transfer/editor")
    expect(page.locator("#form-editor[data-ready=true]")).to_be_attached(timeout=15000)
    palette = page.locator(".fjs-palette")
    expect(palette.locator(".fjs-palette-header")).to_have_text("组件")
    expect(palette.locator(".fjs-palette-search")).to_have_attribute("placeholder", "搜索组件")
    expect(palette.locator(".fjs-palette-group-title")).to_have_text(["输入", "选择", "展示", "容器", "操作"])
    expect(palette.locator(".fjs-palette-field-text", has_text="单行文本")).to_have_count(1)
    page.locator(".fjs-form-container .fjs-form-field", has_text="移交说明").first.click()
    expect(page.locator(".fjs-editor-properties-container .bio-properties-panel-group-header-title",
                        has_text="常规")).to_have_count(1)
    expect(page.locator(".fjs-form-container")).to_contain_text("移交说明")
    properties = page.locator(".fjs-editor-properties-container")
    for title in ("常规", "显示条件", "布局", "校验"):
        properties.locator(".bio-properties-panel-group-header", has_text=title).click()
    expect(properties).to_contain_text("字段标签")
    english = page.evaluate("""() => {
      const found = [];
      for (const el of document.querySelectorAll('.fjs-palette-container, .fjs-editor-properties-container')) {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) if (/[A-Za-z]{3,}/.test(n.data)) found.push(n.data);
      }
      return found;
    }""")
    assert [text for text in english if text != "HTML 内容"] == []
    shot(page, tmp_path, "15-form-editor-zh")



def test_a_gateway_condition_is_built_from_fields_and_stays_editable(live_server, page, sessions, tmp_path):
    sign_in(page, live_server, "process_owner")
    open_modeler(page, live_server)
    page.evaluate("() => window.zhunruModeler.get('selection').select("
                  "window.zhunruModeler.get('elementRegistry').get('f_violation_no'))")
    expect(page.locator("#properties h4")).to_contain_text(["条件"])
    expect(panel(page, "condition")).to_have_value('violation_found == "no"')
    expect(panel(page, "cond-field-0")).to_have_value("violation_found")
    expect(panel(page, "cond-op-0")).to_have_value("==")
    expect(panel(page, "cond-value-0").locator("option:checked")).to_have_text("未发现违规（no）")
    panel(page, "conditionAdd").click()
    panel(page, "cond-field-1").select_option("verification")
    expect(panel(page, "condition")).to_have_value('violation_found == "no"')  # not yet complete
    panel(page, "cond-op-1").select_option("filled")
    expect(panel(page, "condition")).to_have_value('violation_found == "no" and verification')
    panel(page, "conditionJoin").select_option("or")
    expect(panel(page, "condition")).to_have_value('violation_found == "no" or verification')
    shot(page, tmp_path, "17-modeler-condition-builder")
    # the raw expression stays editable; the builder follows what it can read
    panel(page, "condition").fill('violation_found != "yes" and amount >= 3')
    panel(page, "condition").press("Tab")
    expect(panel(page, "cond-op-0")).to_have_value("!=")
    expect(panel(page, "cond-field-1")).to_have_value("amount")
    expect(panel(page, "cond-value-1")).to_have_value("3")
    panel(page, "cond-value-1").fill("5")
    panel(page, "cond-value-1").press("Tab")
    expect(panel(page, "condition")).to_have_value('violation_found != "yes" and amount >= 5')
    panel(page, "condition").fill("len(x) > 2 and (a or b)")
    panel(page, "condition").press("Tab")
    expect(page.locator(".condition-builder")).to_contain_text("表达式较复杂")
    panel(page, "condition").fill('violation_found == "no"')
    panel(page, "condition").press("Tab")
    panel(page, "cond-value-0").select_option("yes")
    expect(panel(page, "condition")).to_have_value('violation_found == "yes"')
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("已部署为 v2")
    with sessions() as s:
        stored = s.scalar(select(Definition.xml).where(Definition.version == 2))
    assert 'violation_found == "yes"</bpmn:conditionExpression>' in stored


def test_every_value_typed_into_a_service_step_is_kept(live_server, page):
    sign_in(page, live_server, "process_owner")
    open_modeler(page, live_server)
    page.locator("[data-element-id=notify_urge]").click(force=True)
    expect(page.locator("#properties h3")).to_have_text("服务任务 · notify_urge")
    panel(page, "resultVariable").fill("urge_sent")
    panel(page, "resultVariable").press("Shift+Tab")
    panel(page, "param-body").fill('f"{lead_name}：{urge_note}"')
    panel(page, "param-body").press("Tab")
    panel(page, "name").fill("催办责任单位")
    panel(page, "name").press("Tab")
    xml = page.evaluate("() => window.zhunruSavedXml()")
    assert 'resultVariable="urge_sent"' in xml
    assert "{lead_name}：{urge_note}" in xml and 'name="催办责任单位"' in xml
