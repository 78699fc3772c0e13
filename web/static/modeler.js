// The process owner's modeller: bpmn-js plus a properties panel for what Zhunru executes, written as
// the spiffworkflow: extensions the engine reads; server-side validation marks problems on elements.
(async function () {
  'use strict';
  const page = JSON.parse(document.getElementById('modeler-config').textContent);
  const descriptor = await (await fetch(page.moddle_url)).json();
  const zh = window.zhunruZh;
  const modeler = new BpmnJS({
    container: '#canvas', moddleExtensions: { spiffworkflow: descriptor },
    additionalModules: [zh.module(zh.BPMN)],
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

  // A change written from the panel does not redraw it: Chrome fires `change` as focus leaves on Tab, and a
  // redraw then would drop the field Tab was moving to.
  let writing = 0;
  function fromPanel(write) {
    writing += 1;
    try {
      write();
    } finally {
      writing -= 1;
    }
  }

  function input(value, onChange, name, multiline) {
    const control = document.createElement(multiline ? 'textarea' : 'input');
    control.value = value || '';
    control.name = name;
    control.addEventListener('change', () => fromPanel(() => onChange(control.value.trim())));
    return control;
  }

  function select(options, value, onChange, name) {
    const control = document.createElement('select');
    control.name = name;
    [['', '（无）'], ...options].forEach(([v, text]) => {
      control.append(Object.assign(document.createElement('option'), { value: v, textContent: text, selected: v === value }));
    });
    control.addEventListener('change', () => fromPanel(() => onChange(control.value)));
    return control;
  }

  function heading(text) {
    panel.append(Object.assign(document.createElement('h3'), { textContent: text }));
  }

  function group(text) {
    panel.append(Object.assign(document.createElement('h4'), { className: 'prop-group', textContent: text }));
  }

  function typeName(el) {
    const type = el.type.endsWith('Event') ? eventName(el) : null;
    return type || zh.TYPES[el.type] || el.type.replace('bpmn:', '');
  }

  function eventName(el) {
    const definition = (bo(el).eventDefinitions || [])[0];
    const kind = definition && { 'bpmn:TimerEventDefinition': '定时', 'bpmn:MessageEventDefinition': '消息',
      'bpmn:SignalEventDefinition': '信号', 'bpmn:ErrorEventDefinition': '错误', 'bpmn:EscalationEventDefinition': '升级',
      'bpmn:ConditionalEventDefinition': '条件', 'bpmn:TerminateEventDefinition': '终止' }[definition.$type];
    return kind ? `${kind}${zh.TYPES[el.type]}` : null;
  }

  function render(el) {
    const focused = panel.contains(document.activeElement) ? document.activeElement.name : null;
    renderPanel(el);
    const again = focused && panel.querySelector(`[name="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }

  function renderPanel(el) {
    current = el;
    panel.replaceChildren();
    if (!el || el.type === 'label') {
      heading('属性');
      panel.append(Object.assign(document.createElement('p'), { className: 'muted', textContent: '选择一个元素以编辑其属性' }));
      return;
    }
    heading(`${typeName(el)} · ${el.id}`);
    group('基本信息');
    if (!is(el, 'bpmn:Process') && !is(el, 'bpmn:Collaboration')) {
      field('名称', input(bo(el).name, (v) => modeling.updateLabel(el, v), 'name'));
    }
    if (is(el, 'bpmn:Lane')) {
      group('办理单位');
      field('单位', select(page.organisations.map((o) => [o.code, `${o.name} (${o.code})`]), property(el, 'organisation'),
        (v) => setProperty(el, 'organisation', v), 'organisation'), '本泳道的任务由该单位办理');
      field('单位变量', input(property(el, 'organisationVariable'), (v) => setProperty(el, 'organisationVariable', v),
        'organisationVariable'), '运行时决定的单位，例如 competent_unit');
      field('角色 / 组', input(property(el, 'role'), (v) => setProperty(el, 'role', v), 'role'), '只有具有该角色的人员可办理');
    }
    if (is(el, 'bpmn:UserTask') || is(el, 'bpmn:ManualTask')) {
      group('办理');
      const formKey = property(el, 'formKey');
      const forms = page.forms.map((f) => [f.key, `${f.title}（${f.key} v${f.version}）`]);
      if (formKey && !page.forms.some((f) => f.key === formKey)) forms.push([formKey, `${formKey}（未部署）`]);
      field('表单', select(forms, formKey, (v) => setProperty(el, 'formKey', v), 'formKey'), '按标题选择已部署的表单');
      field('办理说明', input(bodyOf(el, 'spiffworkflow:InstructionsForEndUser'),
        (v) => setBody(el, 'spiffworkflow:InstructionsForEndUser', v), 'instructions', true), '可用 {{ 变量 }} 引用办件数据');
      const autoClaim = Object.assign(document.createElement('input'), { type: 'checkbox', name: 'autoClaim',
        checked: property(el, 'autoClaim') === 'true' });
      autoClaim.addEventListener('change', () => fromPanel(() => setProperty(el, 'autoClaim', autoClaim.checked ? 'true' : '')));
      field('由上一环节办理人直接办理（自动认领）', autoClaim);
    }
    if (is(el, 'bpmn:ServiceTask')) {
      group('服务');
      const op = operatorOf(el);
      const chosen = page.operators.find((o) => o.name === op.name);
      field('服务 (operator)', select(page.operators.map((o) => [o.name, `${o.name} · ${o.description}`]), op.name,
        (v) => { setOperator(el, v, op.result || `${el.id}_result`, {}); render(el); }, 'operator'));
      if (chosen) {
        Object.entries(chosen.parameters).forEach(([name, info]) => {
          field(`参数 ${name}${info.required ? ' *' : ''}`, input(op.params[name] || '', (v) => {
            const now = operatorOf(el);
            setOperator(el, now.name, now.result, { ...now.params, [name]: v });
          }, `param-${name}`), `${info.description || ''}（表达式，文字需加引号）`);
        });
        field('结果变量', input(op.result, (v) => setOperator(el, operatorOf(el).name, v, operatorOf(el).params),
          'resultVariable'));
      } else if (op.name) {
        panel.append(Object.assign(document.createElement('p'), { className: 'error', textContent: `未注册的服务 ${op.name}` }));
      }
    }
    if (is(el, 'bpmn:BusinessRuleTask')) {
      group('决策');
      field('决策表', select(page.decisions.map((d) => [d.key, `${d.key} (v${d.version})`]),
        bodyOf(el, 'spiffworkflow:CalledDecisionId'), (v) => setBody(el, 'spiffworkflow:CalledDecisionId', v),
        'calledDecisionId'), '新办件使用部署时该决策表的最新版本');
    }
    if (is(el, 'bpmn:ScriptTask')) {
      group('脚本');
      field('脚本', input(bo(el).script, (v) => modeling.updateProperties(el, { scriptFormat: 'python', script: v }),
        'script', true));
    }
    if (is(el, 'bpmn:Activity') && !is(el, 'bpmn:ScriptTask')) {
      group('前后脚本');
      field('前置脚本', input(bodyOf(el, 'spiffworkflow:PreScript'), (v) => setBody(el, 'spiffworkflow:PreScript', v),
        'preScript', true));
      field('后置脚本', input(bodyOf(el, 'spiffworkflow:PostScript'), (v) => setBody(el, 'spiffworkflow:PostScript', v),
        'postScript', true));
    }
    const timer = (bo(el).eventDefinitions || []).find((d) => d.$instanceOf('bpmn:TimerEventDefinition'));
    if (timer) {
      group('时限');
      const t = timerOf(timer);
      const mode = field('时限', select([['working', 'N 个工作日'], ['calendar', 'N 个自然日'], ['expression', '日期表达式']],
        chosenTimerMode.get(el.id) || t.mode, (v) => { chosenTimerMode.set(el.id, v); update(); }, 'timerMode'));
      const days = field('天数 N', input(t.days, () => {
        if (mode.value === 'expression') {  // a number of days typed means N days, not an expression
          mode.value = 'working';
          chosenTimerMode.set(el.id, 'working');
        }
        update();
      }, 'timerDays'));
      const expr = field('表达式', input(t.expr, () => update(), 'timerExpression'), '例如 working_deadline(3)、end_of_day(extended_until)');
      days.type = 'number';
      days.min = '0';
      // Written in place, without redrawing the panel: what the owner typed and where Tab took them stay.
      const update = () => {
        let written;
        if (mode.value === 'working' || mode.value === 'calendar') {
          const n = parseInt(days.value, 10);
          if (Number.isNaN(n) || n < 0) return;
          written = `${mode.value === 'working' ? 'working_deadline' : 'calendar_deadline'}(${n})`;
        } else if (mode.value === 'expression' && expr.value.trim()) {
          written = expr.value.trim();
        } else {
          return;
        }
        setTimer(el, timer, written);
        expr.value = written;
        const m = TIMER.exec(written);
        if (m) days.value = m[2];
      };
      if (is(el, 'bpmn:BoundaryEvent')) {
        const keep = Object.assign(document.createElement('input'), { type: 'checkbox', name: 'nonInterrupting',
          checked: bo(el).cancelActivity === false });
        keep.addEventListener('change', () => fromPanel(() => modeling.updateProperties(el, { cancelActivity: !keep.checked })));
        field('到期后原任务继续办理（不中断）', keep);
      }
    }
    if (is(el, 'bpmn:SequenceFlow') && bo(el).sourceRef && (bo(el).sourceRef.$instanceOf('bpmn:ExclusiveGateway')
        || bo(el).sourceRef.$instanceOf('bpmn:InclusiveGateway'))) {
      group('条件');
      const condition = bo(el).conditionExpression;
      const raw = field('条件表达式', input(condition ? condition.body : '', (v) => {
        writeCondition(el, v);
        panel.querySelector('.condition-builder').replaceWith(conditionBuilder(el, raw));
      }, 'condition'), '例如 violation_found == "yes"；也可用下面的条件构建器生成');
      panel.append(conditionBuilder(el, raw));
    }
  }

  // ---- the condition builder: field, operator, value, joined with 且 (and) / 或 (or) ----------------------
  const OPERATORS = [['==', '等于'], ['!=', '不等于'], ['>', '大于'], ['>=', '大于等于'], ['<', '小于'],
    ['<=', '小于等于'], ['in', '包含'], ['filled', '已填写 / 为是'], ['empty', '未填写 / 为否']];
  const NAME = '[A-Za-z_][A-Za-z0-9_]*';
  const LITERAL = '"(?:[^"\\\\]|\\\\.)*"|-?\\d+(?:\\.\\d+)?|True|False|None';
  const CLAUSES = [
    [new RegExp(`^(${NAME})\\s*(==|!=|>=|<=|>|<)\\s*(${LITERAL})$`), (m) => ({ field: m[1], op: m[2], value: valueOf(m[3]) })],
    [new RegExp(`^(${LITERAL})\\s+in\\s+(${NAME})$`), (m) => ({ field: m[2], op: 'in', value: valueOf(m[1]) })],
    [new RegExp(`^not\\s+(${NAME})$`), (m) => ({ field: m[1], op: 'empty', value: '' })],
    [new RegExp(`^(${NAME})$`), (m) => ({ field: m[1], op: 'filled', value: '' })],
  ];

  function valueOf(literal) {
    return literal.startsWith('"') ? JSON.parse(literal) : literal;
  }

  function literal(value) {
    const text = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(text) || ['True', 'False', 'None'].includes(text)) return text;
    return JSON.stringify(value);
  }

  function clauseText(c) {
    if (c.op === 'filled') return c.field;
    if (c.op === 'empty') return `not ${c.field}`;
    if (c.op === 'in') return `${literal(c.value)} in ${c.field}`;
    return `${c.field} ${c.op} ${literal(c.value)}`;
  }

  function conditionText(clauses, join) {
    const done = clauses.filter((c) => c.field && c.op && (['filled', 'empty'].includes(c.op) || c.value !== ''));
    if (!done.length || done.length !== clauses.length) return null;
    return done.map(clauseText).join(join === 'or' ? ' or ' : ' and ');
  }

  // What the builder can show of an expression; null when it is more than clauses joined by one of and/or.
  function parseCondition(text) {
    const expression = text.trim();
    if (!expression) return { clauses: [], join: 'and' };
    for (const join of ['and', 'or']) {
      const parts = expression.split(new RegExp(`\\s+${join}\\s+`));
      const clauses = parts.map((part) => {
        for (const [pattern, make] of CLAUSES) {
          const m = pattern.exec(part.trim());
          if (m) return make(m);
        }
        return null;
      });
      if (clauses.every(Boolean) && conditionText(clauses, join) === expression.replace(/\s+/g, ' ')) {
        return { clauses, join };
      }
    }
    return null;
  }

  function writeCondition(el, text) {
    const expression = text ? moddle.create('bpmn:FormalExpression', { body: text }) : undefined;
    modeling.updateProperties(el, { conditionExpression: expression });
  }

  function control(tag, props, onChange) {
    const made = Object.assign(document.createElement(tag), props);
    if (onChange) made.addEventListener('change', () => fromPanel(() => onChange(made.value)));
    return made;
  }

  function options(selectElement, choices, value) {
    choices.forEach(([v, text]) => selectElement.append(Object.assign(document.createElement('option'),
      { value: v, textContent: text, selected: v === value })));
    return selectElement;
  }

  // `kept`: the builder's rows while they are edited (a row being filled is not yet an expression).
  function conditionBuilder(el, raw, kept) {
    const box = Object.assign(document.createElement('div'), { className: 'condition-builder' });
    const parsed = kept ? null : parseCondition(raw.value);
    const state = kept || parsed || { clauses: [], join: 'and' };
    const redraw = () => {
      const focused = box.contains(document.activeElement) ? document.activeElement.name : null;
      const again = conditionBuilder(el, raw, state);
      box.replaceWith(again);
      const next = focused && again.querySelector(`[name="${focused}"]`);
      if (next) next.focus();
    };
    const write = () => {
      const text = conditionText(state.clauses, state.join);
      if (text === null) return;
      raw.value = text;
      writeCondition(el, text);
    };
    box.append(Object.assign(document.createElement('span'), { className: 'builder-title', textContent: '条件构建器' }));
    if (!kept && !parsed) {
      box.append(Object.assign(document.createElement('p'), { className: 'muted',
        textContent: '表达式较复杂，构建器无法显示；可直接编辑上面的表达式，或在此重新组合（将替换原表达式）' }));
    }
    const fieldChoices = page.fields.map((f) => [f.key, `${f.label}（${f.key}）`]);
    state.clauses.forEach((clause, i) => {
      const row = Object.assign(document.createElement('div'), { className: 'clause' });
      const known = page.fields.find((f) => f.key === clause.field);
      const choices = known || !clause.field ? fieldChoices : [...fieldChoices, [clause.field, clause.field]];
      row.append(options(control('select', { name: `cond-field-${i}`, title: '字段' }, (v) => {
        clause.field = v;
        clause.value = '';
        write();
        redraw();
      }), [['', '（选择字段）'], ...choices], clause.field));
      row.append(options(control('select', { name: `cond-op-${i}`, title: '运算' }, (v) => {
        clause.op = v;
        write();
        redraw();
      }), OPERATORS, clause.op));
      if (!['filled', 'empty'].includes(clause.op)) {
        const fixed = known && known.options.length ? known.options : null;
        const onValue = (v) => { clause.value = v; write(); };
        row.append(fixed
          ? options(control('select', { name: `cond-value-${i}`, title: '值' }, onValue),
            [['', '（选择值）'], ...fixed.map(([v, text]) => [v, `${text}（${v}）`])], clause.value)
          : control('input', { name: `cond-value-${i}`, title: '值', value: clause.value, placeholder: '值' }, onValue));
      }
      row.append(control('button', { type: 'button', name: `cond-remove-${i}`, textContent: '删除', onclick: () => {
        state.clauses.splice(i, 1);
        if (state.clauses.length) {
          fromPanel(write);
        } else {
          raw.value = '';
          fromPanel(() => writeCondition(el, ''));
        }
        redraw();
      } }));
      box.append(row);
    });
    if (state.clauses.length > 1) {
      box.append(options(control('select', { name: 'conditionJoin', title: '组合方式' }, (v) => {
        state.join = v;
        write();
      }), [['and', '全部满足（且）'], ['or', '任一满足（或）']], state.join));
    }
    box.append(control('button', { type: 'button', name: 'conditionAdd', textContent: '添加条件', onclick: () => {
      state.clauses.push({ field: '', op: '==', value: '' });
      redraw();
    } }));
    return box;
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
    markSaved();
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
      markSaved();
      importedUnsaved = true;
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

  // Undo and redo, and a warning before leaving with changes not deployed.
  const commandStack = modeler.get('commandStack');
  const undoButton = document.getElementById('undo');
  const redoButton = document.getElementById('redo');
  let savedIndex = null;
  let importedUnsaved = false;
  const unsaved = () => importedUnsaved || (savedIndex !== null && commandStack._stackIdx !== savedIndex);
  function markSaved() {
    savedIndex = commandStack._stackIdx;
    importedUnsaved = false;
  }
  window.zhunruUnsaved = unsaved;
  modeler.get('eventBus').on('commandStack.changed', () => {
    undoButton.disabled = !commandStack.canUndo();
    redoButton.disabled = !commandStack.canRedo();
  });
  undoButton.addEventListener('click', () => commandStack.undo());
  redoButton.addEventListener('click', () => commandStack.redo());
  window.addEventListener('beforeunload', (event) => {
    if (!unsaved()) return;
    event.preventDefault();
    event.returnValue = '';
  });

  modeler.get('eventBus').on('selection.changed', (event) => render(event.newSelection[0]));
  modeler.get('eventBus').on('elements.changed', (event) => {
    if (current && !writing && event.elements.some((e) => e.id === current.id)) render(current);
  });

  // Open through one save with xsi declared on the root, so that what the owner saves is already in
  // bpmn-js's own form (local namespace declarations gone): saved diagrams then open again identically.
  async function open(xml) {
    await modeler.importXML(xml);
    modeler.getDefinitions().$attrs['xmlns:xsi'] = 'http://www.w3.org/2001/XMLSchema-instance';
    await modeler.importXML((await modeler.saveXML({ format: true })).xml);
  }

  await open(page.xml);
  markSaved();
  canvas.zoom('fit-viewport');
  render(null);
  document.getElementById('canvas').dataset.ready = 'true';
})();
