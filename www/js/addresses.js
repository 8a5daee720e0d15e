// addresses.html, 我的地址: the account's delivery addresses (收件人, 手机号码,
// 所在地区, 详细地址, 邮编; one default), through listEditor.
import { normalizePhone, rules } from './ui/rules.js';
import { el } from './ui/dom.js';
import { listEditor } from './list-editor.js';
import './nav.js';


listEditor({
  prefix: 'address',
  path: '/api/addresses',
  key: 'addresses',
  noun: '地址',
  fields: ['recipient', 'mobile', 'region', 'detail', 'postal_code'],
  checks: {
    recipient: rules.field('address', 'recipient'),
    mobile: rules.field('address', 'mobile'),
    region: rules.field('address', 'region'),
    postal_code: rules.field('address', 'postal_code'),
    detail: rules.field('address', 'detail')
  },
  prepare: function (body) {
    body.mobile = normalizePhone(body.mobile);
  },
  describe: function (a) {
    return [el('strong', null, a.recipient + ' ' + a.mobile),
            el('span', { className: 'sub' },
               [a.region, a.detail, a.postal_code].filter(Boolean).join(' '))];
  }
});
