// The process owner's decision table editor: dmn-js opened on the table, server-side validation marks
// the rules and columns with problems, deployment names who deployed since when the table went stale.
(async function () {
  'use strict';
  const page = JSON.parse(document.getElementById('decision-config').textContent);
  const zh = window.zhunruZh;
  const translated = { additionalModules: [zh.module(zh.DMN)] }; // per view: dmn-js drops common modules
  const modeler = new DmnJS({ container: '#dmn', common: { keyboard: { bindTo: window } },
    drd: translated, decisionTable: translated, literalExpression: translated, boxedExpression: translated });
  window.zhunruDecisionModeler = modeler; // for tests and for owners who script their tables
  const status = document.getElementById('status');
  const problemList = document.getElementById('problems');
  let baseVersion = page.version;

  function say(text, kind) {
    status.textContent = text;
    status.className = kind || '';
  }

  function clearProblems() {
    document.querySelectorAll('#dmn .zr-problem').forEach((el) => el.classList.remove('zr-problem'));
    problemList.replaceChildren();
  }

  function cellsOf(id) {
    const quoted = CSS.escape(id);
    return document.querySelectorAll(
      `#dmn [data-row-id="${quoted}"], #dmn [data-element-id="${quoted}"], #dmn [data-col-id="${quoted}"]`);
  }

  // A refused deployment names its problems as errors by element id (or file name), as a form's are by field.
  function problemsOf(errors) {
    return Object.entries(errors || {}).map(([element, message]) => ({ element, message }));
  }

  function showProblems(problems) {
    clearProblems();
    problems.forEach((p) => {
      problemList.append(Object.assign(document.createElement('li'), { textContent: `${p.element || p.file}: ${p.message}` }));
      if (p.element) cellsOf(p.element).forEach((el) => el.classList.add('zr-problem'));
    });
  }

  async function openTable(xml) {
    await modeler.importXML(xml);
    const table = modeler.getViews().find((v) => v.type === 'decisionTable');
    if (table) await modeler.open(table);
  }

  async function savedXml() {
    return (await modeler.saveXML({ format: true })).xml;
  }
  window.zhunruSavedDecision = savedXml;

  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': page.csrf, 'Accept': 'application/json' },
      body: JSON.stringify({ xml: await savedXml(), ...body }),
    });
    return [response, await response.json()];
  }

  document.getElementById('validate').addEventListener('click', async () => {
    const [response, answer] = await post(page.validate_url);
    if (!response.ok) {
      say(answer.message || response.statusText, 'error');
      return;
    }
    showProblems(answer.problems || []);
    say(answer.problems.length ? `发现 ${answer.problems.length} 个问题` : '校验通过，可以部署',
      answer.problems.length ? 'error' : 'ok');
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
    const processes = answer.processes.map((p) => `${p.id} v${p.version}`).join('、');
    say(answer.created
      ? `已部署为 v${answer.version}。` + (processes
        ? `使用它的流程已部署新版本 (${processes})，新办件使用此决策表；仍有 ${answer.running_on_older_versions} 个办理中的办件使用旧版本。`
        : '目前没有流程使用此决策表。')
      : `决策表未变化，仍为 v${answer.version}。`, 'ok');
  });

  document.getElementById('import').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      await openTable(await file.text());
      clearProblems();
      say(`已导入 ${file.name}，请校验后部署`, 'ok');
    } catch (err) {
      say(`无法导入 ${file.name}: ${err.message}`, 'error');
    }
  });

  document.getElementById('download').addEventListener('click', async () => {
    const link = Object.assign(document.createElement('a'), {
      href: URL.createObjectURL(new Blob([await savedXml()], { type: 'application/xml' })), download: `${page.key}.dmn`,
    });
    link.click();
  });

  await openTable(page.xml);
  document.getElementById('dmn').dataset.ready = 'true';
})();
