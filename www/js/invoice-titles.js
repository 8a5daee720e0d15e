// invoice-titles.html, 我的发票抬头: the account's invoice titles (抬头类型
// 单位/个人, 发票抬头, 纳税人识别号; one default), through
// listEditor.
import { rules } from './ui/rules.js';
import { el } from './ui/dom.js';
import { listEditor } from './list-editor.js';
import './nav.js';


var TYPES = { org: '单位', personal: '个人' };

listEditor({
  prefix: 'title',
  path: '/api/invoice-titles',
  key: 'invoice_titles',
  noun: '发票抬头',
  fields: ['title_type', 'title', 'taxpayer_id'],
  checks: {
    title_type: rules.chosen('title_type', '请选择抬头类型。'),
    title: rules.field('org_title', 'title'),
    taxpayer_id: rules.taxpayerId
  },
  prepare: function (body) {
    body.taxpayer_id = body.taxpayer_id.toUpperCase();
  },
  describe: function (t) {
    return [el('strong', null, t.title),
            el('span', { className: 'sub' }, (TYPES[t.title_type] || t.title_type)
               + (t.taxpayer_id ? ' · 纳税人识别号 ' + t.taxpayer_id : ''))];
  }
});
