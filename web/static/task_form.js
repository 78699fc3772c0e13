// Renders the step's form with form-js, sends data and evidence files in one request,
// and shows the server's field errors next to the fields (nothing typed is lost).
(function () {
  'use strict';
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const schema = read('form-schema');
  const config = read('form-config');
  const message = document.getElementById('form-error');
  const button = document.getElementById('submit');
  // No input debounce: a quick submit must never lose the last keystrokes.
  const container = document.getElementById('form');
  const form = new FormViewer.Form({ container, debounce: false });
  window.zhunruFormZh(form, container);

  // form-js keys its errors by component id (and a list row's by id, then row index); the server
  // names fields by key, a list row's as `path.index.key`.
  const fieldOfKey = {};
  (function collect(components, scope) {
    (components || []).forEach((c) => {
      const name = c.key || (c.type === 'dynamiclist' ? c.path : null);
      if (name) fieldOfKey[scope + name] = { id: c.id, label: c.label || name };
      collect(c.components, c.type === 'dynamiclist' ? scope + c.path + '.' : scope);
    });
  })(schema.components, '');

  function placeErrors(serverErrors) {
    const errors = {};
    const summary = [];
    Object.entries(serverErrors).forEach(([key, text]) => {
      const parts = key.split('.');
      const row = parts.length === 3 ? parts[1] : null;
      const field = fieldOfKey[row === null ? key : parts[0] + '.' + parts[2]];
      const id = field ? field.id : key;
      if (row === null) {
        errors[id] = [text];
      } else {
        errors[id] = errors[id] || {};
        errors[id][row] = [text];
      }
      const list = row === null ? null : fieldOfKey[parts[0]];
      summary.push((list ? list.label + ' ' : '') + (field ? field.label : key) + ' ' + text);
    });
    form._setState({ errors }); // form-js shows these under each field
    return summary.join('；');
  }

  function showError(text) {
    message.textContent = text;
    message.hidden = !text;
  }

  // The button waits for the form: a click before it is drawn would send nothing.
  form.importSchema(schema, read('form-data'))
    .then(() => { button.disabled = false; })
    .catch((err) => showError(String(err)));

  button.addEventListener('click', async () => {
    showError('');
    const result = form.submit();
    if (Object.keys(result.errors).length) {
      showError(config.fix);
      return;
    }
    const body = new FormData();
    body.append('data', JSON.stringify(result.data));
    result.files.forEach((files, ref) => files.forEach((file) => body.append(ref, file, file.name)));
    button.disabled = true;
    try {
      const response = await fetch(config.url, {
        method: 'POST', body, credentials: 'same-origin',
        headers: { 'X-CSRFToken': config.csrf, 'Accept': 'application/json' },
      });
      const answer = await response.json();
      if (response.ok) {
        window.location.assign(answer.redirect);
        return;
      }
      if (answer.errors) {
        showError(config.fix + '：' + placeErrors(answer.errors));
      } else {
        showError(answer.message || response.statusText);
      }
    } catch (err) {
      showError(String(err));
    } finally {
      button.disabled = false;
    }
  });
})();
