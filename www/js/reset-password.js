// reset-password.html: phone + SMS code + the new password (typed twice,
// compared here; only one is sent) -> POST /api/password-reset, which logs
// this browser in afresh and ends every other session.
import * as api from './api.js';
import { normalizePhone, rules } from './ui/rules.js';
import { initForm, onSubmit, showApiError } from './ui/errors.js';
import { setBusy } from './ui/busy.js';
import { smsButton } from './ui/sms.js';
import { goOn, keepNext } from './ui/next.js';
import './nav.js';

var form = initForm(document.getElementById('reset-form'));

keepNext();

smsButton({
  form: form,
  button: document.getElementById('rp-send-code'),
  purpose: 'reset',
  status: document.getElementById('rp-code-status')
});

onSubmit(form, {
  phone: rules.phone,
  sms_code: rules.smsCode,
  new_password: rules.newPassword,
  new_password_confirm: function (v, f) {
    if (v === '') {
      return '请再次输入新密码。';
    }
    return v === f.elements.new_password.value ? null : '两次输入的密码不一致。';
  }
}, function () {
  setBusy(form, true);
  api.post('/api/password-reset', {
    phone: normalizePhone(form.elements.phone.value),
    sms_code: form.elements.sms_code.value.trim(),
    new_password: form.elements.new_password.value
  }).then(function () {
    goOn('密码已重置，其他设备上的登录已全部退出。');
  }, function (err) {
    setBusy(form, false);
    showApiError(form, err);
  });
});
