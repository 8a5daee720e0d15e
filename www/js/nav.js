// The header's account links: 登录 / 注册 for visitors (the page's own
// markup), or, once GET /api/me says who is logged in, seed 000's
// "欢迎您 … 退出": the masked phone linking to the account page and 退出,
// which ends the session (DELETE /api/session) and goes to the login page.
// On the home page it also fits the real-name notice to the visitor. On
// the account's pages it fills the 账号中心 menu
// (<nav id="account-menu">) with its links, the unread message count and
// the number of 我的申请 waiting for the applicant (drafts and rejected
// orders, /api/me's applications_count).
// setUnread(n) updates the counts after messages are read;
// logout() is 退出 (a promise, rejected with the API's error
// when the session could not be ended).
import * as api from './api.js';

  var nav = document.getElementById('account-nav');
  var menu = document.getElementById('account-menu');
  var notice = document.getElementById('realname-notice');

  // the 账号中心 menu; `also` are the pages that belong to an entry
  var MENU = [
    { href: '/account.html', text: '个人中心' },
    { href: '/applications.html', text: '我的申请', count: 'applications' },
    { href: '/orders.html', text: '我的订单', also: ['/order.html', '/order-edit.html'] },
    { href: '/addresses.html', text: '我的地址' },
    { href: '/messages.html', text: '我的消息', count: 'unread' },
    { href: '/invoice-titles.html', text: '我的发票抬头' }
  ];
  // the badges of each count, and what a screen reader hears after the number
  var counts = { unread: [], applications: [] };
  var COUNT_SAID = { unread: ' 条未读消息', applications: ' 份申请待填写或修改' };

  function badge(kind, n) {
    var b = document.createElement('span');
    b.className = 'count count-' + kind;
    var said = document.createElement('span');
    said.className = 'visually-hidden';
    said.textContent = COUNT_SAID[kind];
    b.appendChild(document.createTextNode(''));
    b.appendChild(said);
    counts[kind].push(b);
    setOne(b, n);
    return b;
  }

  function setOne(b, n) {
    b.firstChild.nodeValue = String(n);
    b.hidden = !(n > 0);
  }

  function setCount(kind, n) {
    counts[kind].forEach(function (b) { setOne(b, n); });
  }

  function setUnread(n) {
    setCount('unread', n);
  }

  function buildMenu() {
    var here = window.location.pathname;
    var list = document.createElement('ul');
    MENU.forEach(function (m) {
      var a = document.createElement('a');
      a.href = m.href;
      a.textContent = m.text;
      if (here === m.href || (m.also || []).indexOf(here) >= 0) {
        a.setAttribute('aria-current', 'page');
      }
      if (m.count) {
        a.appendChild(badge(m.count, 0));
      }
      var li = document.createElement('li');
      li.appendChild(a);
      list.appendChild(li);
    });
    menu.appendChild(list);
  }

  // 退出: the session ends on the server too; one already over is no error
  function logout() {
    function done() {
      api.forgetToken();
      window.location.replace('/login.html');
    }
    return api.del('/api/session').then(done, function (err) {
      if (err.status === 401) {
        done();
        return;
      }
      throw err;
    });
  }

  function showAccount(me) {
    var link = document.createElement('a');
    link.href = '/account.html';
    link.textContent = '欢迎您，' + (me.phone || '');
    link.appendChild(badge('unread', me.unread_messages));
    var out = document.createElement('button');
    out.type = 'button';
    out.className = 'btn-link logout';
    out.id = 'nav-logout';
    out.textContent = '退出';
    out.addEventListener('click', function () {
      if (out.disabled) {
        return;
      }
      out.disabled = true;
      logout().then(null, function (err) {
        out.disabled = false;
        window.alert(err.message || '退出失败，请稍后再试。');
      });
    });
    while (nav.firstChild) {
      nav.removeChild(nav.firstChild);
    }
    nav.appendChild(link);
    nav.appendChild(out);
  }

  function showNotice(me) {
    var verified = me.realname && me.realname.status === 'verified';
    notice.hidden = verified;
    if (!verified) {
      notice.textContent = '您尚未完成实名认证，办理数字证书前请先';
      var go = document.createElement('a');
      go.href = '/account.html';
      go.textContent = '前往个人中心完成实名认证';
      notice.appendChild(go);
      notice.appendChild(document.createTextNode('。'));
    }
  }

  if (menu) {
    buildMenu();
  }
  // no header links and no menu: nothing to ask
  (nav || menu ? api.mine('/api/me') : Promise.reject(null)).then(function (me) {
    if (nav) {
      showAccount(me);
    }
    setUnread(me.unread_messages);
    setCount('applications', me.applications_count);
    if (notice) {
      showNotice(me);
    }
  }, function () {
    // not logged in, or no answer: the links to log in stay
  });

export { setUnread, logout };
