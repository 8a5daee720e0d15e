// Step 1 of order-edit.html, 基本信息: the form of the order's certificate
// type (单位 or 个人), filled from the order's saved information, or until
// it is saved from GET …/prefill (the verified identity, the account's
// phone, the certificate's earlier order) with a note saying what came
// from where; checked by the server's rules and saved with PUT …/info.
// ID numbers come back masked: the mask is shown beside the field, never
// put into it, and the whole number is asked again on saving.
import { normalizePhone, rules } from '../ui/rules.js';
import { fillForm, values } from '../ui/forms.js';
import { initForm, onSubmit } from '../ui/errors.js';
import { empty } from '../ui/dom.js';
import { state, $, path, toggle } from './state.js';
import { save } from './steps.js';

const form = initForm($('info-form'));

const INFO_FIELDS = {
  org: ['org_name', 'uscc', 'legal_name', 'handler_name', 'mobile', 'email'],
  personal: ['name', 'mobile', 'email']
};
const ID_HINTS = { legal_id_number: 'in-legal-id-hint', id_number: 'in-id-hint' };
// the server's rules for the two forms (lib/ch_field_specs.c)
const INFO_CHECKS = {
  org_name: rules.field('org_info', 'org_name'),
  uscc: rules.field('org_info', 'uscc'),
  legal_name: rules.field('org_info', 'legal_name'),
  legal_id_number: rules.field('org_info', 'legal_id_number'),
  handler_name: rules.field('org_info', 'handler_name'),
  name: rules.field('personal_info', 'name'),
  id_number: rules.field('personal_info', 'id_number'),
  mobile: rules.field('org_info', 'mobile'),
  email: rules.field('org_info', 'email')
};
// the fields GET …/prefill may fill, in the form's order, and their names
const PREFILL_FIELDS = {
  org: ['org_name', 'uscc', 'legal_name', 'legal_id_number', 'handler_name', 'mobile', 'email'],
  personal: ['name', 'id_number', 'mobile', 'email']
};
export const INFO_LABELS = {
  org_name: '单位名称', uscc: '统一社会信用代码', legal_name: '法定代表人姓名',
  legal_id_number: '法定代表人身份证号码', handler_name: '经办人姓名', name: '姓名',
  id_number: '身份证号码', mobile: '手机号码', email: '电子邮箱'
};

function certType() {
  return state.order.cert_type === 'personal' ? 'personal' : 'org';
}

export function renderInfo() {
  const type = certType();
  const info = state.order.info || {};
  toggle($('info-org'), type === 'org');
  toggle($('info-personal'), type === 'personal');
  fillForm(form, info, INFO_FIELDS[type]);
  Object.keys(ID_HINTS).forEach(function (name) {
    form.elements[name].value = '';
    $(ID_HINTS[name]).textContent = info[name]
      ? '已填写：' + info[name] + '。为保护您的信息只显示部分号码，保存时请重新输入完整号码。'
      : '';
  });
  fillPrefill(type);
}

// what the hall already knows, only while nothing is saved (saved
// information wins); every field stays editable and is checked as typed
function fillPrefill(type) {
  const note = $('info-prefill');
  const from = {}, sources = [];
  empty(note);
  note.hidden = true;
  if (state.order.info || !state.prefill) {
    return;
  }
  PREFILL_FIELDS[type].forEach(function (name) {
    const f = state.prefill[name];
    const input = form.elements[name];
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

// the saved information as step 4 shows it for review: who (the unit and
// its legal representative, or the person), the ID number as the server
// masks it, the phone
const SUMMARY_FIELDS = {
  org: ['org_name', 'uscc', 'legal_name', 'legal_id_number', 'mobile'],
  personal: ['name', 'id_number', 'mobile']
};

export function infoRows(order) {
  const info = order.info;
  if (!info) {
    return [];
  }
  return SUMMARY_FIELDS[order.cert_type === 'personal' ? 'personal' : 'org'].map(function (name) {
    return [INFO_LABELS[name], info[name]];
  });
}

onSubmit(form, INFO_CHECKS, function () {
  const body = values(form);
  ['uscc', 'legal_id_number', 'id_number'].forEach(function (k) {
    if (body[k]) {
      body[k] = body[k].toUpperCase();
    }
  });
  body.mobile = normalizePhone(body.mobile);
  save(form, path('/info'), body, 2);
});
