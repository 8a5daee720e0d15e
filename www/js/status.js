// The home page (index.html's module): whether the hall's API answers,
// so a visitor knows before starting; the header's account links (nav.js).
import './nav.js';

const el = document.getElementById('service-status');
fetch('/api/health', { headers: { 'Accept': 'application/json' } })
  .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
  .then(function (res) {
    el.textContent = res.ok && res.body.status === 'ok'
      ? '服务正常，可在线办理。'
      : '服务暂时不可用，请稍后再试。';
    el.className = 'status ' + (res.ok ? 'ok' : 'down');
  })
  .catch(function () {
    el.textContent = '服务暂时不可用，请稍后再试。';
    el.className = 'status down';
  });
