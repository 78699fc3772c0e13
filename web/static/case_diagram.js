// Shows the case's diagram version and marks where the case is: done, current, waiting.
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('diagram-config').textContent);
  const viewer = new BpmnJS({ container: '#diagram' });
  fetch(config.url, { credentials: 'same-origin' })
    .then((response) => response.text())
    .then((xml) => viewer.importXML(xml))
    .then(() => {
      const canvas = viewer.get('canvas');
      const registry = viewer.get('elementRegistry');
      const mark = (ids, marker) => ids.forEach((id) => {
        if (registry.get(id)) canvas.addMarker(id, marker);
      });
      mark(config.done, 'zr-done');
      mark(config.waiting, 'zr-waiting');
      mark(config.active, 'zr-active');
      canvas.zoom('fit-viewport');
      document.getElementById('diagram').dataset.ready = 'true';
    })
    .catch((err) => {
      document.getElementById('diagram').textContent = String(err);
    });
})();
