// addresses.html, 我的地址: the account's delivery addresses (收件人, 手机号码,
// 所在地区, 详细地址, 邮编; one default), through CertHall.listEditor.
(function () {
  'use strict';

  var ui = CertHall.ui, el = ui.el;

  CertHall.listEditor({
    prefix: 'address',
    path: '/api/addresses',
    key: 'addresses',
    noun: '地址',
    fields: ['recipient', 'mobile', 'region', 'detail', 'postal_code'],
    checks: {
      recipient: ui.rules.text('收件人', 2, 50),
      mobile: ui.rules.phone,
      region: ui.rules.text('所在地区', 2, 60),
      postal_code: function (v) {
        return v.trim() === '' || /^\d{6}$/.test(v.trim()) ? null : '邮编应为 6 位数字。';
      },
      detail: ui.rules.text('详细地址', 2, 120)
    },
    prepare: function (body) {
      body.mobile = ui.normalizePhone(body.mobile);
    },
    describe: function (a) {
      return [el('strong', null, a.recipient + ' ' + a.mobile),
              el('span', { className: 'sub' },
                 [a.region, a.detail, a.postal_code].filter(Boolean).join(' '))];
    }
  });
})();
