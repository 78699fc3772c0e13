// The process owner's modeller: bpmn-js plus a properties panel for what Zhunru executes, written as
// the spiffworkflow: extensions the engine reads; server-side validation marks problems on elements.
(async function () {
  'use strict';
  const page = JSON.parse(document.getElementById('modeler-config').textContent);
  const descriptor = await (await fetch(page.moddle_url)).json();
  const modeler = new BpmnJS({
    container: '#canvas', moddleExtensions: { spiffworkflow: descriptor },
  });
  window.zhunruModeler = modeler; // for tests and for owners who script their diagrams
  const modeling = modeler.get('modeling');
  const moddle = modeler.get('moddle');
  const registry = modeler.get('elementRegistry');
  const canvas = modeler.get('canvas');
  const overlays = modeler.get('overlays');
  const panel = document.getElementById('properties');
  const status = document.getElementById('status');
  const problemList = document.getElementById('problems');
  let baseVersion = page.version;
  let current = null;
  const chosenTimerMode = new Map(); // element id -> the mode the owner picked, kept across re-renders

  // ---- reading and writing the spiffworkflow: extensions -------------------------------------
  const bo = (el) => el.businessObject;
  const is = (el, type) => bo(el).$instanceOf(type);

  function extensions(el, type) {
    const ee = bo(el).extensionElements;
    return ee ? ee.get('values').filter((v) => v.$instanceOf(type)) : [];
  }

  function extensionElements(el) {
    let ee = bo(el).extensionElements;
    if (!ee) {
      ee = moddle.create('bpmn:ExtensionElements', { values: [] });
      modeling.updateProperties(el, { extensionElements: ee });
    }
    return ee;
  }

  function replaceExtension(el, type, replacement) {
    const ee = extensionElements(el);
    const values = ee.get('values').filter((v) => !v.$instanceOf(type));
    if (replacement) {
      replacement.$parent = ee;
      values.push(replacement);
    }
    modeling.updateModdleProperties(el, ee, { values });
  }

  function property(el, name) {
    const holder = extensions(el, 'spiffworkflow:Properties')[0];
    const found = holder && holder.get('properties').find((p) => p.name === name);
    return found ? found.value : '';
  }

  function setProperty(el, name, value) {
    let holder = extensions(el, 'spiffworkflow:Properties')[0];
    if (!holder) {
      if (!value) return;
      holder = moddle.create('spiffworkflow:Properties', { properties: [] });
      replaceExtension(el, 'spiffworkflow:Properties', holder);
    }
    const kept = holder.get('properties').filter((p) => p.name !== name);
    if (value) {
      const created = moddle.create('spiffworkflow:Property', { name, value });
      created.$parent = holder;
      kept.push(created);
    }
    modeling.updateModdleProperties(el, holder, { properties: kept });
  }

  function bodyOf(el, type) {
    const found = extensions(el, type)[0];
    return found ? found.value || '' : '';
  }

  function setBody(el, type, text) {
    replaceExtension(el, type, text ? moddle.create(type, { value: text }) : null);
  }

  function operatorOf(el) {
    const op = extensions(el, 'spiffworkflow:ServiceTaskOperator')[0];
    if (!op) return { name: '', result: '', params: {} };
    const params = {};
    ((op.parameterList && op.parameterList.get('parameters')) || []).forEach((p) => { params[p.id] = p.value; });
    return { name: op.id || '', result: op.resultVariable || '', params };
  }

  function setOperator(el, name, result, params) {
    if (!name) {
      replaceExtension(el, 'spiffworkflow:ServiceTaskOperator', null);
      return;
    }
    const list = moddle.create('spiffworkflow:Parameters', {
      parameters: Object.entries(params).filter(([, v]) => v !== '')
        .map(([id, value]) => moddle.create('spiffworkflow:Parameter', { id, type: 'any', value })),
    });
    const op = moddle.create('spiffworkflow:ServiceTaskOperator', { id: name, resultVariable: result || undefined, parameterList: list });
    list.$parent = op;
    replaceExtension(el, 'spiffworkflow:ServiceTaskOperator', op);
  }

  // Timers as staff think of them: N working days, N calendar days, or an expression.
  const TIMER = /^\s*(working_deadline|calendar_deadline)\(\s*(\d+)\s*\)\s*$/;
  function timerOf(def) {
    const expr = def.timeDate ? def.timeDate.body || '' : '';
    const m = TIMER.exec(expr);
    if (m) return { mode: m[1] === 'working_deadline' ? 'working' : 'calendar', days: m[2], expr };
    return { mode: 'expression', days: '', expr };
  }

  function setTimer(el, def, expr) {
    const timeDate = moddle.create('bpmn:FormalExpression', { body: expr });
    timeDate.$parent = def;
    modeling.updateModdleProperties(el, def, { timeDate, timeDuration: undefined, timeCycle: undefined });
  }

  // ---- the panel ---------------------------------------------------------------------------------
  function field(label, control, hint) {
    const row = document.createElement('label');
    row.className = 'prop';
    row.append(Object.assign(document.createElement('span'), { textContent: label }), control);
    if (hint) row.append(Object.assign(document.createElement('small'), { textContent: hint }));
    panel.append(row);
    return control;
  }

  function input(value, onChange, name, multiline) {
    const control = document.createElement(multiline ? 'textarea' : 'input');
    control.value = value || '';
    control.name = name;
    control.addEventListener('change', () => onChange(control.value.trim()));
    return control;
  }

  function select(options, value, onChange, name) {
    const control = document.createElement('select');
    control.name = name;
    [['', '（无）'], ...options].forEach(([v, text]) => {
      control.append(Object.assign(document.createElement('option'), { value: v, textContent: text, selected: v === value }));
    });
    control.addEventListener('change', () => onChange(control.value));
    return control;
  }

  function heading(text) {
    panel.append(Object.assign(document.createElement('h3'), { textContent: text }));
  }

  function render(el) {
    current = el;
    panel.replaceChildren();
    if (!el || el.type === 'label') {
      heading('属性');
      panel.append(Object.assign(document.createElement('p'), { className: 'muted', textContent: '选择一个元素以编辑其属性' }));
      return;
    }
    heading(`${el.type.replace('bpmn:', '')} · ${el.id}`);
    if (!is(el, 'bpmn:Process') && !is(el, 'bpmn:Collaboration')) {
      field('名称', input(bo(el).name, (v) => modeling.updateLabel(el, v), 'name'));
    }
    if (is(el, 'bpmn:Lane')) {
      field('单位', select(page.organisations.map((o) => [o.code, `${o.name} (${o.code})`]), property(el, 'organisation'),
        (v) => setProperty(el, 'organisation', v), 'organisation'), '本泳道的任务由该单位办理');
      field('单位变量', input(property(el, 'organisationVariable'), (v) => setProperty(el, 'organisationVariable', v),
        'organisationVariable'), '运行时决定的单位，例如 competent_unit');
      field('角色 / 组', input(property(el, 'role'), (v) => setProperty(el, 'role', v), 'role'), '只有具有该角色的人员可办理');
    }
    if (is(el, 'bpmn:UserTask') || is(el, 'bpmn:ManualTask')) {
      field('表单', select(page.forms.map((f) => [f.key, `${f.key} (v${f.version})`]), property(el, 'formKey'),
        (v) => setProperty(el, 'formKey', v), 'formKey'));
      field('办理说明', input(bodyOf(el, 'spiffworkflow:InstructionsForEndUser'),
        (v) => setBody(el, 'spiffworkflow:InstructionsForEndUser', v), 'instructions', true), '可用 {{ 变量 }} 引用办件数据');
      const autoClaim = Object.assign(document.createElement('input'), { type: 'checkbox', name: 'autoClaim',
        checked: property(el, 'autoClaim') === 'true' });
      autoClaim.addEventListener('change', () => setProperty(el, 'autoClaim', autoClaim.checked ? 'true' : ''));
      field('由上一环节办理人直接办理（自动认领）', autoClaim);
    }
    if (is(el, 'bpmn:ServiceTask')) {
      const op = operatorOf(el);
      const chosen = page.operators.find((o) => o.name === op.name);
      field('服务 (operator)', select(page.operators.map((o) => [o.name, `${o.name} · ${o.description}`]), op.name,
        (v) => { setOperator(el, v, op.result || `${el.id}_result`, {}); render(el); }, 'operator'));
      if (chosen) {
        Object.entries(chosen.parameters).forEach(([name, info]) => {
          field(`参数 ${name}${info.required ? ' *' : ''}`, input(op.params[name] || '', (v) => {
            const params = { ...operatorOf(el).params, [name]: v };
            setOperator(el, op.name, op.result, params);
          }, `param-${name}`), `${info.description || ''}（表达式，文字需加引号）`);
        });
        field('结果变量', input(op.result, (v) => setOperator(el, op.name, v, operatorOf(el).params), 'resultVariable'));
      } else if (op.name) {
        panel.append(Object.assign(document.createElement('p'), { className: 'error', textContent: `未注册的服务 ${op.name}` }));
      }
    }
    if (is(el, 'bpmn:BusinessRuleTask')) {
      field('决策表', select(page.decisions.map((d) => [d.key, `${d.key} (v${d.version})`]),
        bodyOf(el, 'spiffworkflow:CalledDecisionId'), (v) => setBody(el, 'spiffworkflow:CalledDecisionId', v),
        'calledDecisionId'), '新办件使用部署时该决策表的最新版本');
    }
    if (is(el, 'bpmn:ScriptTask')) {
      field('脚本', input(bo(el).script, (v) => modeling.updateProperties(el, { scriptFormat: 'python', script: v }),
        'script', true));
    }
    if (is(el, 'bpmn:Activity') && !is(el, 'bpmn:ScriptTask')) {
      field('前置脚本', input(bodyOf(el, 'spiffworkflow:PreScript'), (v) => setBody(el, 'spiffworkflow:PreScript', v),
        'preScript', true));
      field('后置脚本', input(bodyOf(el, 'spiffworkflow:PostScript'), (v) => setBody(el, 'spiffworkflow:PostScript', v),
        'postScript', true));
    }
    const timer = (bo(el).eventDefinitions || []).find((d) => d.$instanceOf('bpmn:TimerEventDefinition'));
    if (timer) {
      const t = timerOf(timer);
      const mode = field('时限', select([['working', 'N 个工作日'], ['calendar', 'N 个自然日'], ['expression', '日期表达式']],
        chosenTimerMode.get(el.id) || t.mode, (v) => { chosenTimerMode.set(el.id, v); update(); }, 'timerMode'));
      const days = field('天数 N', input(t.days, () => update(), 'timerDays'));
      const expr = field('表达式', input(t.expr, () => update(), 'timerExpression'), '例如 working_deadline(3)、end_of_day(extended_until)');
      days.type = 'number';
      days.min = '0';
      const update = () => {
        if (mode.value === 'working' || mode.value === 'calendar') {
          const n = parseInt(days.value, 10);
          if (Number.isNaN(n) || n < 0) return;
          setTimer(el, timer, `${mode.value === 'working' ? 'working_deadline' : 'calendar_deadline'}(${n})`);
        } else if (mode.value === 'expression' && expr.value.trim()) {
          setTimer(el, timer, expr.value.trim());
        }
        render(el);
      };
      if (is(el, 'bpmn:BoundaryEvent')) {
        const keep = Object.assign(document.createElement('input'), { type: 'checkbox', name: 'nonInterrupting',
          checked: bo(el).cancelActivity === false });
        keep.addEventListener('change', () => modeling.updateProperties(el, { cancelActivity: !keep.checked }));
        field('到期后原任务继续办理（不中断）', keep);
      }
    }
    if (is(el, 'bpmn:SequenceFlow') && bo(el).sourceRef && (bo(el).sourceRef.$instanceOf('bpmn:ExclusiveGateway')
        || bo(el).sourceRef.$instanceOf('bpmn:InclusiveGateway'))) {
      const condition = bo(el).conditionExpression;
      field('条件', input(condition ? condition.body : '', (v) => {
        const expression = v ? moddle.create('bpmn:FormalExpression', { body: v }) : undefined;
        modeling.updateProperties(el, { conditionExpression: expression });
      }, 'condition'), '例如 violation_found == "yes"');
    }
  }

  // ---- validation, deployment, import ------------------------------------------------------------
  function say(text, kind) {
    status.textContent = text;
    status.className = kind || '';
  }

  function clearProblems() {
    registry.getAll().forEach((el) => canvas.removeMarker(el.id, 'zr-problem'));
    overlays.remove({ type: 'zr-problem' });
    problemList.replaceChildren();
  }

  // A refused deployment names its problems as errors by element id (or file name), as a form's are by field.
  function problemsOf(errors) {
    return Object.entries(errors || {}).map(([element, message]) => ({ element, message }));
  }

  function showProblems(problems) {
    clearProblems();
    problems.forEach((p) => {
      const item = Object.assign(document.createElement('li'), { textContent: `${p.element || p.file}: ${p.message}` });
      problemList.append(item);
      if (p.element && registry.get(p.element)) {
        canvas.addMarker(p.element, 'zr-problem');
        const note = Object.assign(document.createElement('div'), { className: 'zr-problem-note', textContent: p.message });
        overlays.add(p.element, 'zr-problem', { position: { bottom: 0, left: 0 }, html: note });
        item.addEventListener('click', () => modeler.get('selection').select(registry.get(p.element)));
      }
    });
  }

  function processId() {
    const definitions = modeler.getDefinitions();
    const processes = definitions.rootElements.filter((e) => e.$instanceOf('bpmn:Process') && e.isExecutable);
    return processes.length ? processes[0].id : '';
  }

  function url(template) {
    return template.replace('__ID__', encodeURIComponent(page.process_id || processId()));
  }

  // bpmn-js may reorder diagram elements the first time it reads back what it wrote (e.g. a new
  // boundary event's shape); passing the saved XML once through a hidden modeller gives its fixed
  // point, so a saved diagram opens again identically.
  const normalizer = new BpmnJS({ container: document.getElementById('normalizer'),
    moddleExtensions: { spiffworkflow: descriptor } });
  async function savedXml() {
    await normalizer.importXML((await modeler.saveXML({ format: true })).xml);
    return (await normalizer.saveXML({ format: true })).xml;
  }
  window.zhunruSavedXml = savedXml;

  async function post(template, body) {
    const xml = await savedXml();
    const response = await fetch(url(template), {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': page.csrf, 'Accept': 'application/json' },
      body: JSON.stringify({ xml, ...body }),
    });
    return [response, await response.json()];
  }

  document.getElementById('validate').addEventListener('click', async () => {
    const [, answer] = await post(page.validate_url);
    showProblems(answer.problems || []);
    say(answer.problems && answer.problems.length ? `发现 ${answer.problems.length} 个问题` : '校验通过，可以部署',
      answer.problems && answer.problems.length ? 'error' : 'ok');
  });

  document.getElementById('deploy').addEventListener('click', async () => {
    const [response, answer] = await post(page.deploy_url, { base_version: baseVersion });
    if (answer.code === 'definition_invalid') {
      const found = problemsOf(answer.errors);
      showProblems(found);
      say(`${answer.message}：${found.length} 个问题`, 'error');
      return;
    }
    if (!response.ok) {
      say(answer.message || response.statusText, 'error');
      return;
    }
    clearProblems();
    baseVersion = answer.version;
    document.getElementById('version').textContent = `v${answer.version}`;
    say(answer.created
      ? `已部署为 v${answer.version}。新办件使用此版本；仍有 ${answer.running_on_older_versions} 个办理中的办件使用旧版本。`
      : `流程未变化，仍为 v${answer.version}。`, 'ok');
  });

  document.getElementById('import').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      await open(await file.text());
      clearProblems();
      say(`已导入 ${file.name}，请校验后部署`, 'ok');
    } catch (err) {
      say(`无法导入 ${file.name}: ${err.message}`, 'error');
    }
  });

  document.getElementById('download').addEventListener('click', async () => {
    const xml = await savedXml();
    const link = Object.assign(document.createElement('a'), {
      href: URL.createObjectURL(new Blob([xml], { type: 'application/xml' })), download: `${processId() || 'process'}.bpmn`,
    });
    link.click();
  });

  modeler.get('eventBus').on('selection.changed', (event) => render(event.newSelection[0]));
  modeler.get('eventBus').on('elements.changed', (event) => {
    if (current && event.elements.some((e) => e.id === current.id) && !panel.contains(document.activeElement)) render(current);
  });

  // Open through one save with xsi declared on the root, so that what the owner saves is already in
  // bpmn-js's own form (local namespace declarations gone): saved diagrams then open again identically.
  async function open(xml) {
    await modeler.importXML(xml);
    modeler.getDefinitions().$attrs['xmlns:xsi'] = 'http://www.w3.org/2001/XMLSchema-instance';
    await modeler.importXML((await modeler.saveXML({ format: true })).xml);
  }

  await open(page.xml);
  canvas.zoom('fit-viewport');
  render(null);
  document.getElementById('canvas').dataset.ready = 'true';
})();
