// One version's diagram with, on each element, how many cases passed it, wait there now, and the mean hours.
(async function () {
  'use strict';
  const config = JSON.parse(document.getElementById('heatmap-config').textContent);
  const viewer = new BpmnJS({ container: '#diagram' });
  await viewer.importXML(config.diagram_xml);
  const overlays = viewer.get('overlays');
  const registry = viewer.get('elementRegistry');
  Object.entries(config.counts).forEach(([id, c]) => {
    if (!registry.get(id)) return;
    const note = Object.assign(document.createElement('div'), {
      className: 'zr-count' + (c.waiting ? ' zr-count-waiting' : ''),
      textContent: `${c.passed} / ${c.waiting}${c.mean_hours != null ? ' / ' + c.mean_hours + 'h' : ''}`,
    });
    note.dataset.element = id;
    overlays.add(id, 'zr-count', { position: { top: -14, left: 0 }, html: note });
  });
  viewer.get('canvas').zoom('fit-viewport');
  document.getElementById('diagram').dataset.ready = 'true';
})();
