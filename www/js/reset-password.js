// reset-password.html: phone + SMS code + the new password (typed twice,
// compared here; only one is sent) -> POST /api/password-reset, which logs
// this browser in afresh and ends every other session.
import * as api from './api.js';
import * as ui from './ui.js';

var form = ui.initForm(document.getElementById('reset-form'));

ui.keepNext();

ui.smsButton({
  form: form,
  button: document.getElementById('rp-send-code'),
  purpose: 'reset',
  status: document.getElementById('rp-code-status')
});

form.addEventListener('submit', function (ev) {
  ev.preventDefault();
  if (ui.isBusy(form)) {
    return;
  }
  ui.hide(form.querySelector('.form-error'));
  if (!ui.validate(form, {
    phone: ui.rules.phone,
    sms_code: ui.rules.smsCode,
    new_password: ui.rules.newPassword,
    new_password_confirm: function (v, f) {
      if (v === '') {
        return '请再次输入新密码。';
      }
      return v === f.elements.new_password.value ? null : '两次输入的密码不一致。';
    }
  })) {
    return;
  }

  ui.setBusy(form, true);
  api.post('/api/password-reset', {
    phone: ui.normalizePhone(form.elements.phone.value),
    sms_code: form.elements.sms_code.value.trim(),
    new_password: form.elements.new_password.value
  }).then(function () {
    var next = ui.nextUrl('/account.html');
    if (next === '/account.html') {
      ui.setFlash('密码已重置，其他设备上的登录已全部退出。');
    }
    window.location.assign(next);
  }, function (err) {
    ui.setBusy(form, false);
    ui.showApiError(form, err);
  });
});
