// agreement.html?code=…[&version=N]: one of the texts an applicant agrees
// to (用户申请条款, 数字证书申请责任书), the current version or an earlier
// one, to read on its own (a phone, a new tab from the apply and submit
// steps) and to print.
import { append, el, empty } from './ui/dom.js';
import { loadFailed, param } from './ui/page.js';
import * as agreements from './agreements.js';
import './nav.js';


function $(id) {
  return document.getElementById(id);
}

var code = param('code') || '';
var version = param('version');

function show(a) {
  document.title = a.title + ' - 在线服务厅';
  $('agreement-title').textContent = a.title;
  $('agreement-version').textContent = '《' + a.name + '》' + agreements.versionLine(a);
  if (a.current_version && a.version !== a.current_version) {
    append(empty($('agreement-old')), [
      '这是历史版本，当前为第 ' + a.current_version + ' 版：',
      el('a', { href: agreements.href(a.code) }, '查看当前版本'), '。']);
    $('agreement-old').hidden = false;
  }
  agreements.render($('agreement-body'), a);
  $('agreement-loading').hidden = true;
  $('agreement').hidden = false;
}

$('agreement-print').addEventListener('click', function () {
  window.print();
});
// opened from a step of the application in a tab of its own
if (window.opener) {
  $('agreement-close').hidden = false;
  $('agreement-close').addEventListener('click', function () {
    window.close();
  });
}

if (!/^[a-z][a-z0-9_]{0,31}$/.test(code)
    || (version !== null && !/^[1-9][0-9]{0,5}$/.test(version))) {
  loadFailed($('agreement-loading'))({ message: '协议不存在。' });
} else {
  agreements.load(code, version).then(show, loadFailed($('agreement-loading')));
}
