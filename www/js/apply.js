// apply.html, 在线办理: the service (新办/延期/解锁/补办); for 新办 the
// project and certificate type from GET /api/projects, for the others one of
// the account's certificates (GET /api/certificates), which fixes project
// and certificate type -- only those the service is allowed for can be
// chosen. The 用户申请条款 (GET /api/agreements/user_terms) are read and
// agreed to before the certificate type (单位/个人) is chosen, and the
// version shown goes with POST /api/orders. A certificate with an open
// order names it (a link to the order) and, while the applicant may still
// cancel it, offers 取消该订单; once cancelled the certificate's services
// are there at once. Then on to the new draft's steps (a 409 order_exists
// shows the certificate's order the same way). Without a session, or
// before real-name verification, it says what to do first.
import * as api from './api.js';
import { checked } from './ui/forms.js';
import { clearErrors, fieldError, formError, hide, initForm, onSubmit, show, showApiError } from './ui/errors.js';
import { setBusy } from './ui/busy.js';
import { rules } from './ui/rules.js';
import { append, choice, el, empty, stateBadge } from './ui/dom.js';
import { remainingDays, yuan } from './ui/format.js';
import { loadFailed, param, toLogin } from './ui/page.js';
import * as dates from './dates.js';
import * as agreements from './agreements.js';
import './nav.js';

function $(id) {
  return document.getElementById(id);
}

var form = initForm($('apply-form'));
var catalog = { projects: [] };   // GET /api/projects
var certs = null;                 // GET /api/certificates, once known
var terms = null;                 // the user terms shown, once loaded

var SERVICES = { renew: '延期', unlock: '解锁', replace: '补办' };
// the hint over the certificates: the service's rule, then 请选择… when
// there is a certificate to choose
var CERT_HINTS = {
  renew: ['证书即将过期或已过期3个月内可申请延期。', '请选择要延期的证书：'],
  unlock: ['证书密码遗忘或多次尝试密码导致被锁，可申请解锁。', '请选择要解锁的证书：'],
  replace: ['注意：只有在本系统办理过的证书可以补办，且须在有效期内。', '请选择要补办的证书：']
};
// the seeds' rule of each service, said when no certificate meets it
var NONE_WHY = {
  renew: '延期只适用于即将过期或已过期3个月内的证书。',
  unlock: '解锁只适用于密码遗忘或多次尝试密码导致被锁的证书。',
  replace: '补办只适用于在本系统办理过、且仍在有效期内的证书。'
};

function project(code) {
  return catalog.projects.filter(function (p) { return p.code === code; })[0] || null;
}

function offer(projectCode, service, certType) {
  var p = project(projectCode);
  return (p && p.services || []).filter(function (o) {
    return o.service === service && o.cert_type === certType;
  })[0] || null;
}

// what is chosen: { service, project, cert_type, certificate }
function pick() {
  var service = checked(form, 'service');
  if (service === 'new') {
    return { service: service, project: form.elements.project.value,
             cert_type: checked(form, 'cert_type') };
  }
  var id = checked(form, 'certificate');
  var c = (certs || []).filter(function (x) { return String(x.id) === id; })[0];
  return c ? { service: service, project: c.project, cert_type: c.cert_type,
               certificate: c.id }
           : { service: service };
}

function showPrice() {
  var p = pick();
  var o = offer(p.project, p.service, p.cert_type);
  var line = $('apply-price');
  empty(line);
  line.hidden = !p.project || !p.cert_type;
  if (o) {
    append(line, ['费用：', el('strong', null, yuan(o.price_fen)),
                  '（' + project(p.project).name + ' ' + o.cert_type_name + '-'
                  + o.service_name.replace(/^证书/, '')
                  + (o.validity_months ? '，有效期 ' + o.validity_months + ' 个月' : '')
                  + '）']);
  } else {
    line.textContent = '该项目暂不提供此项业务，请选择其他项目或证书类型。';
  }
}

function agreed() {
  return !!terms && $('apply-agree-terms').checked;
}

// 新办: the project's description, and only the certificate types it
// offers, once the user terms are agreed to
function fitProject() {
  var p = project(form.elements.project.value);
  $('apply-project-hint').textContent = p ? p.description || '' : '';
  $('ct-terms-hint').hidden = agreed();
  form.querySelectorAll('input[name="cert_type"]').forEach(function (r) {
    r.disabled = !agreed() || (!!p && !offer(p.code, 'new', r.value));
    if (r.disabled) {
      r.checked = false;
    }
  });
}

function serviceLine(c, service) {
  var s = (c.services || {})[service] || {};
  // the open order is named once, below the certificate
  var why = s.code === 'order_exists' && c.open_order ? '有办理中的订单' : s.message;
  return el('span', { className: s.allowed ? 'allowed' : 'refused' },
            SERVICES[service] + '：' + (s.allowed ? '可办理'
              : '不可办理' + (why ? '（' + why + '）' : '')));
}

// the order that blocks new orders for the certificate: named, linked,
// and 取消该订单 while the applicant may cancel it
function openOrder(c) {
  var o = c.open_order;
  if (!o) {
    return null;
  }
  var box = el('div', { className: 'open-order notice', id: 'open-order-' + c.id },
    el('p', null, '该证书已有办理中的订单 ',
       el('a', { href: '/order.html?id=' + encodeURIComponent(o.id) }, o.id),
       '（' + (o.service_name || '') + ' · ', stateBadge(o.state, o.state_name), '），',
       o.cancellable ? '继续办理请打开该订单；不再需要可取消后重新选择业务。'
         : o.state === 'rejected' ? '该订单审核未通过，请打开该订单按要求修改后重新提交。'
         : '该订单正在办理中，须等其办理完成后才能为该证书办理新的业务。'));
  if (o.cancellable) {
    box.appendChild(el('p', { className: 'actions' },
      el('a', { className: 'btn btn-secondary btn-small',
                href: (o.state === 'draft' ? '/order-edit.html?id=' : '/order.html?id=')
                      + encodeURIComponent(o.id) }, '继续办理该订单'),
      ' ',
      el('button', { type: 'button', className: 'btn btn-secondary btn-small open-order-cancel',
                     'data-order': o.id, 'data-certificate': String(c.id) },
         '取消该订单')));
  }
  return box;
}

// 取消该订单: after a confirm(), POST …/cancel, then the certificates
// again, so that its services can be chosen at once
function cancelOpenOrder(btn) {
  var id = btn.getAttribute('data-order');
  if (btn.disabled || !window.confirm('确定取消订单 ' + id + ' 吗？取消后不能恢复。')) {
    return;
  }
  btn.disabled = true;
  hide($('cert-flash'));
  api.post('/api/orders/' + encodeURIComponent(id) + '/cancel').then(function () {
    return loadCerts().then(function () {
      clearErrors(form);
      show($('cert-flash'), '订单 ' + id + ' 已取消，现在可以为该证书办理业务。');
      var radio = $('cert-' + btn.getAttribute('data-certificate'));
      if (radio && !radio.disabled) {
        radio.focus();
      }
    });
  }, function (err) {
    btn.disabled = false;
    if (err.status === 401) {
      toLogin();
      return;
    }
    window.alert(err.message);
    loadCerts();
  });
}

// one of the account's certificates may be chosen for the service
function anyAllowed(service) {
  return (certs || []).some(function (c) {
    return !!((c.services || {})[service] || {}).allowed;
  });
}

// the account's certificates; those the service is not allowed for
// cannot be chosen
function renderCerts() {
  var was = checked(form, 'certificate');
  var list = empty($('cert-list'));
  var service = checked(form, 'service');
  if (certs === null) {
    return;
  }
  var none = !anyAllowed(service);
  var status = empty($('cert-status'));
  status.hidden = !none;
  if (none) {
    // why nothing can be chosen for this service, and what to do instead
    append(status, [
      (certs.length ? '您名下的证书目前都不能办理' : '您名下暂无可办理') + SERVICES[service]
        + (certs.length ? '（原因见各证书下方）。' : '的证书。') + NONE_WHY[service],
      '如需办理数字证书，请选择',
      el('a', { href: '/apply.html?service=new', id: 'cert-status-new' }, '证书新办'), '。']);
  }
  certs.forEach(function (c) {
    var allowed = !!((c.services || {})[service] || {}).allowed;
    list.appendChild(el('div', { className: 'cert-item' }, choice({
      name: 'certificate', id: 'cert-' + c.id, value: c.id,
      disabled: !allowed, checked: allowed && String(c.id) === was,
      describedBy: 'apply-certificate-error'
    },
      el('strong', null, c.name),
      el('span', null, c.project_name + ' · ' + c.cert_type_name
                       + (c.serial ? ' · 序列号 ' + c.serial : '')),
      el('span', null, '有效期至 ' + dates.day(c.valid_to)
                       + '，证书剩余天数：' + remainingDays(c.remaining_days)),
      el('span', { className: 'services-line' }, Object.keys(SERVICES).map(function (s) {
        return serviceLine(c, s);
      }))), openOrder(c)));
  });
}

function toggle(fieldset, on) {
  fieldset.hidden = !on;
  fieldset.disabled = !on;
}

function update() {
  var service = checked(form, 'service');
  toggle($('new-fields'), service === 'new');
  toggle($('cert-fields'), !!service && service !== 'new');
  // no certificate this service can be applied for: the hint asks to
  // choose none; neither the terms nor 下一步 (the status line says why
  // and offers 新办)
  var nothing = !!CERT_HINTS[service] && certs !== null && !anyAllowed(service);
  if (CERT_HINTS[service]) {
    $('cert-hint').textContent = CERT_HINTS[service][0] + (nothing ? '' : CERT_HINTS[service][1]);
    renderCerts();
  }
  toggle($('terms-fields'), !nothing);
  $('apply-submit').hidden = nothing;
  showPrice();
}

function fillCatalog(r) {
  catalog = r && Array.isArray(r.projects) ? r : { projects: [] };
  var select = form.elements.project;
  catalog.projects.forEach(function (p) {
    select.appendChild(el('option', { value: p.code }, p.name));
  });
  // ?service=renew, ?project=xiangtan_ggzy (links from other pages)
  if (/^(new|renew|unlock|replace)$/.test(param('service') || '')) {
    $('svc-' + param('service')).checked = true;
  }
  if (project(param('project'))) {
    select.value = param('project');
  }
  $('apply-loading').hidden = true;
  form.hidden = false;
  fitProject();
  update();
}

// who may apply: logged in, and real-name verified
function notice(text, href, linkText) {
  var n = $('apply-notice');
  empty(n);
  append(n, [text, el('a', { href: href }, linkText), '。']);
  n.hidden = false;
  $('apply-submit').disabled = true;
}

function checkAccount() {
  api.mine('/api/me').then(function (me) {
    if (!me.realname || me.realname.status !== 'verified') {
      notice('办理数字证书须先完成实名认证，请先', '/account.html',
             '前往个人中心完成实名认证');
    }
  }, function (err) {
    if (err.status === 401) {
      notice('在线办理须先登录，请先', '/login.html?next='
             + encodeURIComponent('/apply.html' + window.location.search), '登录');
    }
  });
  loadCerts();
}

function loadCerts() {
  return api.mine('/api/certificates').then(function (r) {
    certs = r && Array.isArray(r.certificates) ? r.certificates : [];
    update();
  }, function (err) {
    $('cert-status').textContent = err.status === 401
      ? '登录后可查看您名下的证书。' : err.message;
  });
}

$('cert-list').addEventListener('click', function (ev) {
  var btn = ev.target.closest('.open-order-cancel');
  if (btn) {
    cancelOpenOrder(btn);
  }
});

// the user terms: read here (or on their own page), agreed with the box
function showTerms(t) {
  terms = t;
  agreements.render($('terms-text'), t);
  $('terms-version').textContent = agreements.versionLine(t) + '　';
  $('terms-link').href = agreements.href(t.code, t.version);
  fitProject();
}

function loadTerms() {
  return agreements.load('user_terms').then(showTerms, function (err) {
    terms = null;
    empty($('terms-text')).appendChild(el('p', { className: 'status down' },
      '用户申请条款暂时无法加载：' + err.message + ' 请刷新页面重试。'));
    fitProject();
  });
}

form.addEventListener('change', function (ev) {
  if (ev.target.name === 'project' || ev.target.name === 'agree_terms') {
    fitProject();
  }
  if (ev.target.name === 'service') {
    clearErrors(form);
  }
  update();
});

onSubmit(form, {
  service: rules.chosen('service', '请选择业务类型。'),
  agree_terms: function () {
    return agreed() ? null : terms ? '请阅读并同意《用户申请条款》。'
                                   : '用户申请条款尚未加载，请刷新页面后重试。';
  },
  project: function (v) { return v ? null : '请选择申请项目。'; },
  cert_type: rules.chosen('cert_type', '请选择证书类型。'),
  certificate: rules.chosen('certificate', '请选择要办理的证书。')
}, function () {
  var body = pick();
  if (!body.project || !body.cert_type) {
    formError(form, '您没有可以办理此项业务的证书。');
    return;
  }
  body.agree_terms = 1;
  body.terms_version = terms.version;
  setBusy(form, true);
  api.post('/api/orders', body).then(function (order) {
    window.location.assign('/order-edit.html?id=' + encodeURIComponent(order.id));
  }, function (err) {
    setBusy(form, false);
    if (err.status === 401) {
      toLogin();
      return;
    }
    if (err.code === 'agreement_changed') {
      // the terms changed while they were read: the new text, agreed again
      $('apply-agree-terms').checked = false;
      $('terms-box').open = true;
      loadTerms().then(function () {
        fieldError($('apply-agree-terms'), err.message);
        $('apply-agree-terms').focus();
      });
      return;
    }
    if (err.field === 'agree_terms' || err.field === 'terms_version') {
      fieldError($('apply-agree-terms'), err.message);
      return;
    }
    showApiError(form, err);
    if (err.code === 'order_exists') {
      // the certificate's order, named and linked below it
      hide($('cert-flash'));
      loadCerts().then(function () {
        var box = $('open-order-' + body.certificate);
        if (box) {
          box.scrollIntoView({ block: 'nearest' });
        }
      });
    }
  });
});

api.get('/api/projects').then(fillCatalog, loadFailed($('apply-loading')));
loadTerms();
checkAccount();
