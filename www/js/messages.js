// messages.html, 我的消息: GET /api/messages, newest first, the unread ones
// marked; clicking a message marks it read (POST /api/messages/{id}/read),
// and its 查看订单 link goes on to the order once that is done; 全部标为已读
// (POST /api/messages/read-all). The page number is in the address. The
// unread count shows here and in the menus (nav.js's setUnread).
import * as api from './api.js';
import { hide, show } from './ui/errors.js';
import { el, fill } from './ui/dom.js';
import { loadFailed, param, toLogin } from './ui/page.js';
import { pager } from './ui/pager.js';
import * as dates from './dates.js';
import * as nav from './nav.js';


function $(id) {
  return document.getElementById(id);
}

var PER_PAGE = 20;
var page = Math.max(1, parseInt(param('page'), 10) || 1);
var messages = [];

function setUnread(n) {
  $('messages-unread').textContent = n > 0 ? '您有 ' + n + ' 条未读消息。' : '没有未读消息。';
  $('read-all').hidden = !(n > 0);
  nav.setUnread(n);
}

function failed(err) {
  if (err.status === 401) {
    toLogin();
  } else {
    show($('messages-error'), err.message);
  }
}

function item(m) {
  return el('li', { className: m.read ? 'read' : 'unread', 'data-id': String(m.id) },
    el('h3', null,
       m.read ? null : [el('span', { className: 'badge badge-unread' }, '未读'), ' '],
       m.title,
       el('time', { dateTime: m.created_at || '' }, dates.time(m.created_at))),
    el('p', null, m.body),
    m.order_id || !m.read ? el('p', { className: 'item-actions' },
      m.order_id ? el('a', { href: '/order.html?id=' + encodeURIComponent(m.order_id) },
                      '查看订单 ' + m.order_id) : null,
      m.read ? null : el('button', { type: 'button', className: 'btn-link' }, '标为已读'))
      : null);
}

function render() {
  fill($('messages-list'), messages, item);
}

function markRead(m) {
  if (m.read || m.pending) {
    return Promise.resolve();
  }
  m.pending = true;
  hide($('messages-error'));
  return api.post('/api/messages/' + encodeURIComponent(m.id) + '/read').then(function (r) {
    m.pending = false;
    m.read = true;
    render();
    setUnread(r.unread);
  }, function (err) {
    m.pending = false;
    failed(err);
  });
}

$('messages-list').addEventListener('click', function (ev) {
  var li = ev.target.closest && ev.target.closest('li[data-id]');
  var m = li && messages.filter(function (x) { return String(x.id) === li.getAttribute('data-id'); })[0];
  if (!m || m.read) {
    return;     // a read message's link just goes
  }
  var link = ev.target.closest('a[href]');
  if (link && ev.button === 0 && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey) {
    ev.preventDefault();
    markRead(m).then(function () {
      window.location.assign(link.href);
    });
    return;
  }
  markRead(m);
});

$('read-all').addEventListener('click', function () {
  var btn = this;
  btn.disabled = true;
  hide($('messages-error'));
  api.post('/api/messages/read-all').then(function () {
    btn.disabled = false;
    messages.forEach(function (m) { m.read = true; });
    render();
    setUnread(0);
  }, function (err) {
    btn.disabled = false;
    failed(err);
  });
});

api.mine('/api/messages', { page: page, per_page: PER_PAGE }).then(function (r) {
  messages = (r && r.messages) || [];
  $('messages-loading').hidden = true;
  $('messages-empty').hidden = messages.length > 0;
  render();
  setUnread(r.unread);
  pager($('messages-pager'), r, function (n) {
    return '/messages.html' + (n > 1 ? '?page=' + n : '');
  });
}, loadFailed($('messages-loading')));
