// login.html: two ways in, as tabs -- 账号密码 (phone + password) and
// 短信验证码 (phone + SMS code) -- both POST /api/session; then on to ?next=
// or the account page. 423 (locked) and 429 say how long to wait.
import * as api from './api.js';
import * as ui from './ui.js';

var pwForm = ui.initForm(document.getElementById('login-password-form'));
var smsForm = ui.initForm(document.getElementById('login-sms-form'));

ui.keepNext();
ui.leaveIfLoggedIn();

// the phone typed on one tab is there on the other
ui.tabs(document.querySelector('[role="tablist"]'), function (tab) {
  var to = tab.id === 'tab-sms' ? smsForm : pwForm;
  var from = to === smsForm ? pwForm : smsForm;
  if (to.elements.phone.value === '' && from.elements.phone.value !== '') {
    to.elements.phone.value = from.elements.phone.value;
  }
});

ui.smsButton({
  form: smsForm,
  button: document.getElementById('ls-send-code'),
  purpose: 'login',
  status: document.getElementById('ls-code-status')
});

// 423: "账号已锁定，约 15 分钟后解锁。"; 429: "…，请 30 秒后再试。"
function waitMessage(err) {
  var base = (err.message || '')
    .replace(/[。.！!]+$/, '')
    .replace(/[，,]?\s*请稍后(再试|重试)$/, '');
  if (err.retryAfter === null || err.retryAfter === undefined) {
    return base + '，请稍后再试。';
  }
  var left = ui.formatDuration(err.retryAfter);
  return err.status === 423 ? base + '，约 ' + left + '后解锁。'
                            : base + '，请 ' + left + '后再试。';
}

function login(form, fields) {
  ui.setBusy(form, true);
  api.post('/api/session', fields).then(function () {
    window.location.assign(ui.nextUrl('/account.html'));
  }, function (err) {
    ui.setBusy(form, false);
    if (err.status === 423 || err.status === 429) {
      // the account (or this client), not a field, is at fault
      ui.formError(form, waitMessage(err));
      return;
    }
    ui.showApiError(form, err);
    if (err.code === 'invalid_credentials' && form === pwForm) {
      form.elements.password.value = '';
      form.elements.password.focus();
    }
  });
}

pwForm.addEventListener('submit', function (ev) {
  ev.preventDefault();
  if (ui.isBusy(pwForm)) {
    return;
  }
  ui.hide(pwForm.querySelector('.form-error'));
  if (!ui.validate(pwForm, {
    phone: ui.rules.phone,
    password: ui.rules.currentPassword
  })) {
    return;
  }
  login(pwForm, {
    phone: ui.normalizePhone(pwForm.elements.phone.value),
    password: pwForm.elements.password.value
  });
});

smsForm.addEventListener('submit', function (ev) {
  ev.preventDefault();
  if (ui.isBusy(smsForm)) {
    return;
  }
  ui.hide(smsForm.querySelector('.form-error'));
  if (!ui.validate(smsForm, {
    phone: ui.rules.phone,
    sms_code: ui.rules.smsCode
  })) {
    return;
  }
  login(smsForm, {
    phone: ui.normalizePhone(smsForm.elements.phone.value),
    sms_code: smsForm.elements.sms_code.value.trim()
  });
});
