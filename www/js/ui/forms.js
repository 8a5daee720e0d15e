// A form's fields read and filled: the field of a name (the first of a
// radio group that can be chosen), the chosen value of a group, what the
// form would send, and a form filled from an object. No DOM at import.

function enabled(input) {
  return !input.matches(':disabled');
}

// the form's field of that name (of a group of radio buttons, the first
// that can be chosen: each names the group's error in aria-describedby);
// none when it is hidden or disabled
export function field(form, name) {
  let el = form.elements.namedItem(name);
  if (el && el.nodeType !== 1 && el.length && el[0].type === 'radio') {
    el = Array.prototype.filter.call(el, enabled)[0];
  }
  return el && el.nodeType === 1 && el.type !== 'hidden' && enabled(el) ? el : null;
}

// the value of the chosen radio button of a group (or of a checked box),
// '' when none is
export function checked(form, name) {
  const input = form.querySelector('input[name="' + name + '"]:checked');
  return input && enabled(input) ? input.value : '';
}

// what a form would send (fields that are disabled, and boxes that are
// not checked, left out), each value trimmed
export function values(form) {
  const out = {};
  new FormData(form).forEach(function (v, k) {
    out[k] = typeof v === 'string' ? v.trim() : v;
  });
  return out;
}

// a form's fields from an object: checkboxes checked when the value is
// true, radio groups and the rest by value
export function fillForm(form, data, names) {
  names.forEach(function (name) {
    const input = form.elements.namedItem(name);
    const v = data ? data[name] : null;
    if (!input) {
      return;
    }
    if (input.type === 'checkbox') {
      input.checked = v === true || v === 1 || v === '1';
    } else {
      input.value = v === null || v === undefined ? '' : String(v);
    }
  });
}
