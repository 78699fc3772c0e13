// Steps through a case's recorded events on its diagram: done, current and waiting elements, the flows
// taken, and for each event who, when, what changed, deadlines with their card, evidence with hashes.
(async function () {
  'use strict';
  const config = JSON.parse(document.getElementById('replay-config').textContent);
  const text = JSON.parse(document.getElementById('replay-text').textContent);
  const steps = config.steps;
  const viewer = new BpmnJS({ container: '#diagram' });
  await viewer.importXML(await (await fetch(config.diagram, { credentials: 'same-origin' })).text());
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  canvas.zoom('fit-viewport');
  const markers = ['zr-done', 'zr-active', 'zr-waiting', 'zr-taken'];
  let index = steps.length - 1;

  const cell = (value) => Object.assign(document.createElement('td'), { textContent: value == null ? '' : String(value) });
  // A deadline that ends a day reads "that day 24:00", as on the task pages (instants come in +08:00).
  function dueText(iso) {
    const shown = iso.slice(0, 16).replace('T', ' ');
    if (!shown.endsWith(' 00:00')) return shown;
    const day = new Date(iso.slice(0, 10) + 'T00:00:00Z');
    day.setUTCDate(day.getUTCDate() - 1);
    return day.toISOString().slice(0, 10) + ' 24:00';
  }
  const row = (...values) => { const tr = document.createElement('tr'); tr.append(...values.map(cell)); return tr; };

  function show(i) {
    index = Math.max(0, Math.min(steps.length - 1, i));
    const step = steps[index];
    registry.getAll().forEach((el) => markers.forEach((m) => canvas.removeMarker(el.id, m)));
    const mark = (ids, marker) => (ids || []).forEach((id) => { if (registry.get(id)) canvas.addMarker(id, marker); });
    mark(step.done, 'zr-done');
    mark(step.waiting, 'zr-waiting');
    mark(step.active, 'zr-active');
    mark(step.flows, 'zr-taken');
    document.getElementById('position').textContent = `${index + 1} / ${steps.length}`;
    document.getElementById('jump').value = String(index);
    const event = document.getElementById('event');
    event.replaceChildren();
    [[text.when, step.at], [text.who, `${step.actor || ''}${step.organisation ? ' · ' + step.organisation : ''}`],
     [text.step, `${text.kinds[step.kind] || step.kind || ''}${step.step ? '：' + step.step : ''}`]]
      .forEach(([k, v]) => event.append(Object.assign(document.createElement('dt'), { textContent: k }),
        Object.assign(document.createElement('dd'), { textContent: v || '' })));
    if (step.divergence) event.append(Object.assign(document.createElement('dd'), { className: 'error', textContent: step.divergence }));
    document.querySelector('#changed tbody').replaceChildren(
      ...Object.entries(step.changed || {}).map(([k, v]) => row(k, typeof v === 'object' ? JSON.stringify(v) : v)));
    document.querySelector('#deadlines tbody').replaceChildren(
      ...(step.deadlines || []).map((d) => {
        const tr = row(d.step || d.timer, dueText(d.due_at));
        tr.append(Object.assign(document.createElement('td'), {
          innerHTML: `<span class="card card-${d.card}">${text.cards[d.card]}</span>` }));
        return tr;
      }));
    document.querySelector('#evidence tbody').replaceChildren(...(step.files || []).map((f) => row(f.filename, f.sha256)));
    document.getElementById('diagram').dataset.step = String(step.seq);
  }

  document.getElementById('first').addEventListener('click', () => show(0));
  document.getElementById('back').addEventListener('click', () => show(index - 1));
  document.getElementById('forward').addEventListener('click', () => show(index + 1));
  document.getElementById('last').addEventListener('click', () => show(steps.length - 1));
  document.getElementById('jump').addEventListener('change', (e) => show(parseInt(e.target.value, 10)));
  show(index);
  document.getElementById('diagram').dataset.ready = 'true';
})();
