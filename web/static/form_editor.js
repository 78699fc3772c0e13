// form-js's editor for a form in forms/: validated by the server and deployed as a new version.
(async function () {
  'use strict';
  const page = JSON.parse(document.getElementById('editor-config').textContent);
  const status = document.getElementById('status');
  const problems = document.getElementById('problems');
  const container = document.getElementById('form-editor');
  const editor = new FormEditor.FormEditor({ container });
  window.zhunruZh.localise(container, window.zhunruZh.FORM, '.fjs-form-container, .bio-properties-panel-header-label');
  window.zhunruFormEditor = editor;
  let baseVersion = page.version;
  await editor.importSchema(page.schema);
  container.dataset.ready = 'true';

  function say(text, kind) {
    status.textContent = text;
    status.className = kind || '';
  }

  async function post(url, extra) {
    const response = await fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': page.csrf, 'Accept': 'application/json' },
      body: JSON.stringify({ schema: editor.saveSchema(), ...extra }),
    });
    return [response, await response.json()];
  }

  function list(found) {
    problems.replaceChildren(...found.map((p) => Object.assign(document.createElement('li'), {
      textContent: `${p.element || p.file}: ${p.message}`,
    })));
  }

  document.getElementById('validate').addEventListener('click', async () => {
    const [, answer] = await post(page.validate_url);
    list(answer.problems || []);
    say(answer.problems.length ? `发现 ${answer.problems.length} 个问题` : '校验通过，可以部署', answer.problems.length ? 'error' : 'ok');
  });

  document.getElementById('deploy').addEventListener('click', async () => {
    const [response, answer] = await post(page.deploy_url, { base_version: baseVersion });
    if (!response.ok) {  // a refused form names its problems by element id, as a form's errors are by field
      list(Object.entries(answer.errors || {}).map(([element, message]) => ({ element, message })));
      say(answer.message || response.statusText, 'error');
      return;
    }
    list([]);
    baseVersion = answer.version;
    document.getElementById('version').textContent = `v${answer.version}`;
    say(answer.created ? `已部署为 v${answer.version}；流程需重新部署后才使用新版本表单` : `表单未变化，仍为 v${answer.version}`, 'ok');
  });
})();
