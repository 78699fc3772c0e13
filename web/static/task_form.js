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
  const form = new FormViewer.Form({ container: document.getElementById('form'), debounce: false });

  // form-js keys its errors by component id; the server names fields by key.
  const idOfKey = {};
  (function collect(components) {
    (components || []).forEach((c) => {
      if (c.key) idOfKey[c.key] = c.id;
      collect(c.components);
    });
  })(schema.components);

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
        const errors = {};
        Object.entries(answer.errors).forEach(([key, text]) => {
          errors[idOfKey[key] || key] = [text];
        });
        form._setState({ errors }); // form-js shows these under each field
        showError(config.fix + '：' + Object.entries(answer.errors).map(([k, v]) => k + ' ' + v).join('；'));
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
