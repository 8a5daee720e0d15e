// A page that needs a session: its address's parameters, the way to the
// login page (back here afterwards), and what it does when its data
// cannot be loaded (401: to the login page; else the message and
// 重新加载 in its loading line).
import { el } from './dom.js';

export function param(name) {
  return new URLSearchParams(window.location.search).get(name);
}

// to the login page, back here afterwards
export function toLogin() {
  window.location.replace('/login.html?next='
    + encodeURIComponent(window.location.pathname + window.location.search));
}

// what a page does when its data could not be loaded: 401 to the login
// page, else the message and 重新加载 in `where` (its loading line)
export function loadFailed(where) {
  return function (err) {
    if (err.status === 401) {
      toLogin();
      return;
    }
    where.hidden = false;
    where.className = 'status down';
    where.textContent = err.message + ' ';
    where.appendChild(el('a', { href: window.location.pathname + window.location.search },
                         '重新加载'));
  };
}
