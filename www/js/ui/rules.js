// The rules a form's fields are checked by before sending: the server's
// own (fields.js, with the rules make prints from lib/ into
// field-rules.js: the server stays the judge), each a function of the
// value (and the form) giving the message for what is wrong, or null.
// No DOM at import.
import * as fields from '../fields.js';
import { checked } from './forms.js';

export const normalizePhone = fields.normalizePhone;

// a rule for validate() from a spec: the message, or null
function specRule(spec) {
  return function (v) {
    return fields.check(spec, v).message;
  };
}

// an account form's field (lib/ch_field_specs.c) checked as the server
// will take what the page sends: the account pages send the phone
// normalised and the code trimmed (send), a password as typed
function accountRule(form, name, send) {
  const spec = fields.spec(form, name);
  return function (v) {
    return fields.check(spec, send ? send(v) : v).message;
  };
}

function trimmedCode(v) {
  return String(v).trim();
}

// each rule: the message for what is wrong with the value, or null
export const rules = {
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
    const personal = checked(form, 'title_type') === 'personal';
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
