// CertHall.ui: what the account pages share -- field rules (the server's,
// from /js/fields.js: the server stays the judge), error display next to a
// field or at the top of a form, busy buttons, the 获取验证码 button with
// its countdown, tabs, the ?next= parameter, money as yuan,
// building the page from data as text, pagination, and what a page does
// when its data cannot be loaded (401: to the login page). Needs
// /js/field-rules.js, /js/fields.js, /js/dates.js (dates: CertHall.dates)
// and /js/api.js first.
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

  // the field rules are the server's (CertHall.fields, /js/fields.js, with
  // the rules make prints from lib/ into /js/field-rules.js): a form's
  // field is checked as the server will check it, with its message
  var fields = CertHall.fields;
  var normalizePhone = fields.normalizePhone;

  // a rule for ui.validate from a spec: the message, or null
  function specRule(spec) {
    return function (v) {
      return fields.check(spec, v).message;
    };
  }

  // an account form's field (lib/ch_field_specs.c) checked as the server
  // will take what the page sends: the account pages send the phone
  // normalised and the code trimmed (send), a password as typed
  function accountRule(form, name, send) {
    var spec = fields.spec(form, name);
    return function (v) {
      return fields.check(spec, send ? send(v) : v).message;
    };
  }

  function trimmedCode(v) {
    return String(v).trim();
  }

  // each rule: the message for what is wrong with the value, or null
  var rules = {
    // rules.field('org_info', 'email'): the field of one of the server's
    // forms (lib/ch_field_specs.c)
    field: function (form, name) {
      return specRule(fields.spec(form, name));
    },
    phone: accountRule('login_code', 'phone', fields.trim),
    // a new password: the policy (ch_password_check)
    password: accountRule('register', 'password'),
    newPassword: accountRule('password_reset', 'new_password'),
    // logging in: only "is there one"; the policy may have changed since
    currentPassword: accountRule('login_password', 'password'),
    smsCode: accountRule('login_code', 'sms_code', trimmedCode),
    // 实名认证: the name and number the real-name provider checks
    realName: specRule(fields.spec('realname', 'name')),
    idNumber: specRule(fields.spec('realname', 'id_number')),
    // 纳税人识别号 of an invoice title: an organisation's is required, a
    // person's may be empty or be the ID number (title_type says which)
    taxpayerId: function (v, form) {
      var personal = checked(form, 'title_type') === 'personal';
      return fields.check(fields.spec(personal ? 'personal_title' : 'org_title',
                                      'taxpayer_id'), v).message;
    },
    // rules.chosen('delivery', '请选择领取方式。'): one of a group is chosen
    chosen: function (name, message) {
      return function (v, form) {
        return checked(form, name) ? null : message;
      };
    }
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

  function two(n) {
    return (n < 10 ? '0' : '') + n;
  }

  // money is integer fen in JSON: 30000 -> "¥300.00"; "—" when there is none
  function yuan(fen) {
    if (typeof fen !== 'number' || !isFinite(fen)) {
      return '—';
    }
    var abs = Math.abs(Math.round(fen));
    return (fen < 0 ? '-' : '') + '¥' + Math.floor(abs / 100) + '.' + two(abs % 100);
  }

  // 证书剩余天数: "730天", or "已过期 5 天" (negative once expired)
  function remainingDays(days) {
    if (typeof days !== 'number') {
      return '—';
    }
    return days >= 0 ? days + '天' : '已过期 ' + (-days) + ' 天';
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
    api.mine('/api/me').then(function () {
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

  // a field's error is shown beside it (its aria-describedby), and said:
  // the errors shown at one time go together, "手机号：请输入手机号码；…",
  // into one live region of the page's (a .field-error appears from
  // display:none, which screen readers do not reliably announce)
  var announcer = null, said = [];

  function labelOf(input) {
    var label = input.labels && input.labels[0];
    var legend = !label && input.closest && input.closest('fieldset');
    legend = legend && legend.querySelector('legend');
    return ((label || legend || {}).textContent || '').replace(/\s+/g, ' ').trim();
  }

  // in the page from the start: a live region made at the moment it
  // speaks is often not heard
  function makeAnnouncer() {
    if (!announcer && doc.body) {
      announcer = doc.createElement('p');
      announcer.className = 'visually-hidden';
      announcer.id = 'ui-announcer';
      announcer.setAttribute('aria-live', 'assertive');
      announcer.setAttribute('aria-atomic', 'true');
      doc.body.appendChild(announcer);
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
      global.setTimeout(function () {
        announcer.textContent = said.join('；');
        said = [];
      }, 50);
    }
    said.push(text);
  }

  function fieldError(input, message) {
    var el = describedBy(input, 'field-error');
    if (!el) {
      formError(input.form, message);
      return;
    }
    input.setAttribute('aria-invalid', 'true');
    show(el, message);
    var label = labelOf(input);
    announce(label ? label + '：' + message : message);
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

  function enabled(input) {
    return !input.matches(':disabled');
  }

  // the form's field of that name (of a group of radio buttons, the first
  // that can be chosen: each names the group's error in aria-describedby);
  // none when it is hidden or disabled
  function field(form, name) {
    var el = form.elements.namedItem(name);
    if (el && el.nodeType !== 1 && el.length && el[0].type === 'radio') {
      el = Array.prototype.filter.call(el, enabled)[0];
    }
    return el && el.nodeType === 1 && el.type !== 'hidden' && enabled(el) ? el : null;
  }

  // the value of the chosen radio button of a group (or of a checked box),
  // '' when none is
  function checked(form, name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input && enabled(input) ? input.value : '';
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
      var t = ev.target;
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
  function onSubmit(form, checks, then) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (isBusy(form)) {
        return;
      }
      var top = form.querySelector('.form-error');
      if (top) {
        hide(top);
      }
      if (validate(form, checks)) {
        then();
      }
    });
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

  // ------------------------------------------------------------------
  // building the page from data (never innerHTML: text goes in as text)

  // el('a', { href: '/x', className: 'btn', 'aria-label': '…' }, 'text', node)
  // -- names with a hyphen are attributes, others properties; children are
  // nodes or text (null, undefined and false left out; arrays flattened)
  function el(tag, props) {
    var node = doc.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      if (k.indexOf('-') > 0) {
        node.setAttribute(k, props[k]);
      } else {
        node[k] = props[k];
      }
    });
    return append(node, Array.prototype.slice.call(arguments, 2));
  }

  function append(node, kids) {
    kids.forEach(function (k) {
      if (Array.isArray(k)) {
        append(node, k);
      } else if (k !== null && k !== undefined && k !== false) {
        node.appendChild(typeof k === 'object' ? k : doc.createTextNode(String(k)));
      }
    });
    return node;
  }

  function empty(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
    return node;
  }

  // a <dl class="facts">'s rows: [[label, text or node], ...]; a row that
  // is null, or whose value is null, undefined or '', is left out
  function facts(dl, rows) {
    empty(dl);
    rows.forEach(function (row) {
      if (row && row[1] !== null && row[1] !== undefined && row[1] !== '') {
        append(dl, [el('dt', null, row[0]), el('dd', null, row[1])]);
      }
    });
    return dl;
  }

  // one radio button of a group and its label, as a box:
  //   choice({ name, id, value, checked, disabled, describedBy }, kids...)
  function choice(o) {
    return el('div', { className: 'choice' },
      el('input', { type: 'radio', name: o.name, id: o.id, value: String(o.value),
                    checked: !!o.checked, disabled: !!o.disabled,
                    'aria-describedby': o.describedBy }),
      el('label', { htmlFor: o.id }, Array.prototype.slice.call(arguments, 1)));
  }

  // an order's state as a badge: 待支付
  function stateBadge(state, name) {
    return el('span', { className: 'badge badge-state badge-' + String(state || 'none') },
              name || state || '');
  }

  // a state as the applicant's pages say it (the back office keeps the
  // staff's names): seed 000's 资料待审核 for pending_review, 待自取 for a
  // pickup awaiting it, else the name the server gave
  var APPLICANT_STATE_NAMES = { pending_review: '资料待审核' };

  function stateName(state, name, deliveryMethod) {
    if (state === 'pending_shipment' && deliveryMethod === 'pickup') {
      return '待自取';
    }
    return APPLICANT_STATE_NAMES[state] || name || state || '';
  }

  // what an event's note is, by its transition: the courier and tracking
  // number of a shipment, who fetched a pickup, else the reason given
  var NOTE_LABELS = { ship: '快递', pick_up: '自取' };

  function eventNote(e) {
    return e && e.reason ? (NOTE_LABELS[e.action] || '原因') + '：' + e.reason : '';
  }

  // a rejected order's notice: the reason of its last rejection (timeline)
  function rejectedText(order) {
    var events = (order.timeline || []).filter(function (e) { return e.to === 'rejected'; });
    var reason = events.length ? events[events.length - 1].reason : null;
    return '审核未通过' + (reason ? '：' + reason : '') + '。请按要求修改订单后重新提交。';
  }

  // the step of order-edit.html where each item an order may lack (its
  // `missing`, a 422 `incomplete`, its `resubmission.missing`) is done
  var STEP_OF = { info: 1, material: 2, materials: 2, invoice: 3, agreement: 4, delivery: 4 };

  // what an order still lacks, each with a link to the step that does it
  // (href(step) makes the address; none to the step `here`):
  // <ul class="missing"><li>请重新上传营业执照（去上传）</li>…</ul>
  function missingList(items, href, here) {
    return el('ul', { className: 'missing' }, items.map(function (m) {
      var step = STEP_OF[m.item];
      var go = step === 2 ? '去上传' : '去填写';
      // each link says what it is for, not only 去上传 six times over
      return el('li', null, m.message || m.item,
        step && step !== here
          ? ['（', el('a', { href: href(step), 'data-step': String(step),
                            'aria-label': go + '：' + (m.message || m.item) }, go), '）']
          : null);
    }));
  }

  // 我的地址: "湖南省长沙市岳麓区 麓山南路 1 号，张三 收，138****0001"
  function addressText(a) {
    if (!a) {
      return '';
    }
    return [a.region, a.detail].filter(Boolean).join(' ')
      + '，' + (a.recipient || '') + ' 收，' + (a.mobile || '')
      + (a.postal_code ? '，邮编 ' + a.postal_code : '');
  }

  // a pickup point (GET /api/pickup-points): name, address, phone, hours
  function pickupText(p) {
    if (!p) {
      return '';
    }
    return [p.name, p.address, p.phone && '电话 ' + p.phone, p.hours]
      .filter(Boolean).join('，');
  }

  // an order's delivery, read the same way wherever it is shown:
  // { method: 'express' | 'pickup' | null, address, pickupCode, pickup }.
  // The order carries the address copied at submission (recipient, mobile,
  // region, detail, postal_code beside method), or the pickup point's code
  // in pickup_point with its name, address, phone and hours beside it.
  function delivery(d) {
    d = d || {};
    var p = d.pickup_point;
    var point = p && typeof p === 'object' ? p : null;
    return {
      method: d.method || null,
      address: d.address || (d.recipient ? d : null),
      pickupCode: point ? point.code : (p || null),
      pickup: point || (d.method === 'pickup' && d.name ? d : null)
    };
  }

  // ------------------------------------------------------------------
  // pages that need a session, and their loading

  function param(name) {
    return new URLSearchParams(global.location.search).get(name);
  }

  // to the login page, back here afterwards
  function toLogin() {
    global.location.replace('/login.html?next='
      + encodeURIComponent(global.location.pathname + global.location.search));
  }

  // what a page does when its data could not be loaded: 401 to the login
  // page, else the message and 重新加载 in `where` (its loading line)
  function loadFailed(where) {
    return function (err) {
      if (err.status === 401) {
        toLogin();
        return;
      }
      where.hidden = false;
      where.className = 'status down';
      where.textContent = err.message + ' ';
      where.appendChild(el('a', { href: global.location.pathname + global.location.search },
                           '重新加载'));
    };
  }

  // what a form would send (fields that are disabled, and boxes that are
  // not checked, left out), each value trimmed
  function values(form) {
    var out = {};
    new FormData(form).forEach(function (v, k) {
      out[k] = typeof v === 'string' ? v.trim() : v;
    });
    return out;
  }

  // a form's fields from an object: checkboxes checked when the value is
  // true, radio groups and the rest by value
  function fillForm(form, data, names) {
    names.forEach(function (name) {
      var input = form.elements.namedItem(name);
      var v = data ? data[name] : null;
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

  // 上一页 第 2 / 5 页，共 93 条 下一页: links made by href(page)
  function pager(nav, r, href) {
    var per = r.per_page > 0 ? r.per_page : 20;
    var pages = Math.max(1, Math.ceil((r.total || 0) / per));
    var page = Math.min(Math.max(1, r.page || 1), pages);
    empty(nav);
    nav.hidden = !r.total;
    append(nav, [
      page > 1 ? el('a', { href: href(page - 1), rel: 'prev' }, '上一页') : null,
      el('span', null, '第 ' + page + ' / ' + pages + ' 页，共 ' + (r.total || 0) + ' 条'),
      page < pages ? el('a', { href: href(page + 1), rel: 'next' }, '下一页') : null
    ]);
  }

  makeAnnouncer();

  CertHall.ui = {
    normalizePhone: normalizePhone,
    rules: rules,
    formatDuration: formatDuration,
    yuan: yuan,
    remainingDays: remainingDays,
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
    checked: checked,
    showApiError: showApiError,
    validate: validate,
    initForm: initForm,
    onSubmit: onSubmit,
    setBusy: setBusy,
    isBusy: isBusy,
    smsButton: smsButton,
    tabs: tabs,
    el: el,
    append: append,
    empty: empty,
    facts: facts,
    choice: choice,
    stateBadge: stateBadge,
    stateName: stateName,
    eventNote: eventNote,
    rejectedText: rejectedText,
    STEP_OF: STEP_OF,
    missingList: missingList,
    addressText: addressText,
    pickupText: pickupText,
    delivery: delivery,
    param: param,
    toLogin: toLogin,
    loadFailed: loadFailed,
    fillForm: fillForm,
    values: values,
    pager: pager
  };
})(window);
