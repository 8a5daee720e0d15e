// applications.html, 我的申请 (seed 000's account menu, next to 我的订单):
// GET /api/applications, the applications still in the applicant's hands
// -- drafts being filled in and rejected orders waiting for a correction
// -- most recently changed first, paged (?page= in the address). Each shows
// its business, state, when it was last changed, what is still missing
// (the server's messages, each with a link to its step), the rejection's
// reason, and 继续填写 / 修改后重新提交 (its continue_url). Submitted
// orders are in 我的订单 (orders.html).
import * as api from './api.js';
import { el, fill, missingList, stateBadge } from './ui/dom.js';
import { stateName } from './ui/format.js';
import { loadFailed, param } from './ui/page.js';
import { pager } from './ui/pager.js';
import * as dates from './dates.js';
import './nav.js';


function $(id) {
  return document.getElementById(id);
}

var PER_PAGE = 20;
var page = Math.max(1, parseInt(param('page'), 10) || 1);

// where to continue: the server's link when it stays on this site, else
// the steps page of the order
function continueUrl(a) {
  var u = String(a.continue_url || '');
  return /^\/(?!\/)/.test(u) ? u : '/order-edit.html?id=' + encodeURIComponent(a.id);
}

function stepUrl(a, step) {
  var u = continueUrl(a);
  return u + (u.indexOf('?') >= 0 ? '&' : '?') + 'step=' + step;
}

// what is missing, or that nothing is: the next step is then the last
function todo(a, rejected) {
  var missing = Array.isArray(a.missing) ? a.missing : [];
  if (!missing.length) {
    return el('p', { className: 'allowed' }, rejected
      ? '需要修改的资料已更新，可以重新提交。' : '信息已填写完整，可以提交订单。');
  }
  return el('div', { className: 'app-missing' },
    el('p', null, rejected ? '重新提交前还需完成：' : '提交前还需完成：'),
    missingList(missing, function (step) { return stepUrl(a, step); }));
}

function item(a) {
  var rejected = a.state === 'rejected';
  var r = a.rejection || null;
  var titleId = 'app-' + a.id;
  return el('li', { className: 'application' },
    el('article', { 'aria-labelledby': titleId },
      el('div', { className: 'app-head' },
        el('h2', { id: titleId }, a.business || a.project_name || a.id),
        stateBadge(a.state, stateName(a.state, a.state_name))),
      el('p', { className: 'app-meta' },
        '订单号 ', el('span', { className: 'order-id' }, a.id),
        a.name ? '　' + a.name : null,
        '　创建于 ', el('time', { dateTime: a.created_at || '' }, dates.day(a.created_at)),
        a.updated_at ? ['，最近修改 ', el('time', { dateTime: a.updated_at }, dates.time(a.updated_at))]
          : null),
      rejected ? el('p', { className: 'notice down' },
        '审核未通过' + (r && r.at ? '（' + dates.day(r.at) + '）' : '')
          + (r && r.reason ? '：' + r.reason : '。')) : null,
      todo(a, rejected),
      el('div', { className: 'form-actions' },
        el('a', { className: 'btn btn-primary', href: continueUrl(a) },
           rejected ? '修改后重新提交' : '继续填写'),
        el('a', { href: '/order.html?id=' + encodeURIComponent(a.id),
                  'aria-label': '查看订单 ' + a.id }, '查看订单'))));
}

function render(r) {
  var apps = (r && r.applications) || [];
  fill($('apps-list'), apps, item);
  $('apps-loading').hidden = true;
  $('apps-empty').hidden = apps.length > 0;
  pager($('apps-pager'), r, function (p) {
    return '/applications.html' + (p > 1 ? '?page=' + p : '');
  });
}

api.mine('/api/applications', { page: page, per_page: PER_PAGE })
  .then(render, loadFailed($('apps-loading')));
