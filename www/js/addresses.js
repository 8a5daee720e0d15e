// addresses.html, 我的地址: the account's delivery addresses (收件人, 手机号码,
// 所在地区, 详细地址, 邮编; one default), through listEditor.
import * as ui from './ui.js';
import { listEditor } from './list-editor.js';
import './nav.js';

const el = ui.el;

listEditor({
  prefix: 'address',
  path: '/api/addresses',
  key: 'addresses',
  noun: '地址',
  fields: ['recipient', 'mobile', 'region', 'detail', 'postal_code'],
  checks: {
    recipient: ui.rules.field('address', 'recipient'),
    mobile: ui.rules.field('address', 'mobile'),
    region: ui.rules.field('address', 'region'),
    postal_code: ui.rules.field('address', 'postal_code'),
    detail: ui.rules.field('address', 'detail')
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
