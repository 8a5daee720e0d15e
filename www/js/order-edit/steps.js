// The step router of order-edit.html: which of the four steps shows
// (?step=N in the address, so reload and back work), going to a step
// (history.pushState, the step's heading focused), the links to a step
// (data-step) followed without loading the page, and saving a step's
// form then going on. A step that draws itself when shown registers with
// onShow(n, fn).
import * as api from '../api.js';
import { showApiError } from '../ui/errors.js';
import { setBusy } from '../ui/busy.js';
import { setFlash } from '../ui/flash.js';
import { param } from '../ui/page.js';
import { state, flow, $, stepUrl, leftForLogin } from './state.js';

const shown = {};

export function onShow(n, fn) {
  shown[n] = fn;
}

export function currentStep() {
  const n = parseInt(param('step'), 10);
  return n >= 1 && n <= 4 ? n : 1;
}

export function showStep(n, focus) {
  if (!state.editable) {
    return;
  }
  for (let i = 1; i <= 4; i++) {
    $('step-' + i).hidden = i !== n;
    if (i === n) {
      $('step-link-' + i).setAttribute('aria-current', 'step');
    } else {
      $('step-link-' + i).removeAttribute('aria-current');
    }
  }
  if (shown[n]) {
    shown[n]();
  }
  if (focus) {
    $('step-' + n).querySelector('h2').focus();
  }
}

export function go(n) {
  window.history.pushState(null, '', stepUrl(n));
  showStep(n, true);
}

// a step's form saved (PUT url): the order as the server answers, then
// the step `next`; next 0: 修改开票信息 alone, back to the order
export function save(form, url, body, next) {
  setBusy(form, true);
  api.put(url, body).then(function (o) {
    setBusy(form, false);
    state.order = o;
    if (!next) {
      setFlash('开票信息已修改，电子发票将按新的信息开具。');
      window.location.assign($('edit-order-link').href);
      return;
    }
    flow.render();
    go(next);
  }, function (err) {
    setBusy(form, false);
    if (!leftForLogin(err)) {
      showApiError(form, err);
    }
  });
}

// links to a step (data-step) change the step without loading the page
document.addEventListener('click', function (ev) {
  const a = ev.target.closest && ev.target.closest('a[data-step]');
  if (!a || !state.order || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) {
    return;
  }
  ev.preventDefault();
  go(parseInt(a.getAttribute('data-step'), 10));
});

window.addEventListener('popstate', function () {
  if (state.order) {
    showStep(currentStep(), true);
  }
});
