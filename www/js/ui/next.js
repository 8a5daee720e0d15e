// Where to go afterwards: the ?next= parameter, taken only when it is a
// path on this site; links that pass it on; the login and registration
// pages left for who is logged in already, and where an account form
// leads once done. safeNext is pure (the origin
// may be given); the rest read the page's address when called.
import * as api from '../api.js';
import { setFlash } from './flash.js';

// raw as a path of this site (its path, query and hash), else fallback
// ('/account.html' when not given); origin: this site's (the page's)
export function safeNext(raw, fallback, origin) {
  if (fallback === undefined) {
    fallback = '/account.html';
  }
  if (typeof raw !== 'string' || raw.charAt(0) !== '/'
      || raw.charAt(1) === '/' || /[\u0000-\u0020\u007f\\]/.test(raw))
  {
    return fallback;
  }
  try {
    const here = origin || window.location.origin;
    const u = new URL(raw, here);
    if (u.origin !== here) {
      return fallback;
    }
    return u.pathname + u.search + u.hash;
  } catch (e) {
    return fallback;
  }
}

function rawNext() {
  return new URLSearchParams(window.location.search).get('next');
}

export function nextUrl(fallback) {
  return safeNext(rawNext(), fallback);
}

// links marked data-keep-next pass this page's (valid) ?next= on
export function keepNext(root) {
  const raw = rawNext();
  if (raw === null || safeNext(raw, null) === null) {
    return;
  }
  (root || document).querySelectorAll('a[data-keep-next]').forEach(function (a) {
    const u = new URL(a.getAttribute('href'), window.location.href);
    u.searchParams.set('next', safeNext(raw));
    a.setAttribute('href', u.pathname + u.search + u.hash);
  });
}

// an account form done (登录, 注册, 重置密码): on to ?next=, or to the
// account page, which then says flash (when given)
export function goOn(flash) {
  const next = nextUrl('/account.html');
  if (next === '/account.html' && flash) {
    setFlash(flash);
  }
  window.location.assign(next);
}

// the login and registration pages are no use to who is logged in
export function leaveIfLoggedIn() {
  api.mine('/api/me').then(function () {
    window.location.replace(nextUrl());
  }, function () { /* not logged in (or no answer): stay */ });
}
