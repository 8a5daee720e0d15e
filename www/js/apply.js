// apply.html, 在线办理: the service (新办/延期/解锁/补办); for 新办 the
// project and certificate type from GET /api/projects, for the others one of
// the account's certificates (GET /api/certificates), which fixes project
// and certificate type -- only those the service is allowed for can be
// chosen. The 用户申请条款 (GET /api/agreements/user_terms) are read and
// agreed to before the certificate type (单位/个人) is chosen, and the
// version shown goes with POST /api/orders; then on to the new draft's
// steps. Without a session, or before real-name verification, it says
// what to do first.
(function () {
  'use strict';

  var api = CertHall.api, ui = CertHall.ui, el = ui.el, agreements = CertHall.agreements;

  function $(id) {
    return document.getElementById(id);
  }

  var form = ui.initForm($('apply-form'));
  var catalog = { projects: [] };   // GET /api/projects
  var certs = null;                 // GET /api/certificates, once known
  var terms = null;                 // the user terms shown, once loaded

  var SERVICES = { renew: '延期', unlock: '解锁', replace: '补办' };
  var CERT_HINTS = {
    renew: '证书即将过期或已过期3个月内可申请延期。请选择要延期的证书：',
    unlock: '证书密码遗忘或多次尝试密码导致被锁，可申请解锁。请选择要解锁的证书：',
    replace: '注意：只有在本系统办理过的证书可以补办，且须在有效期内。请选择要补办的证书：'
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
    var service = ui.checked(form, 'service');
    if (service === 'new') {
      return { service: service, project: form.elements.project.value,
               cert_type: ui.checked(form, 'cert_type') };
    }
    var id = ui.checked(form, 'certificate');
    var c = (certs || []).filter(function (x) { return String(x.id) === id; })[0];
    return c ? { service: service, project: c.project, cert_type: c.cert_type,
                 certificate: c.id }
             : { service: service };
  }

  function showPrice() {
    var p = pick();
    var o = offer(p.project, p.service, p.cert_type);
    var line = $('apply-price');
    ui.empty(line);
    line.hidden = !p.project || !p.cert_type;
    if (o) {
      ui.append(line, ['费用：', el('strong', null, ui.yuan(o.price_fen)),
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
    return el('span', { className: s.allowed ? 'allowed' : 'refused' },
              SERVICES[service] + '：' + (s.allowed ? '可办理'
                : '不可办理' + (s.message ? '（' + s.message + '）' : '')));
  }

  // the account's certificates; those the service is not allowed for
  // cannot be chosen
  function renderCerts() {
    var was = ui.checked(form, 'certificate');
    var list = ui.empty($('cert-list'));
    var service = ui.checked(form, 'service');
    if (certs === null) {
      return;
    }
    $('cert-status').hidden = certs.length > 0;
    $('cert-status').textContent = '您名下暂无可办理延期、解锁或补办的证书。';
    certs.forEach(function (c) {
      var allowed = !!((c.services || {})[service] || {}).allowed;
      list.appendChild(ui.choice({
        name: 'certificate', id: 'cert-' + c.id, value: c.id,
        disabled: !allowed, checked: allowed && String(c.id) === was,
        describedBy: 'apply-certificate-error'
      },
        el('strong', null, c.name),
        el('span', null, c.project_name + ' · ' + c.cert_type_name
                         + (c.serial ? ' · 序列号 ' + c.serial : '')),
        el('span', null, '有效期至 ' + ui.formatDate(c.valid_to)
                         + '，证书剩余天数：' + ui.remainingDays(c.remaining_days)),
        el('span', { className: 'services-line' }, Object.keys(SERVICES).map(function (s) {
          return serviceLine(c, s);
        }))));
    });
  }

  function toggle(fieldset, on) {
    fieldset.hidden = !on;
    fieldset.disabled = !on;
  }

  function update() {
    var service = ui.checked(form, 'service');
    toggle($('new-fields'), service === 'new');
    toggle($('cert-fields'), !!service && service !== 'new');
    if (CERT_HINTS[service]) {
      $('cert-hint').textContent = CERT_HINTS[service];
      renderCerts();
    }
    showPrice();
  }

  function fillCatalog(r) {
    catalog = r && Array.isArray(r.projects) ? r : { projects: [] };
    var select = form.elements.project;
    catalog.projects.forEach(function (p) {
      select.appendChild(el('option', { value: p.code }, p.name));
    });
    // ?service=renew, ?project=xiangtan_ggzy (links from other pages)
    if (/^(new|renew|unlock|replace)$/.test(ui.param('service') || '')) {
      $('svc-' + ui.param('service')).checked = true;
    }
    if (project(ui.param('project'))) {
      select.value = ui.param('project');
    }
    $('apply-loading').hidden = true;
    form.hidden = false;
    fitProject();
    update();
  }

  // who may apply: logged in, and real-name verified
  function notice(text, href, linkText) {
    var n = $('apply-notice');
    ui.empty(n);
    ui.append(n, [text, el('a', { href: href }, linkText), '。']);
    n.hidden = false;
    $('apply-submit').disabled = true;
  }

  function checkAccount() {
    api.get('/api/me').then(function (me) {
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
    api.get('/api/certificates').then(function (r) {
      certs = r && Array.isArray(r.certificates) ? r.certificates : [];
      update();
    }, function (err) {
      $('cert-status').textContent = err.status === 401
        ? '登录后可查看您名下的证书。' : err.message;
    });
  }

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
      ui.empty($('terms-text')).appendChild(el('p', { className: 'status down' },
        '用户申请条款暂时无法加载：' + err.message + ' 请刷新页面重试。'));
      fitProject();
    });
  }

  form.addEventListener('change', function (ev) {
    if (ev.target.name === 'project' || ev.target.name === 'agree_terms') {
      fitProject();
    }
    if (ev.target.name === 'service') {
      ui.clearErrors(form);
    }
    update();
  });

  ui.onSubmit(form, {
    service: ui.rules.chosen('service', '请选择业务类型。'),
    agree_terms: function () {
      return agreed() ? null : terms ? '请阅读并同意《用户申请条款》。'
                                     : '用户申请条款尚未加载，请刷新页面后重试。';
    },
    project: function (v) { return v ? null : '请选择申请项目。'; },
    cert_type: ui.rules.chosen('cert_type', '请选择证书类型。'),
    certificate: ui.rules.chosen('certificate', '请选择要办理的证书。')
  }, function () {
    var body = pick();
    if (!body.project || !body.cert_type) {
      ui.formError(form, '您没有可以办理此项业务的证书。');
      return;
    }
    body.agree_terms = 1;
    body.terms_version = terms.version;
    ui.setBusy(form, true);
    api.post('/api/orders', body).then(function (order) {
      window.location.assign('/order-edit.html?id=' + encodeURIComponent(order.id));
    }, function (err) {
      ui.setBusy(form, false);
      if (err.status === 401) {
        ui.toLogin();
        return;
      }
      if (err.code === 'agreement_changed') {
        // the terms changed while they were read: the new text, agreed again
        $('apply-agree-terms').checked = false;
        $('terms-box').open = true;
        loadTerms().then(function () {
          ui.fieldError($('apply-agree-terms'), err.message);
          $('apply-agree-terms').focus();
        });
        return;
      }
      if (err.field === 'agree_terms' || err.field === 'terms_version') {
        ui.fieldError($('apply-agree-terms'), err.message);
        return;
      }
      ui.showApiError(form, err);
    });
  });

  api.get('/api/projects').then(fillCatalog, ui.loadFailed($('apply-loading')));
  loadTerms();
  checkAccount();
})();
