// 获取验证码: sends the code for the form's phone; counts down resend_in
// (or Retry-After on 429) before it can be pressed again.
//   smsButton({ form, button, purpose: 'register' | 'login' | 'reset',
//               status })   status: where "sent to 138****0001" goes
//                           (role="status")
import * as api from '../api.js';
import { field } from './forms.js';
import { rules, normalizePhone } from './rules.js';
import { show, hide, fieldError, clearField, showApiError } from './errors.js';

export function smsButton(o) {
  const btn = o.button;
  const label = btn.textContent;
  let until = 0, timer = null, sending = false, sent = false;

  function tick() {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left > 0) {
      btn.disabled = true;
      btn.textContent = left + ' 秒后重新获取';
      // wake just after the shown number changes
      timer = window.setTimeout(tick, (until - Date.now()) % 1000 + 20);
    } else {
      timer = null;
      btn.disabled = false;
      btn.textContent = sent ? '重新获取' : label;
    }
  }

  function countdown(seconds) {
    window.clearTimeout(timer);
    until = Date.now() + seconds * 1000;
    tick();
  }

  btn.addEventListener('click', function () {
    if (sending || timer) {
      return;
    }
    const phone = field(o.form, 'phone');
    const code = field(o.form, 'sms_code');
    const formTop = o.form.querySelector('.form-error');
    if (formTop) {
      hide(formTop);
    }
    const problem = rules.phone(phone.value);
    if (problem) {
      fieldError(phone, problem);
      phone.focus();
      return;
    }
    clearField(phone);
    sending = true;
    btn.disabled = true;
    btn.textContent = '发送中…';
    api.post('/api/sms-codes', {
      phone: normalizePhone(phone.value),
      purpose: o.purpose
    }).then(function (r) {
      sending = false;
      sent = true;
      if (o.status) {
        const minutes = Math.round((r && r.expires_in || 300) / 60);
        show(o.status, '验证码已发送至 ' + (r && r.phone || '您的手机')
             + '，' + minutes + ' 分钟内有效。');
      }
      countdown(r && r.resend_in > 0 ? r.resend_in : 60);
      if (code) {
        code.focus();
      }
    }, function (err) {
      sending = false;
      if (o.status) {
        o.status.textContent = '';   // a live region: emptied, never hidden
      }
      if (err.status === 429) {
        countdown(err.retryAfter > 0 ? err.retryAfter : 60);
      } else {
        btn.disabled = false;
        btn.textContent = sent ? '重新获取' : label;
      }
      if (err.field === 'purpose') {
        err.field = null;
      }
      showApiError(o.form, err);
    });
  });
}
