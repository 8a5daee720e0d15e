// CertHall.ui: what the account pages share -- field rules (the same as the
// server's, which stays the judge), error display next to a field or at the
// top of a form, busy buttons, the 获取验证码 button with its countdown,
// tabs, and the ?next= parameter. Needs /js/api.js first.
//
// Markup it expects: a <form> with a `.form-error` element (role="alert");
// each input's aria-describedby names its `.field-error` element (and any
// hints); submit buttons are <button type="submit">.
(function (global) {
  'use strict';

  var CertHall = global.CertHall = global.CertHall || {};
  var api = CertHall.api;
  var doc = global.document;

  // ------------------------------------------------------------------
  // values

  // a mainland mobile number as the server takes it (11 digits, 1[3-9],
  // after an optional +86 / 86; blanks and hyphens between groups), or null
  function normalizePhone(raw) {
    var s = String(raw || '').trim();
    var plus = s.charAt(0) === '+';
    var digits = (plus ? s.slice(1) : s).replace(/[\s-]/g, '');
    if (!/^\d+$/.test(digits)) {
      return null;
    }
    if (digits.length === 13 && digits.slice(0, 2) === '86') {
      digits = digits.slice(2);
    } else if (plus || digits.length !== 11) {
      return null;
    }
    return /^1[3-9]\d{9}$/.test(digits) ? digits : null;
  }

  var ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var ID_CHECK = '10X98765432';

  // GB 11643-1999: the message for what is wrong, or null
  function idNumberProblem(raw) {
    var s = String(raw || '').trim().toUpperCase();
    if (s === '') {
      return '请输入身份证号码。';
    }
    if (s.length !== 18) {
      return '身份证号码应为 18 位。';
    }
    if (!/^[1-9]\d{16}[\dX]$/.test(s)) {
      return '身份证号码格式不正确。';
    }
    var y = +s.slice(6, 10), m = +s.slice(10, 12), d = +s.slice(12, 14);
    var birth = new Date(y, m - 1, d);
    if (birth.getFullYear() !== y || birth.getMonth() !== m - 1
        || birth.getDate() !== d || birth > new Date() || y < 1800)
    {
      return '身份证号码中的出生日期不正确。';
    }
    var sum = 0;
    for (var i = 0; i < 17; i++) {
      sum += (+s.charAt(i)) * ID_WEIGHTS[i];
    }
    if (ID_CHECK.charAt(sum % 11) !== s.charAt(17)) {
      return '身份证号码校验位错误，请核对后重新输入。';
    }
    return null;
  }

  // each rule: the message for what is wrong with the value, or null
  var rules = {
    phone: function (v) {
      if (String(v).trim() === '') {
        return '请输入手机号码。';
      }
      return normalizePhone(v) ? null : '请输入正确的 11 位手机号码。';
    },
    password: function (v) {
      if (v === '') {
        return '请输入登录密码。';
      }
      var n = Array.from(v).length;
      if (n < 8 || n > 64) {
        return '密码长度应为 8–64 位。';
      }
      if (/[\u0000-\u001f\u007f-\u009f]/.test(v)) {
        return '密码不能包含控制字符。';
      }
      if (!/[A-Za-z]/.test(v) || !/[0-9]/.test(v)) {
        return '密码须同时包含字母和数字。';
      }
      return null;
    },
    // logging in: only "is there one"; the policy may have changed since
    currentPassword: function (v) {
      return v === '' ? '请输入登录密码。' : null;
    },
    smsCode: function (v) {
      v = String(v).trim();
      if (v === '') {
        return '请输入短信验证码。';
      }
      return /^\d{6}$/.test(v) ? null : '短信验证码为 6 位数字。';
    },
    realName: function (v) {
      v = String(v).trim();
      if (v === '') {
        return '请输入姓名。';
      }
      return Array.from(v).length > 50 ? '姓名过长。' : null;
    },
    idNumber: idNumberProblem
  };

  // "59 秒", "5 分钟", "1 小时 20 分钟" (rounded up: never promise too early)
  function formatDuration(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    if (seconds < 60) {
      return seconds + ' 秒';
    }
    var minutes = Math.ceil(seconds / 60);
    if (minutes < 60) {
      return minutes + ' 分钟';
    }
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return h + ' 小时' + (m ? ' ' + m + ' 分钟' : '');
  }

  // "2024-06-04 16:42" from an ISO time; the text itself when it is not one
  function formatTime(iso) {
    var t = new Date(iso);
    if (!iso || isNaN(t.getTime())) {
      return iso ? String(iso) : '';
    }
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return t.getFullYear() + '-' + two(t.getMonth() + 1) + '-' + two(t.getDate())
      + ' ' + two(t.getHours()) + ':' + two(t.getMinutes());
  }

  // ------------------------------------------------------------------
  // where to go afterwards: ?next= only when it is a path on this site

  function safeNext(raw, fallback) {
    if (fallback === undefined) {
      fallback = '/account.html';
    }
    if (typeof raw !== 'string' || raw.charAt(0) !== '/'
        || raw.charAt(1) === '/' || /[\u0000-\u0020\u007f\\]/.test(raw))
    {
      return fallback;
    }
    try {
      var u = new URL(raw, global.location.origin);
      if (u.origin !== global.location.origin) {
        return fallback;
      }
      return u.pathname + u.search + u.hash;
    } catch (e) {
      return fallback;
    }
  }

  function rawNext() {
    return new URLSearchParams(global.location.search).get('next');
  }

  function nextUrl(fallback) {
    return safeNext(rawNext(), fallback);
  }

  // links marked data-keep-next pass this page's (valid) ?next= on
  function keepNext(root) {
    var raw = rawNext();
    if (raw === null || safeNext(raw, null) === null) {
      return;
    }
    (root || doc).querySelectorAll('a[data-keep-next]').forEach(function (a) {
      var u = new URL(a.getAttribute('href'), global.location.href);
      u.searchParams.set('next', safeNext(raw));
      a.setAttribute('href', u.pathname + u.search + u.hash);
    });
  }

  // the login and registration pages are no use to who is logged in
  function leaveIfLoggedIn() {
    api.get('/api/me').then(function () {
      global.location.replace(nextUrl());
    }, function () { /* not logged in (or no answer): stay */ });
  }

  // ------------------------------------------------------------------
  // a message for the next page (sessionStorage; one page, once)

  var FLASH_KEY = 'certhall.flash';

  function setFlash(message) {
    try {
      global.sessionStorage.setItem(FLASH_KEY, message);
    } catch (e) { /* storage off: no message */ }
  }

  function takeFlash() {
    try {
      var m = global.sessionStorage.getItem(FLASH_KEY);
      global.sessionStorage.removeItem(FLASH_KEY);
      return m;
    } catch (e) {
      return null;
    }
  }

  // ------------------------------------------------------------------
  // errors

  function describedBy(input, cls) {
    var ids = (input.getAttribute('aria-describedby') || '').split(/\s+/);
    for (var i = 0; i < ids.length; i++) {
      var el = ids[i] && doc.getElementById(ids[i]);
      if (el && el.classList.contains(cls)) {
        return el;
      }
    }
    return null;
  }

  function show(el, text) {
    el.textContent = text;
    el.hidden = false;
  }

  function hide(el) {
    el.textContent = '';
    el.hidden = true;
  }

  function formError(form, message) {
    var el = form.querySelector('.form-error');
    if (el) {
      show(el, message);
    }
  }

  function fieldError(input, message) {
    var el = describedBy(input, 'field-error');
    if (!el) {
      formError(input.form, message);
      return;
    }
    input.setAttribute('aria-invalid', 'true');
    show(el, message);
  }

  function clearField(input) {
    var el = describedBy(input, 'field-error');
    input.removeAttribute('aria-invalid');
    if (el) {
      hide(el);
    }
  }

  function clearErrors(form) {
    form.querySelectorAll('.form-error, .field-error').forEach(hide);
    form.querySelectorAll('[aria-invalid]').forEach(function (el) {
      el.removeAttribute('aria-invalid');
    });
  }

  function field(form, name) {
    var el = form.elements.namedItem(name);
    return el && el.nodeType === 1 && el.type !== 'hidden' ? el : null;
  }

  // an error from CertHall.api: beside the field it names, else on top
  function showApiError(form, err) {
    var input = err.field ? field(form, err.field) : null;
    var message = err.message || '操作失败，请稍后再试。';
    if (input) {
      fieldError(input, message);
      input.focus();
    } else {
      formError(form, message);
    }
  }

  // checks: { name: rule(value, form) -> message or null }; marks every
  // failing field, focuses the first, and says whether all passed
  function validate(form, checks) {
    var first = null;
    Object.keys(checks).forEach(function (name) {
      var input = field(form, name);
      if (!input) {
        return;
      }
      var problem = checks[name](input.value, form);
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
  function initForm(form) {
    form.addEventListener('input', function (ev) {
      if (ev.target.getAttribute && ev.target.getAttribute('aria-invalid')) {
        clearField(ev.target);
      }
    });
    return form;
  }

  // submit buttons off (and saying so) while a request is in flight
  function setBusy(form, busy) {
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

  function isBusy(form) {
    return form.hasAttribute('data-busy');
  }

  // ------------------------------------------------------------------
  // 获取验证码: sends the code for the form's phone; counts down resend_in
  // (or Retry-After on 429) before it can be pressed again.
  //   o.form, o.button, o.purpose ('register' | 'login' | 'reset'),
  //   o.status: where "sent to 138****0001" goes (role="status")

  function smsButton(o) {
    var btn = o.button;
    var label = btn.textContent;
    var until = 0, timer = null, sending = false, sent = false;

    function tick() {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) {
        btn.disabled = true;
        btn.textContent = left + ' 秒后重新获取';
        // wake just after the shown number changes
        timer = global.setTimeout(tick, (until - Date.now()) % 1000 + 20);
      } else {
        timer = null;
        btn.disabled = false;
        btn.textContent = sent ? '重新获取' : label;
      }
    }

    function countdown(seconds) {
      global.clearTimeout(timer);
      until = Date.now() + seconds * 1000;
      tick();
    }

    btn.addEventListener('click', function () {
      if (sending || timer) {
        return;
      }
      var phone = field(o.form, 'phone');
      var code = field(o.form, 'sms_code');
      var formTop = o.form.querySelector('.form-error');
      if (formTop) {
        hide(formTop);
      }
      var problem = rules.phone(phone.value);
      if (problem) {
        fieldError(phone, problem);
        phone.focus();
        return;
      }
      clearField(phone);
      sending = true;
      btn.disabled = true;
      btn.textContent = '发送中…';
      api.post('/api/sms-codes', {
        phone: normalizePhone(phone.value),
        purpose: o.purpose
      }).then(function (r) {
        sending = false;
        sent = true;
        if (o.status) {
          var minutes = Math.round((r && r.expires_in || 300) / 60);
          show(o.status, '验证码已发送至 ' + (r && r.phone || '您的手机')
               + '，' + minutes + ' 分钟内有效。');
        }
        countdown(r && r.resend_in > 0 ? r.resend_in : 60);
        if (code) {
          code.focus();
        }
      }, function (err) {
        sending = false;
        if (o.status) {
          o.status.textContent = '';   // a live region: emptied, never hidden
        }
        if (err.status === 429) {
          countdown(err.retryAfter > 0 ? err.retryAfter : 60);
        } else {
          btn.disabled = false;
          btn.textContent = sent ? '重新获取' : label;
        }
        if (err.field === 'purpose') {
          err.field = null;
        }
        showApiError(o.form, err);
      });
    });
  }

  // ------------------------------------------------------------------
  // tabs: role="tablist" with role="tab" buttons, each aria-controls its
  // role="tabpanel"; arrows, Home and End move between them. A tab with
  // data-hash="sms" is chosen by #sms in the address.

  function tabs(list, onChange) {
    var all = Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));

    function select(tab, focus) {
      all.forEach(function (t) {
        var on = t === tab;
        t.setAttribute('aria-selected', on ? 'true' : 'false');
        t.tabIndex = on ? 0 : -1;
        doc.getElementById(t.getAttribute('aria-controls')).hidden = !on;
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
        var to = null;
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

    var hash = global.location.hash.slice(1);
    var start = all.filter(function (t) {
      return hash && t.getAttribute('data-hash') === hash;
    })[0] || all.filter(function (t) {
      return t.getAttribute('aria-selected') === 'true';
    })[0] || all[0];
    select(start, false);
  }

  CertHall.ui = {
    normalizePhone: normalizePhone,
    rules: rules,
    formatDuration: formatDuration,
    formatTime: formatTime,
    safeNext: safeNext,
    nextUrl: nextUrl,
    keepNext: keepNext,
    leaveIfLoggedIn: leaveIfLoggedIn,
    setFlash: setFlash,
    takeFlash: takeFlash,
    show: show,
    hide: hide,
    formError: formError,
    fieldError: fieldError,
    clearField: clearField,
    clearErrors: clearErrors,
    showApiError: showApiError,
    validate: validate,
    initForm: initForm,
    setBusy: setBusy,
    isBusy: isBusy,
    smsButton: smsButton,
    tabs: tabs
  };
})(window);
