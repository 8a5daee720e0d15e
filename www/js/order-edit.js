// order-edit.html?id=UO…&step=N: the steps of a draft (or rejected) order --
// 1 基本信息 (PUT /api/orders/{id}/info, fields by certificate type; until
// it is saved, filled in from GET …/prefill -- the verified identity, the
// account's phone, the certificate's earlier order -- with a note saying
// what came from where),
// 2 资料上传 (the order's materials, each uploaded with POST
// …/materials/{kind}, shown, replaced or deleted through CertHall.upload,
// the application form to print beside its own; 下一步 once every
// required one is there), 3 开票信息 (PUT …/invoice, with 我的发票抬头
// to pick from), 4 订单提交 (the summary, the agreement and 领取方式,
// POST …/submit; a 422 `incomplete` lists what is missing; for a rejected
// order 重新提交, POST …/resubmit, once its `resubmission` allows it, and
// until then what is still missing). An order past its submission whose
// invoice is not issued yet (actions: invoice_edit) shows step 3 alone, to
// correct the title; saving goes back to the order. The step is in the
// address, so reload and back work. The 申请责任书 opens in a tab of its own and its
// version goes with the submission; what step 4 has chosen (the box,
// 领取方式, the address or pickup point) is kept in sessionStorage for the
// round trip to 新增地址, until the submission.
(function () {
  'use strict';

  var api = CertHall.api, ui = CertHall.ui, el = ui.el, agreements = CertHall.agreements;

  function $(id) {
    return document.getElementById(id);
  }

  var id = ui.param('id') || '';
  var order = null;
  var editable = false;
  var titleOnly = false;    // 修改开票信息 of a submitted order: step 3 alone
  var widgets = null;       // 资料上传: CertHall.upload.material by kind
  var refreshing = 0;       // the latest reload of the order after an upload
  var titles = [];          // 我的发票抬头
  var addresses = null;     // 我的地址 (null: could not be loaded)
  var points = null;        // the pickup points
  var prefill = null;       // GET …/prefill: { field: { value, source_name } }
  var agreement = null;     // the 申请责任书 shown (its current version)
  var infoForm = ui.initForm($('info-form'));
  var invoiceForm = ui.initForm($('invoice-form'));
  var invoiceStep = CertHall.invoiceStep(invoiceForm);     // invoice-step.js
  var submitForm = ui.initForm($('submit-form'));

  var INFO_FIELDS = {
    org: ['org_name', 'uscc', 'legal_name', 'handler_name', 'mobile', 'email'],
    personal: ['name', 'mobile', 'email']
  };
  // ID numbers come back masked: the mask is shown beside the field, never
  // put into it, and the whole number is asked again on saving
  var ID_HINTS = { legal_id_number: 'in-legal-id-hint', id_number: 'in-id-hint' };
  // the server's rules for the two forms (lib/ch_field_specs.c)
  var INFO_CHECKS = {
    org_name: ui.rules.field('org_info', 'org_name'),
    uscc: ui.rules.field('org_info', 'uscc'),
    legal_name: ui.rules.field('org_info', 'legal_name'),
    legal_id_number: ui.rules.field('org_info', 'legal_id_number'),
    handler_name: ui.rules.field('org_info', 'handler_name'),
    name: ui.rules.field('personal_info', 'name'),
    id_number: ui.rules.field('personal_info', 'id_number'),
    mobile: ui.rules.field('org_info', 'mobile'),
    email: ui.rules.field('org_info', 'email')
  };
  // the fields GET …/prefill may fill, in the form's order, and their names
  var PREFILL_FIELDS = {
    org: ['org_name', 'uscc', 'legal_name', 'legal_id_number', 'handler_name', 'mobile', 'email'],
    personal: ['name', 'id_number', 'mobile', 'email']
  };
  var INFO_LABELS = {
    org_name: '单位名称', uscc: '统一社会信用代码', legal_name: '法定代表人姓名',
    legal_id_number: '法定代表人身份证号码', handler_name: '经办人姓名', name: '姓名',
    id_number: '身份证号码', mobile: '手机号码', email: '电子邮箱'
  };
  // where each item a submission may lack is filled in
  var STEP_OF = ui.STEP_OF;
  // the materials whose 《申请表》 is printed here
  var FORMS = ['application_form', 'replacement_form'];

  function path(tail) {
    return '/api/orders/' + encodeURIComponent(id) + (tail || '');
  }

  function stepUrl(n) {
    return '/order-edit.html?id=' + encodeURIComponent(id) + '&step=' + n;
  }

  function toggle(fieldset, on) {
    fieldset.hidden = !on;
    fieldset.disabled = !on;
  }

  function serviceVerb() {
    return String(order.service_name || '').replace(/^证书/, '');
  }

  // ------------------------------------------------------------------
  // the steps

  function currentStep() {
    var n = parseInt(ui.param('step'), 10);
    return n >= 1 && n <= 4 ? n : 1;
  }

  function showStep(n, focus) {
    if (!editable) {
      return;
    }
    for (var i = 1; i <= 4; i++) {
      $('step-' + i).hidden = i !== n;
      if (i === n) {
        $('step-link-' + i).setAttribute('aria-current', 'step');
      } else {
        $('step-link-' + i).removeAttribute('aria-current');
      }
    }
    if (n === 2) {
      renderMaterials();
    }
    if (n === 4) {
      renderSummary();
    }
    if (focus) {
      $('step-' + n).querySelector('h2').focus();
    }
  }

  function go(n) {
    window.history.pushState(null, '', stepUrl(n));
    showStep(n, true);
  }

  // links to a step (data-step) change the step without loading the page
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('a[data-step]');
    if (!a || !order || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) {
      return;
    }
    ev.preventDefault();
    go(parseInt(a.getAttribute('data-step'), 10));
  });

  window.addEventListener('popstate', function () {
    if (order) {
      showStep(currentStep(), true);
    }
  });

  // ------------------------------------------------------------------
  // the order

  function renderHead() {
    var name = order.service_name || '在线办理';
    document.title = name + '流程 - 在线服务厅';
    $('edit-title').textContent = name + '流程';
    $('edit-business').textContent = '订单号 ' + order.id + ' · ' + (order.business || '')
      + ' · ' + ui.stateName(order.state, order.state_name, (order.delivery || {}).method);
    $('step-done').textContent = serviceVerb() + '成功';
    $('edit-order-link').href = '/order.html?id=' + encodeURIComponent(order.id);
    document.querySelectorAll('a[data-step]').forEach(function (a) {
      a.href = stepUrl(a.getAttribute('data-step'));
    });
    $('address-manage').href = '/addresses.html?next=' + encodeURIComponent(stepUrl(4));

    $('edit-rejected').hidden = order.state !== 'rejected';
    $('edit-rejected').textContent = ui.rejectedText(order);
  }

  function render() {
    renderHead();
    editable = (order.actions || []).indexOf('edit') >= 0;
    titleOnly = !editable && (order.actions || []).indexOf('invoice_edit') >= 0;
    var locked = $('edit-locked');
    ui.empty(locked);
    locked.hidden = editable || titleOnly;
    if (titleOnly) {
      // no longer the service's 流程: the one thing left to change
      $('edit-title').textContent = '修改开票信息';
      document.title = '修改开票信息 - 在线服务厅';
      invoiceStep.alone(order, titles, $('edit-order-link').href);
      return;
    }
    if (!editable) {
      ui.append(locked, ['此订单当前状态为“' + ui.stateName(order.state, order.state_name)
                         + '”，不能再修改。', el('a', { href: $('edit-order-link').href }, '查看订单详情')]);
      document.querySelectorAll('#edit section[id^="step-"]').forEach(function (s) {
        s.hidden = true;
      });
      return;
    }
    renderInfo();
    invoiceStep.render(order, titles);
    showStep(currentStep(), false);
  }

  // ------------------------------------------------------------------
  // 1 基本信息

  function renderInfo() {
    var type = order.cert_type === 'personal' ? 'personal' : 'org';
    var info = order.info || {};
    toggle($('info-org'), type === 'org');
    toggle($('info-personal'), type === 'personal');
    ui.fillForm(infoForm, info, INFO_FIELDS[type]);
    Object.keys(ID_HINTS).forEach(function (name) {
      infoForm.elements[name].value = '';
      $(ID_HINTS[name]).textContent = info[name]
        ? '已填写：' + info[name] + '。为保护您的信息只显示部分号码，保存时请重新输入完整号码。'
        : '';
    });
    fillPrefill(type);
  }

  // what the hall already knows, only while nothing is saved (saved
  // information wins); every field stays editable and is checked as typed
  function fillPrefill(type) {
    var note = $('info-prefill');
    var from = {}, sources = [];
    ui.empty(note);
    note.hidden = true;
    if (order.info || !prefill) {
      return;
    }
    PREFILL_FIELDS[type].forEach(function (name) {
      var f = prefill[name];
      var input = infoForm.elements[name];
      if (!f || !f.value || !input) {
        return;
      }
      input.value = f.value;
      if (!from[f.source_name]) {
        from[f.source_name] = [];
        sources.push(f.source_name);
      }
      from[f.source_name].push(INFO_LABELS[name]);
    });
    if (!sources.length) {
      return;
    }
    note.textContent = sources.map(function (source) {
      return '已根据' + source + '自动填写' + from[source].join('、');
    }).join('；') + '，请核对。';
    note.hidden = false;
  }

  function save(form, url, body, next) {
    ui.setBusy(form, true);
    api.put(url, body).then(function (o) {
      ui.setBusy(form, false);
      order = o;
      if (!next) {
        ui.setFlash('开票信息已修改，电子发票将按新的信息开具。');
        window.location.assign($('edit-order-link').href);
        return;
      }
      render();
      go(next);
    }, function (err) {
      ui.setBusy(form, false);
      if (err.status === 401) {
        ui.toLogin();
        return;
      }
      ui.showApiError(form, err);
    });
  }

  ui.onSubmit(infoForm, INFO_CHECKS, function () {
    var body = ui.values(infoForm);
    ['uscc', 'legal_id_number', 'id_number'].forEach(function (k) {
      if (body[k]) {
        body[k] = body[k].toUpperCase();
      }
    });
    body.mobile = ui.normalizePhone(body.mobile);
    save(infoForm, path('/info'), body, 2);
  });

  // ------------------------------------------------------------------
  // 2 资料上传: each material with its upload; 下一步 once every required
  // one is there (the order's `missing` says the same for a draft)

  // the order's own entry of a kind (a reload replaces the objects)
  function materialOf(kind) {
    return (order.materials || []).filter(function (m) { return m.kind === kind; })[0] || {};
  }

  function materialsKey() {
    return (order.materials || []).map(function (m) { return m.kind; }).join(' ');
  }

  // the 《申请表》 to print beside its material: only once the information
  // it is filled in from is saved
  function printLink(m, slot) {
    ui.empty(slot);
    if (order.info) {
      slot.appendChild(el('a', { href: path('/application-form'), target: '_blank', rel: 'noopener' },
                          '《' + m.kind_name + '》',
                          el('span', { className: 'visually-hidden' }, '（在新窗口打开，打印后签字上传）')));
    } else {
      slot.textContent = '（保存基本信息后可打印预填好的《' + m.kind_name + '》）';
    }
  }

  // the widgets are made once for the order (an upload goes on while
  // another step is shown); later renders give them the order's files
  function renderMaterials() {
    var list = $('materials');
    if (!Array.isArray(order.materials)) {
      ui.empty(list);
      widgets = null;
      list.appendChild(el('li', null, '资料清单暂时无法加载，请稍后刷新页面。'));
    } else if (!widgets || widgets.key !== materialsKey()) {
      ui.empty(list);
      widgets = { key: materialsKey(), byKind: {} };
      order.materials.forEach(function (m) {
        var slot = FORMS.indexOf(m.kind) >= 0 ? el('span', { className: 'print-form' }) : null;
        var w = CertHall.upload.material({
          material: m,
          url: path('/materials/' + encodeURIComponent(m.kind)),
          editable: true,
          deletable: true,
          extra: slot,
          uploaded: function (file) {
            materialOf(m.kind).file = file;
            materialsChanged();
          },
          deleted: function (answer) {
            if (answer && Array.isArray(answer.materials)) {
              order.materials = answer.materials;
            }
            materialOf(m.kind).file = null;
            materialsChanged();
          },
          refused: function (err) {
            if (err.status === 409 || err.code === 'order_not_found'
                || err.code === 'no_such_material') {
              reload();     // no longer editable, gone, or asking otherwise: show it
            }
          }
        });
        w.slot = slot;
        widgets.byKind[m.kind] = w;
        list.appendChild(w.node);
      });
      if (!order.materials.length) {
        list.appendChild(el('li', null, '此业务无需上传资料。'));
      }
    } else {
      order.materials.forEach(function (m) {
        var w = widgets.byKind[m.kind];
        if (!w.busy()) {
          w.set(m.file);
        }
      });
    }
    if (widgets) {
      order.materials.forEach(function (m) {
        var w = widgets.byKind[m.kind];
        if (w.slot) {
          printLink(m, w.slot);
        }
      });
    }
    renderMissingMaterials();
  }

  // the required materials not uploaded: from the materials themselves (a
  // rejected order has no `missing`), with what `missing` adds
  function missingMaterials() {
    var out = [], seen = {};
    (order.materials || []).forEach(function (m) {
      if (m.required && !m.file) {
        seen[m.kind] = true;
        out.push({ kind: m.kind, message: '请上传' + m.kind_name });
      }
    });
    (order.missing || []).forEach(function (x) {
      if (x.item === 'material' && !seen[x.kind]) {
        var m = (order.materials || []).filter(function (y) { return y.kind === x.kind; })[0];
        if (!m || !m.file) {
          seen[x.kind] = true;
          out.push({ kind: x.kind, message: x.message });
        }
      }
    });
    return out;
  }

  // a rejected order: the files the reviewer named, not uploaded again yet
  function renderReupload() {
    var rs = order.state === 'rejected' ? order.resubmission : null;
    var kinds = ((rs && rs.rejection && rs.rejection.kinds) || []).filter(function (k) {
      return !k.replaced;
    });
    var box = ui.empty($('materials-reupload'));
    box.hidden = kinds.length === 0;
    if (kinds.length) {
      ui.append(box, ['审核要求重新上传以下资料，请上传新的文件：',
        el('ul', { className: 'missing' }, kinds.map(function (k) {
          return el('li', null, k.kind_name);
        }))]);
    }
  }

  function renderMissingMaterials() {
    renderReupload();
    var todo = missingMaterials();
    var box = ui.empty($('materials-missing'));
    box.hidden = todo.length === 0;
    if (todo.length) {
      ui.append(box, ['以下资料上传后才能进行下一步：',
        el('ul', { className: 'missing' }, todo.map(function (x) {
          return el('li', null, x.message);
        }))]);
    }
    var next = $('materials-next');
    if (todo.length) {
      next.setAttribute('aria-disabled', 'true');
    } else {
      next.removeAttribute('aria-disabled');
      ui.hide($('materials-error'));
    }
    return todo;
  }

  $('materials-next').addEventListener('click', function () {
    if (!order) {
      return;
    }
    var todo = renderMissingMaterials();
    if (!todo.length) {
      go(3);
      return;
    }
    ui.show($('materials-error'), '请先上传全部带 * 号的资料（还差 ' + todo.length + ' 项）。');
    var w = widgets && widgets.byKind[todo[0].kind];
    if (w && w.input) {
      w.input.focus();
    }
  });

  // after an upload or a deletion: the list again, then the order as the
  // server has it now (its `missing`, its state); an older reload that
  // answers after a newer one is left out
  function materialsChanged() {
    renderMissingMaterials();
    reload();
  }

  function reload() {
    var mine = ++refreshing;
    api.mine(path()).then(function (o) {
      if (mine !== refreshing) {
        return;
      }
      order = o;
      if ((o.actions || []).indexOf('edit') < 0) {
        render();               // no longer editable: say so
      } else {
        renderHead();           // the forms of the other steps keep what is typed
        renderMaterials();
      }
    }, function (err) {
      if (err.status === 401) {
        ui.toLogin();
      }
    });
  }

  // ------------------------------------------------------------------
  // 3 开票信息

  ui.onSubmit(invoiceForm, invoiceStep.CHECKS, function () {
    var body = ui.values(invoiceForm);
    body.taxpayer_id = body.taxpayer_id.toUpperCase();
    body.mobile = ui.normalizePhone(body.mobile);
    save(invoiceForm, path('/invoice'), body, titleOnly ? 0 : 4);
  });

  // ------------------------------------------------------------------
  // 4 订单提交

  // what is missing, each with a link to the step that fills it in
  function missingList(items) {
    return ui.missingList(items, stepUrl, 4);
  }

  function renderSummary() {
    var c = order.certificate;
    ui.hide(submitForm.querySelector('.form-error'));     // an answer to an older order
    ui.facts($('summary'), [
      ['订单号', order.id],
      ['业务信息', order.business],
      c ? [serviceVerb() + '证书', c.name + (c.serial ? '（序列号 ' + c.serial + '）' : '')] : null,
      c ? ['证书剩余天数', ui.remainingDays(c.remaining_days)] : null,
      ['订单总价', ui.yuan(order.amount_fen !== null && order.amount_fen !== undefined
                           ? order.amount_fen : order.price_fen)]
    ]);
    var price = ui.empty($('submit-price'));
    ui.append(price, ['订单总价：', el('strong', null, ui.yuan(order.price_fen))]);

    // a draft is submitted here, a rejected order resubmitted
    var open = (order.actions || []).indexOf('submit') >= 0;
    var rejected = order.state === 'rejected';
    submitForm.hidden = !open;
    $('submit-closed').hidden = open || rejected;
    $('submit-closed-link').href = $('edit-order-link').href;
    $('resubmit-panel').hidden = !rejected;
    if (rejected) {
      renderResubmit();
    }

    // before submitting: what the other steps still lack
    var box = ui.empty($('summary-missing'));
    var todo = (order.missing || []).filter(function (m) { return STEP_OF[m.item] !== 4; });
    box.hidden = todo.length === 0;
    if (todo.length) {
      ui.append(box, ['提交前还需完成：', missingList(todo)]);
    }
  }

  // 重新提交: the button once it is allowed, else what is still missing
  function renderResubmit() {
    var rs = order.resubmission || {};
    var missing = rs.allowed ? [] : rs.missing || [];
    var box = ui.empty($('resubmit-missing'));
    box.hidden = missing.length === 0;
    if (missing.length) {
      ui.append(box, ['重新提交前还需完成：', missingList(missing)]);
    }
    $('resubmit-btn').hidden = (order.actions || []).indexOf('resubmit') < 0;
  }

  $('resubmit-btn').addEventListener('click', function () {
    var btn = this;
    if (btn.disabled) {
      return;
    }
    btn.disabled = true;
    ui.hide($('resubmit-error'));
    api.post(path('/resubmit')).then(function () {
      ui.setFlash('订单已重新提交，资料将重新审核，审核结果将通过消息通知您。');
      window.location.assign('/order.html?id=' + encodeURIComponent(id));
    }, function (err) {
      btn.disabled = false;
      if (err.status === 401) {
        ui.toLogin();
        return;
      }
      if (err.code === 'incomplete' && err.missing) {
        order.resubmission = { allowed: false, missing: err.missing,
                               rejection: (order.resubmission || {}).rejection };
        order.actions = (order.actions || []).filter(function (a) { return a !== 'resubmit'; });
        renderResubmit();
      }
      ui.show($('resubmit-error'), err.message);
    });
  });

  function renderChoices(list, items, none, make) {
    ui.empty(list);
    if (items === null) {
      list.appendChild(el('p', { className: 'hint' }, '暂时无法加载，请稍后刷新页面。'));
    } else if (!items.length) {
      list.appendChild(el('p', { className: 'hint' }, none));
    }
    (items || []).forEach(function (x) {
      list.appendChild(make(x));
    });
  }

  // the address an order was sent to (copied at submission) among the
  // account's addresses, else the default one
  function sameAddress(a, b) {
    return ['recipient', 'mobile', 'region', 'detail'].every(function (k) {
      return a[k] === b[k];
    });
  }

  function renderDelivery() {
    var d = ui.delivery(order.delivery);
    var was = d.address && (addresses || []).filter(function (a) {
      return sameAddress(a, d.address);
    })[0];
    renderChoices($('address-list'), addresses, '您还没有收件地址，请先新增地址。', function (a) {
      return ui.choice({
        name: 'address_id', id: 'addr-' + a.id, value: a.id,
        checked: was ? a === was : !!a.is_default,
        describedBy: 'sb-address-error'
      }, el('strong', null, a.recipient + ' ' + a.mobile + (a.is_default ? '（默认）' : '')),
         el('span', null, [a.region, a.detail, a.postal_code].filter(Boolean).join(' ')));
    });
    renderChoices($('pickup-list'), points, '暂无可选的受理点，请选择快递邮寄。', function (p) {
      return ui.choice({
        name: 'pickup_point', id: 'pp-' + p.code, value: p.code,
        checked: p.code === d.pickupCode, describedBy: 'sb-pickup-error'
      }, el('strong', null, p.name),
         el('span', null, p.address),
         el('span', null, [p.phone && '电话 ' + p.phone, p.hours].filter(Boolean).join('，')));
    });
    if (d.method === 'express' || d.method === 'pickup') {
      submitForm.elements.delivery.value = d.method;
    }
    $('sb-agree').checked = !!order.agreed_at;
    restoreChoices();
    fitDelivery();
  }

  // ------------------------------------------------------------------
  // the 申请责任书, and what step 4 has chosen kept across 新增地址

  function showAgreement(a) {
    agreement = a;
    $('sb-agreement-link').href = agreements.href(a.code, a.version);
    $('sb-agreement-version').textContent = '《' + a.name + '》' + agreements.versionLine(a)
      + '，点击书名在新窗口中阅读。';
  }

  var KEPT = 'certhall.submit.' + id;
  var touched = false;      // step 4 was changed since the page was loaded

  // the chosen box of a group, also in the panel not shown now: a pickup
  // point stays chosen while 快递邮寄 is looked at
  function chosen(name) {
    var input = submitForm.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : '';
  }

  function keepChoices() {
    touched = true;
    try {
      window.sessionStorage.setItem(KEPT, JSON.stringify({
        agree: $('sb-agree').checked,
        agreement_version: agreement ? agreement.version : null,
        delivery: chosen('delivery'),
        address_id: chosen('address_id'),
        pickup_point: chosen('pickup_point')
      }));
    } catch (e) {
      // no storage (private mode): the choices are made again
    }
  }

  function keptChoices() {
    try {
      return JSON.parse(window.sessionStorage.getItem(KEPT) || 'null');
    } catch (e) {
      return null;
    }
  }

  function forgetChoices() {
    touched = false;
    try {
      window.sessionStorage.removeItem(KEPT);
    } catch (e) {
      // nothing kept
    }
  }

  function pick(name, value) {
    var input = value ? submitForm.querySelector('input[name="' + name + '"][value="'
                                                 + String(value).replace(/["\\]/g, '') + '"]')
                      : null;
    if (input) {
      input.checked = true;
    }
  }

  // what was chosen before leaving for 新增地址: the box only for the
  // version still current, the address only if it is still there
  function restoreChoices() {
    var k = keptChoices();
    if (!k) {
      return;
    }
    $('sb-agree').checked = !!k.agree && !!agreement && k.agreement_version === agreement.version;
    if (k.delivery === 'express' || k.delivery === 'pickup') {
      submitForm.elements.delivery.value = k.delivery;
    }
    pick('address_id', k.address_id);
    pick('pickup_point', k.pickup_point);
  }

  function fitDelivery() {
    var how = ui.checked(submitForm, 'delivery');
    toggle($('express-panel'), how === 'express');
    toggle($('pickup-panel'), how === 'pickup');
  }

  submitForm.addEventListener('change', function (ev) {
    if (ev.target.name === 'delivery') {
      fitDelivery();
    }
    keepChoices();
  });
  $('address-manage').addEventListener('click', keepChoices);
  // leaving by another way (我的地址 in the menu, back): kept the same
  window.addEventListener('pagehide', function () {
    if (touched && order && order.state === 'draft') {
      keepChoices();
    }
  });

  function incomplete(err) {
    var box = submitForm.querySelector('.form-error');
    ui.empty(box);
    ui.append(box, [(err.missing.length ? '订单尚未填写完整：' : err.message),
                    missingList(err.missing)]);
    box.hidden = false;
    box.scrollIntoView({ block: 'nearest' });
  }

  ui.onSubmit(submitForm, {
    agree: function () {
      return !$('sb-agree').checked ? '请阅读并同意《数字证书申请责任书》。'
             : agreement ? null : '申请责任书尚未加载，请刷新页面后重试。';
    },
    delivery: ui.rules.chosen('delivery', '请选择领取方式。'),
    address_id: ui.rules.chosen('address_id', '请选择收件地址。'),
    pickup_point: ui.rules.chosen('pickup_point', '请选择受理点。')
  }, function () {
    var body = ui.values(submitForm);
    if (body.delivery === 'express' && !body.address_id) {
      ui.show($('sb-address-error'), '请先新增收件地址。');
      return;
    }
    if (body.delivery === 'pickup' && !body.pickup_point) {
      ui.show($('sb-pickup-error'), '暂无可选的受理点，请选择快递邮寄。');
      return;
    }
    body.agreement_version = agreement.version;
    ui.setBusy(submitForm, true);
    api.post(path('/submit'), body).then(function () {
      forgetChoices();
      ui.setFlash('订单已提交，请在订单详情中完成在线缴费。');
      window.location.assign('/order.html?id=' + encodeURIComponent(id));
    }, function (err) {
      ui.setBusy(submitForm, false);
      if (err.status === 401) {
        ui.toLogin();
      } else if (err.code === 'incomplete' && err.missing) {
        incomplete(err);
      } else if (err.code === 'agreement_changed') {
        // the text changed while it was read: the new version, agreed again
        $('sb-agree').checked = false;
        keepChoices();
        agreements.load('agreement').then(showAgreement, function () {
          agreement = null;
        }).then(function () {
          ui.fieldError($('sb-agree'), err.message);
          $('sb-agree').focus();
        });
      } else {
        ui.showApiError(submitForm, err);
      }
    });
  });

  // ------------------------------------------------------------------

  function optional(p) {
    return p.then(null, function () { return null; });
  }

  if (!id) {
    window.location.replace('/orders.html');     // no order named: my orders
    return;
  }
  Promise.all([
    api.mine(path()),
    optional(api.get('/api/invoice-titles')),
    optional(api.get('/api/addresses')),
    optional(api.get('/api/pickup-points')),
    optional(api.get(path('/prefill'))),
    optional(agreements.load('agreement'))
  ]).then(function (r) {
    order = r[0];
    prefill = r[4] ? r[4].fields || null : null;
    titles = (r[1] && r[1].invoice_titles) || [];
    addresses = r[2] ? r[2].addresses || [] : null;
    points = r[3] ? r[3].pickup_points || [] : null;
    if (r[5]) {
      showAgreement(r[5]);
    } else {
      $('sb-agreement-version').textContent = '申请责任书暂时无法加载，请稍后刷新页面。';
    }
    $('edit-loading').hidden = true;
    $('edit').hidden = false;
    renderDelivery();     // once: saving the other steps keeps what is chosen here
    render();
  }, ui.loadFailed($('edit-loading')));
})();
