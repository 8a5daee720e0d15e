// order-edit.html's 3 开票信息 (order-edit.js saves it):
//
//   var step = invoiceStep(form)             the step's form (ui.initForm)
//   step.CHECKS                 the server's rules of its fields
//   step.render(order, titles)  fills the form: the order's 开票信息, or the
//       first time the default title of the order's kind (单位/个人), else
//       the applicant's own name; and 我的发票抬头 (titles) to pick from,
//       which fills 抬头类型, 发票抬头 and 纳税人识别号
//   step.alone(order, titles, orderHref)  修改开票信息 of a submitted order
//       whose invoice is not issued yet (the order page's button): the step
//       alone -- the other steps and the step list go, 上一步 becomes 返回订单
import { rules } from './ui/rules.js';
import { fillForm } from './ui/forms.js';
import { clearField } from './ui/errors.js';
import { el } from './ui/dom.js';


function $(id) {
  return document.getElementById(id);
}

var FIELDS = ['title_type', 'title', 'taxpayer_id', 'email', 'mobile', 'remark'];
var CHECKS = {
  title_type: rules.chosen('title_type', '请选择抬头类型。'),
  title: rules.field('org_invoice', 'title'),
  taxpayer_id: rules.taxpayerId,
  email: rules.field('org_invoice', 'email'),
  mobile: rules.field('org_invoice', 'mobile'),
  remark: rules.field('org_invoice', 'remark')
};

export function invoiceStep(form) {
  var titles = [];

  function render(order, all) {
    titles = all || [];
    var info = order.info || {};
    var start = order.invoice;
    if (!start) {
      var def = titles.filter(function (t) {
        return t.is_default && t.title_type === order.cert_type;
      })[0];
      start = def ? { title_type: def.title_type, title: def.title, taxpayer_id: def.taxpayer_id }
                  : { title_type: order.cert_type, title: info.org_name || info.name,
                      taxpayer_id: info.uscc };
      start.email = info.email;
      start.mobile = info.mobile;
    }
    fillForm(form, start, FIELDS);

    var pick = $('iv-pick');
    while (pick.options.length > 1) {
      pick.remove(1);
    }
    titles.forEach(function (t) {
      pick.appendChild(el('option', { value: String(t.id) },
        t.title + (t.taxpayer_id ? '（' + t.taxpayer_id + '）' : '')
        + (t.is_default ? ' - 默认' : '')));
    });
    $('title-pick-field').hidden = titles.length === 0;
  }

  function alone(order, all, orderHref) {
    document.querySelectorAll('#edit section[id^="step-"], #edit .steps').forEach(function (s) {
      s.hidden = s.id !== 'step-3';
    });
    render(order, all);
    $('invoice-lead').textContent = '电子发票尚未开出，可以修改开票信息；保存后将按新的信息开具。';
    var back = $('invoice-back');
    back.removeAttribute('data-step');
    back.href = orderHref;
    back.textContent = '返回订单';
    form.querySelector('button[type="submit"]').textContent = '保存开票信息';
  }

  $('iv-pick').addEventListener('change', function () {
    var v = this.value;
    var t = titles.filter(function (x) { return String(x.id) === v; })[0];
    if (t) {
      fillForm(form, t, ['title_type', 'title', 'taxpayer_id']);
      ['title', 'taxpayer_id'].forEach(function (n) {
        clearField(form.elements[n]);
      });
    }
  });

  return { CHECKS: CHECKS, render: render, alone: alone };
}
