// Errors as a form shows them: beside the field (its aria-describedby
// names its `.field-error`) and said in one live region of the page's
// (#ui-announcer), or at the top of the form (`.form-error`,
// role="alert"); an API error put where it belongs; a form's checks
// before sending (validate, onSubmit) and its errors cleared as the
// field is edited (initForm).
//
// Markup it expects: a <form> with a `.form-error` element (role="alert");
// each input's aria-describedby names its `.field-error` element (and any
// hints); submit buttons are <button type="submit">.
import { field } from './forms.js';
import { isBusy } from './busy.js';

function describedBy(input, cls) {
  const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/);
  for (let i = 0; i < ids.length; i++) {
    const el = ids[i] && document.getElementById(ids[i]);
    if (el && el.classList.contains(cls)) {
      return el;
    }
  }
  return null;
}

export function show(el, text) {
  el.textContent = text;
  el.hidden = false;
}

export function hide(el) {
  el.textContent = '';
  el.hidden = true;
}

export function formError(form, message) {
  const el = form.querySelector('.form-error');
  if (el) {
    show(el, message);
  }
}

// a field's error is shown beside it (its aria-describedby), and said:
// the errors shown at one time go together, "手机号：请输入手机号码；…",
// into one live region of the page's (a .field-error appears from
// display:none, which screen readers do not reliably announce)
let announcer = null, said = [];

function labelOf(input) {
  const label = input.labels && input.labels[0];
  let legend = !label && input.closest && input.closest('fieldset');
  legend = legend && legend.querySelector('legend');
  return ((label || legend || {}).textContent || '').replace(/\s+/g, ' ').trim();
}

// in the page from the start: a live region made at the moment it
// speaks is often not heard
function makeAnnouncer() {
  if (!announcer && typeof document !== 'undefined' && document.body) {
    announcer = document.createElement('p');
    announcer.className = 'visually-hidden';
    announcer.id = 'ui-announcer';
    announcer.setAttribute('aria-live', 'assertive');
    announcer.setAttribute('aria-atomic', 'true');
    document.body.appendChild(announcer);
  }
  return announcer;
}

function announce(text) {
  if (!makeAnnouncer()) {
    return;
  }
  if (!said.length) {
    announcer.textContent = '';
    // the region emptied first and filled a moment later: the same
    // words again are said again
    window.setTimeout(function () {
      announcer.textContent = said.join('；');
      said = [];
    }, 50);
  }
  said.push(text);
}

export function fieldError(input, message) {
  const el = describedBy(input, 'field-error');
  if (!el) {
    formError(input.form, message);
    return;
  }
  input.setAttribute('aria-invalid', 'true');
  show(el, message);
  const label = labelOf(input);
  announce(label ? label + '：' + message : message);
}

export function clearField(input) {
  const el = describedBy(input, 'field-error');
  input.removeAttribute('aria-invalid');
  if (el) {
    hide(el);
  }
}

export function clearErrors(form) {
  form.querySelectorAll('.form-error, .field-error').forEach(hide);
  form.querySelectorAll('[aria-invalid]').forEach(function (el) {
    el.removeAttribute('aria-invalid');
  });
}

// an error from api.js: beside the field it names, else on top
export function showApiError(form, err) {
  const input = err.field ? field(form, err.field) : null;
  const message = err.message || '操作失败，请稍后再试。';
  if (input) {
    fieldError(input, message);
    input.focus();
  } else {
    formError(form, message);
  }
}

// checks: { name: rule(value, form) -> message or null }; marks every
// failing field, focuses the first, and says whether all passed
export function validate(form, checks) {
  let first = null;
  Object.keys(checks).forEach(function (name) {
    const input = field(form, name);
    if (!input) {
      return;
    }
    const problem = checks[name](input.value, form);
    if (problem) {
      fieldError(input, problem);
      first = first || input;
    } else {
      clearField(input);
    }
  });
  if (first) {
    first.focus();
  }
  return !first;
}

// a form: a field's error goes once the field is edited
export function initForm(form) {
  form.addEventListener('input', function (ev) {
    let t = ev.target;
    if (t.type === 'radio' && t.name) {
      t = field(form, t.name) || t;
    }
    if (t.getAttribute && t.getAttribute('aria-invalid')) {
      clearField(t);
    }
  });
  return form;
}

// a form's 提交: nothing while a request is in flight; else the error on
// top hidden, the checks made (as validate takes them), and then() when
// they pass
export function onSubmit(form, checks, then) {
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (isBusy(form)) {
      return;
    }
    const top = form.querySelector('.form-error');
    if (top) {
      hide(top);
    }
    if (validate(form, checks)) {
      then();
    }
  });
}

makeAnnouncer();
