// login.html: two ways in, as tabs -- 账号密码 (phone + password) and
// 短信验证码 (phone + SMS code) -- both POST /api/session; then on to ?next=
// or the account page. 423 (locked) and 429 say how long to wait.
import * as api from './api.js';
import { normalizePhone, rules } from './ui/rules.js';
import { formError, initForm, onSubmit, showApiError } from './ui/errors.js';
import { setBusy } from './ui/busy.js';
import { smsButton } from './ui/sms.js';
import { tabs } from './ui/tabs.js';
import { clause, formatDuration } from './ui/format.js';
import { goOn, keepNext, leaveIfLoggedIn } from './ui/next.js';
import './nav.js';

var pwForm = initForm(document.getElementById('login-password-form'));
var smsForm = initForm(document.getElementById('login-sms-form'));

keepNext();
leaveIfLoggedIn();

// the phone typed on one tab is there on the other
tabs(document.querySelector('[role="tablist"]'), function (tab) {
  var to = tab.id === 'tab-sms' ? smsForm : pwForm;
  var from = to === smsForm ? pwForm : smsForm;
  if (to.elements.phone.value === '' && from.elements.phone.value !== '') {
    to.elements.phone.value = from.elements.phone.value;
  }
});

smsButton({
  form: smsForm,
  button: document.getElementById('ls-send-code'),
  purpose: 'login',
  status: document.getElementById('ls-code-status')
});

// 423: "账号已锁定，约 15 分钟后解锁。"; 429: "…，请 30 秒后再试。"
function waitMessage(err) {
  var base = clause(err.message)
    .replace(/[，,]?\s*请稍后(再试|重试)$/, '');
  if (err.retryAfter === null || err.retryAfter === undefined) {
    return base + '，请稍后再试。';
  }
  var left = formatDuration(err.retryAfter);
  return err.status === 423 ? base + '，约 ' + left + '后解锁。'
                            : base + '，请 ' + left + '后再试。';
}

function login(form, fields) {
  setBusy(form, true);
  api.post('/api/session', fields).then(function () {
    goOn();
  }, function (err) {
    setBusy(form, false);
    if (err.status === 423 || err.status === 429) {
      // the account (or this client), not a field, is at fault
      formError(form, waitMessage(err));
      return;
    }
    showApiError(form, err);
    if (err.code === 'invalid_credentials' && form === pwForm) {
      form.elements.password.value = '';
      form.elements.password.focus();
    }
  });
}

onSubmit(pwForm, {
  phone: rules.phone,
  password: rules.currentPassword
}, function () {
  login(pwForm, {
    phone: normalizePhone(pwForm.elements.phone.value),
    password: pwForm.elements.password.value
  });
});

onSubmit(smsForm, {
  phone: rules.phone,
  sms_code: rules.smsCode
}, function () {
  login(smsForm, {
    phone: normalizePhone(smsForm.elements.phone.value),
    sms_code: smsForm.elements.sms_code.value.trim()
  });
});
