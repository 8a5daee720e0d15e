// register.html: 手机号 + 登录密码 + 手机验证码 -> POST /api/accounts, which
// also logs the new account in; then on to ?next= or the account page.
import * as api from './api.js';
import * as ui from './ui.js';

var form = ui.initForm(document.getElementById('register-form'));

ui.keepNext();
ui.leaveIfLoggedIn();

ui.smsButton({
  form: form,
  button: document.getElementById('reg-send-code'),
  purpose: 'register',
  status: document.getElementById('reg-code-status')
});

form.addEventListener('submit', function (ev) {
  ev.preventDefault();
  if (ui.isBusy(form)) {
    return;
  }
  ui.hide(form.querySelector('.form-error'));
  if (!ui.validate(form, {
    phone: ui.rules.phone,
    password: ui.rules.password,
    sms_code: ui.rules.smsCode
  })) {
    return;
  }

  ui.setBusy(form, true);
  api.post('/api/accounts', {
    phone: ui.normalizePhone(form.elements.phone.value),
    password: form.elements.password.value,
    sms_code: form.elements.sms_code.value.trim()
  }).then(function () {
    var next = ui.nextUrl('/account.html');
    if (next === '/account.html') {
      ui.setFlash('注册成功。请完成实名认证后办理数字证书。');
    }
    window.location.assign(next);
  }, function (err) {
    ui.setBusy(form, false);
    ui.showApiError(form, err);
  });
});
