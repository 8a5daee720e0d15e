// The header's account links: 登录 / 注册 for visitors (the page's own
// markup), or the masked phone linking to the account page once GET /api/me
// says who is logged in. On the home page it also fits the real-name notice
// to the visitor. Needs /js/api.js.
(function () {
  'use strict';

  var nav = document.getElementById('account-nav');
  var notice = document.getElementById('realname-notice');
  if (!nav) {
    return;
  }

  CertHall.api.get('/api/me').then(function (me) {
    var link = document.createElement('a');
    link.href = '/account.html';
    link.textContent = '欢迎您，' + (me.phone || '');
    if (me.unread_messages > 0) {
      var badge = document.createElement('span');
      badge.className = 'count';
      badge.textContent = String(me.unread_messages);
      var said = document.createElement('span');
      said.className = 'visually-hidden';
      said.textContent = ' 条未读消息';
      badge.appendChild(said);
      link.appendChild(badge);
    }
    while (nav.firstChild) {
      nav.removeChild(nav.firstChild);
    }
    nav.appendChild(link);

    if (notice) {
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
  }, function () {
    // not logged in, or no answer: the links to log in stay
  });
})();
