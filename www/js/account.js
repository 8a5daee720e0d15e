// account.html, 个人中心: the account (GET /api/me; 401 sends to the login
// page), 退出登录, and 实名认证 -- name + ID number -> POST /api/me/realname
// -> its qr_payload drawn as a QR code for WeChat, then GET /api/me/realname
// every 2 s until the request is verified, failed or expired. The request's
// id (RN…) is shown with 复制: the provider's support asks for it, and
// locally t/bin/realname-callback plays the provider with it (README).
import * as api from './api.js';
import { hide, initForm, show, showApiError, validate } from './ui/errors.js';
import { isBusy, setBusy } from './ui/busy.js';
import { rules } from './ui/rules.js';
import { el, empty } from './ui/dom.js';
import { clause } from './ui/format.js';
import { takeFlash } from './ui/flash.js';
import { loadFailed, toLogin } from './ui/page.js';
import * as dates from './dates.js';
import * as nav from './nav.js';
import { copy } from './copy.js';
import * as qr from './qr.js';

var POLL_MS = 2000;
var STATUS = { none: '未认证', pending: '认证中', verified: '已认证' };

function $(id) {
  return document.getElementById(id);
}

var form = initForm($('realname-form'));
var poll = null;      // { id, until, timer } while waiting for the scan
var looked = false;   // the last request was looked at once

// ------------------------------------------------------------------
// the account

function load() {
  return api.mine('/api/me').then(renderMe, loadFailed($('account-loading')));
}

// 实名认证's badge: 未认证, 认证中 while a QR code waits, 已认证
function badge(status) {
  $('me-realname').textContent = STATUS[status];
  $('me-realname').className = 'badge badge-' + status;
}

// the badge from GET /api/me/realname: pending only while its request
// may still be scanned (a failed or expired one leaves 未认证)
function badgeOf(r) {
  var s = r && STATUS[r.status] ? r.status : 'none';
  var req = r && r.request;
  badge(s === 'pending' && req && req.status !== 'pending' ? 'none' : s);
}

function renderMe(me) {
  var rn = me.realname || { status: 'none' };
  var status = STATUS[rn.status] ? rn.status : 'none';

  $('account-loading').hidden = true;
  $('account').hidden = false;
  $('me-phone').textContent = me.phone || '';
  badge(status);
  empty($('me-unread')).appendChild(el('a', { href: '/messages.html' },
    me.unread_messages > 0 ? me.unread_messages + ' 条未读' : '没有未读消息'));

  if (status === 'verified') {
    stopPolling();
    $('rv-name').textContent = rn.name || '';
    $('rv-id').textContent = rn.id_number || '';
    $('rv-at').textContent = rn.verified_at ? dates.time(rn.verified_at) : '—';
    $('realname-apply').hidden = true;
    $('realname-verified').hidden = false;
    return;
  }

  $('realname-verified').hidden = true;
  $('realname-apply').hidden = false;
  if (!looked) {
    looked = true;
    lookAtLastRequest();
  }
}

// ------------------------------------------------------------------
// 实名认证

function notice(text, kind) {
  var box = $('ra-notice');
  box.className = 'notice' + (kind ? ' ' + kind : '');
  show(box, text);
}

function failedText(reason) {
  return '实名认证未通过' + (reason ? '：' + clause(reason) : '')
    + '。请核对姓名和身份证号码后重新提交。';
}

function expiredAt(iso) {
  var t = Date.parse(iso);
  return isNaN(t) ? null : t;
}

// a request made earlier (another visit, another tab): say how it ended,
// or wait for it while it may still be scanned
function lookAtLastRequest() {
  api.get('/api/me/realname').then(function (r) {
    if (!r) {
      return;
    }
    if (r.status === 'verified') {
      load();
      return;
    }
    badgeOf(r);
    if (r.name && form.elements.name.value === '') {
      form.elements.name.value = r.name;
    }
    var req = r.request;
    if (!req || poll) {
      return;
    }
    var until = expiredAt(req.expires_at);
    if (req.status === 'pending' && (until === null || until > Date.now())) {
      notice('您已提交过实名认证' + (until ? '（二维码有效期至 '
             + dates.time(req.expires_at) + '）' : '')
             + '。如已在微信中完成认证，请稍候，本页会自动更新；'
             + '如需重新扫码，请重新提交下方信息。');
      showRequestId(req.id);
      startPolling(req.id, req.expires_at);
    } else if (req.status === 'failed') {
      notice(failedText(req.reason), 'down');
    } else if (req.status === 'expired' || req.status === 'pending') {
      notice('上次的认证二维码已过期，请重新提交。');
    }
  }, function (err) {
    if (err.status === 401) {
      toLogin();
    }
  });
}

function showForm() {
  showRequestId(null);
  $('ra-qr').hidden = true;
  $('ra-qr-code').textContent = '';
  form.hidden = false;
}

function showQr(r) {
  var link = $('ra-qr-link');
  var payload = String(r.qr_payload || '');

  $('ra-notice').hidden = true;
  try {
    qr.render($('ra-qr-code'), payload, '实名认证二维码，请用手机微信扫描');
  } catch (e) {
    $('ra-qr-code').textContent = '二维码生成失败，请刷新页面后重试。';
  }
  $('ra-qr-expiry').textContent = r.expires_at
    ? '二维码有效期至 ' + dates.time(r.expires_at) + '，过期后请重新提交。' : '';
  $('ra-qr-status').textContent = '等待扫码认证…';
  // on the phone itself there is nothing to scan with: offer the link
  if (/^https?:\/\//i.test(payload)) {
    link.href = payload;
    $('ra-qr-link-wrap').hidden = false;
  } else {
    link.href = '/';
    $('ra-qr-link-wrap').hidden = true;
  }
  showRequestId(r.request_id);
  form.hidden = true;
  $('ra-qr').hidden = false;
  badge('pending');
  $('ra-qr-title').focus();
  startPolling(r.request_id, r.expires_at);
}

// 认证请求编号 RN… with 复制 (the text stays selectable where the
// clipboard is refused)
function showRequestId(id) {
  $('ra-request-id').textContent = id || '';
  $('ra-request-copied').textContent = '';
  $('ra-request').hidden = !id;
}

$('ra-request-copy').addEventListener('click', function () {
  copy($('ra-request-id'), $('ra-request-copied'));
});

function startPolling(id, expiresAt) {
  stopPolling();
  var until = expiredAt(expiresAt);
  poll = {
    id: id || null,
    // a little past the expiry, for the server to say "expired" itself
    until: (until === null ? Date.now() + 10 * 60 * 1000 : until) + 5000,
    timer: null
  };
  schedule(poll);
}

function stopPolling() {
  if (poll) {
    window.clearTimeout(poll.timer);
    poll = null;
  }
}

function schedule(p) {
  p.timer = window.setTimeout(function () { check(p); }, POLL_MS);
}

function ended(text, kind) {
  stopPolling();
  showForm();
  notice(text, kind);
}

function check(p) {
  api.get('/api/me/realname').then(function (r) {
    if (poll !== p) {
      return;         // stopped, or a new request, in the meantime
    }
    var req = (r && r.request) || {};
    if (!(r && r.status === 'verified' || req.status === 'verified')) {
      badgeOf(r);
    }
    if (r && r.status === 'verified' || req.status === 'verified') {
      stopPolling();
      show($('flash'), '实名认证成功，现在可以在线办理数字证书了。');
      load().then(function () {
        $('rv-title').setAttribute('tabindex', '-1');
        $('rv-title').focus();
      });
      return;
    }
    if (p.id && req.id && req.id !== p.id) {
      ended('已在其他页面重新发起了实名认证，请在该页面扫码，或在此重新提交。');
      return;
    }
    if (req.status === 'failed') {
      ended(failedText(req.reason), 'down');
      return;
    }
    if (req.status === 'expired' || Date.now() > p.until) {
      ended('二维码已过期，请重新提交。');
      return;
    }
    $('ra-qr-status').textContent = '等待扫码认证…';
    schedule(p);
  }, function (err) {
    if (poll !== p) {
      return;
    }
    if (err.status === 401) {
      stopPolling();
      toLogin();
      return;
    }
    if (Date.now() > p.until) {
      ended('二维码已过期，请重新提交。');
      return;
    }
    // a passing failure: keep asking
    $('ra-qr-status').textContent = '网络异常，正在重试…';
    schedule(p);
  });
}

form.addEventListener('submit', function (ev) {
  ev.preventDefault();
  if (isBusy(form)) {
    return;
  }
  hide(form.querySelector('.form-error'));
  if (!validate(form, {
    name: rules.realName,
    id_number: rules.idNumber
  })) {
    return;
  }

  stopPolling();
  setBusy(form, true);
  api.post('/api/me/realname', {
    name: form.elements.name.value.trim(),
    id_number: form.elements.id_number.value.trim().toUpperCase()
  }).then(function (r) {
    setBusy(form, false);
    showQr(r);
  }, function (err) {
    setBusy(form, false);
    if (err.status === 401) {
      toLogin();
    } else if (err.code === 'already_verified') {
      load();
    } else {
      showApiError(form, err);
    }
  });
});

$('ra-restart').addEventListener('click', function () {
  stopPolling();
  $('ra-notice').hidden = true;
  showForm();
  form.elements.name.focus();
});

// 退出登录: as the header's 退出 (nav.logout), errors shown here
$('logout').addEventListener('click', function () {
  var btn = this;
  if (btn.disabled) {
    return;
  }
  btn.disabled = true;
  stopPolling();
  hide($('logout-error'));
  nav.logout().then(null, function (err) {
    btn.disabled = false;
    show($('logout-error'), err.message);
  });
});

var flash = takeFlash();
if (flash) {
  show($('flash'), flash);
}
load();
