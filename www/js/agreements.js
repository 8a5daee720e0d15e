// The texts an applicant agrees to (GET /api/agreements/{code}): 用户申请条款
// (user_terms, on the apply page) and 《数字证书申请责任书》 (agreement, at
// 订单提交). Plain text, one paragraph per line, always put in as text.
import * as api from './api.js';
import { el, empty } from './ui/dom.js';
import * as dates from './dates.js';


// the current version, or version n
function load(code, version) {
  return api.get('/api/agreements/' + encodeURIComponent(code),
                 version ? { version: version } : undefined);
}

// the page that shows a text on its own (readable on a phone, printable)
function href(code, version) {
  return '/agreement.html?code=' + encodeURIComponent(code)
    + (version ? '&version=' + encodeURIComponent(version) : '');
}

// the body as paragraphs into node
function render(node, a) {
  empty(node);
  String(a.body || '').split(/\r?\n/).forEach(function (line) {
    if (line.trim()) {
      node.appendChild(el('p', null, line));
    }
  });
  return node;
}

// 第 2 版 · 2026-12-06 发布
function versionLine(a) {
  return '第 ' + a.version + ' 版 · ' + dates.day(a.published_at) + ' 发布';
}

export { load, href, render, versionLine };
