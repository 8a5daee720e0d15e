// A form while its request is in flight: the submit buttons off and
// saying so (data-busy-label, else 请稍候…), aria-busy, and whether it is.

export function setBusy(form, busy) {
  form.toggleAttribute('data-busy', busy);
  form.setAttribute('aria-busy', busy ? 'true' : 'false');
  form.querySelectorAll('button[type="submit"]').forEach(function (b) {
    if (busy) {
      b.setAttribute('data-label', b.textContent);
      b.textContent = b.getAttribute('data-busy-label') || '请稍候…';
    } else if (b.hasAttribute('data-label')) {
      b.textContent = b.getAttribute('data-label');
    }
    b.disabled = busy;
  });
}

export function isBusy(form) {
  return form.hasAttribute('data-busy');
}
