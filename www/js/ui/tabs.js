// Tabs: role="tablist" with role="tab" buttons, each aria-controls its
// role="tabpanel"; arrows, Home and End move between them. A tab with
// data-hash="sms" is chosen by #sms in the address.

export function tabs(list, onChange) {
  const all = Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));

  function select(tab, focus) {
    all.forEach(function (t) {
      const on = t === tab;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    });
    if (focus) {
      tab.focus();
    }
    if (onChange) {
      onChange(tab);
    }
  }

  all.forEach(function (t, i) {
    t.addEventListener('click', function () {
      select(t, false);
    });
    t.addEventListener('keydown', function (ev) {
      let to = null;
      if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') {
        to = all[(i + 1) % all.length];
      } else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') {
        to = all[(i - 1 + all.length) % all.length];
      } else if (ev.key === 'Home') {
        to = all[0];
      } else if (ev.key === 'End') {
        to = all[all.length - 1];
      }
      if (to) {
        ev.preventDefault();
        select(to, true);
      }
    });
  });

  const hash = window.location.hash.slice(1);
  const start = all.filter(function (t) {
    return hash && t.getAttribute('data-hash') === hash;
  })[0] || all.filter(function (t) {
    return t.getAttribute('aria-selected') === 'true';
  })[0] || all[0];
  select(start, false);
}
