// register.html: 手机号 + 登录密码 + 手机验证码 -> POST /api/accounts, which
// also logs the new account in; then on to ?next= or the account page.
import * as api from './api.js';
import { normalizePhone, rules } from './ui/rules.js';
import { initForm, onSubmit, showApiError } from './ui/errors.js';
import { setBusy } from './ui/busy.js';
import { smsButton } from './ui/sms.js';
import { goOn, keepNext, leaveIfLoggedIn } from './ui/next.js';
import './nav.js';

var form = initForm(document.getElementById('register-form'));

keepNext();
leaveIfLoggedIn();

smsButton({
  form: form,
  button: document.getElementById('reg-send-code'),
  purpose: 'register',
  status: document.getElementById('reg-code-status')
});

onSubmit(form, {
  phone: rules.phone,
  password: rules.password,
  sms_code: rules.smsCode
}, function () {
  setBusy(form, true);
  api.post('/api/accounts', {
    phone: normalizePhone(form.elements.phone.value),
    password: form.elements.password.value,
    sms_code: form.elements.sms_code.value.trim()
  }).then(function () {
    goOn('注册成功。请完成实名认证后办理数字证书。');
  }, function (err) {
    setBusy(form, false);
    showApiError(form, err);
  });
});
