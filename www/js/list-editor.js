// list-editor.js, listEditor(o): the pages of the account's own lists, 我的地址 and
// 我的发票抬头 -- the list (GET path, default first), each item with 编辑,
// 删除 (after a confirm()) and 设为默认, and one form that adds an item
// (POST path) or edits the one chosen (PUT path/{id}).
//
//   listEditor({
//     prefix: 'address',          // the page's elements: address-form,
//                                 // -list, -empty, -loading, -saved,
//                                 // -form-title, -cancel, -back
//     path: '/api/addresses', key: 'addresses', noun: '地址',
//     fields: ['recipient', ...], // what the form holds (and a PUT sends)
//     checks: { recipient: rule, ... },           // as ui.validate takes
//     prepare: function (body) { ... },           // optional
//     describe: function (item) { return [nodes]; }
//   });
import * as api from './api.js';
import { fillForm, values } from './ui/forms.js';
import { clearErrors, initForm, onSubmit, show, showApiError } from './ui/errors.js';
import { setBusy } from './ui/busy.js';
import { el, empty } from './ui/dom.js';
import { nextUrl } from './ui/next.js';
import { loadFailed, toLogin } from './ui/page.js';


function listEditor(o) {
  function $(name) {
    return document.getElementById(o.prefix + '-' + name);
  }

  var form = initForm($('form'));
  var items = [];
  var editing = null;     // the item in the form, or null: a new one

  function failed(where) {
    return function (err) {
      if (err.status === 401) {
        toLogin();
      } else {
        where(err);
      }
    };
  }

  function said(text) {
    show($('saved'), text);
  }

  function render() {
    var list = empty($('list'));
    items.forEach(function (item) {
      list.appendChild(el('li', null,
        el('div', null, o.describe(item),
           item.is_default ? el('span', { className: 'badge badge-default' }, '默认') : null),
        el('div', { className: 'item-actions' },
           item.is_default ? null : el('button', { type: 'button', className: 'btn btn-secondary btn-small',
                                                   'data-action': 'default', value: String(item.id) }, '设为默认'),
           el('button', { type: 'button', className: 'btn btn-secondary btn-small',
                          'data-action': 'edit', value: String(item.id) }, '编辑'),
           el('button', { type: 'button', className: 'btn btn-secondary btn-small',
                          'data-action': 'delete', value: String(item.id) }, '删除'))));
    });
    $('loading').hidden = true;
    $('empty').hidden = items.length > 0;
  }

  function load() {
    return api.mine(o.path).then(function (r) {
      items = (r && r[o.key]) || [];
      render();
    }, loadFailed($('loading')));
  }

  function edit(item) {
    editing = item;
    clearErrors(form);
    form.reset();
    if (item) {
      fillForm(form, item, o.fields.concat('is_default'));
    }
    $('form-title').textContent = (item ? '编辑' : '新增') + o.noun;
    $('cancel').hidden = !item;
  }

  function itemPath(item) {
    return o.path + '/' + encodeURIComponent(item.id);
  }

  function makeDefault(item) {
    var body = { is_default: 1 };
    o.fields.forEach(function (k) {
      if (item[k] !== null && item[k] !== undefined) {
        body[k] = item[k];
      }
    });
    return api.put(itemPath(item), body).then(function () {
      said('已设为默认' + o.noun + '。');
      return load();
    }, failed(function (err) { said(err.message); }));
  }

  function remove(item) {
    if (!window.confirm('确定删除这个' + o.noun + '吗？')) {
      return null;
    }
    return api.del(itemPath(item)).then(function () {
      if (editing && editing.id === item.id) {
        edit(null);
      }
      said('已删除。');
      return load();
    }, failed(function (err) { said(err.message); }));
  }

  $('list').addEventListener('click', function (ev) {
    var btn = ev.target.closest && ev.target.closest('button[data-action]');
    var item = btn && items.filter(function (x) { return String(x.id) === btn.value; })[0];
    if (!item || btn.disabled) {
      return;
    }
    var action = btn.getAttribute('data-action');
    $('saved').hidden = true;
    if (action === 'edit') {
      edit(item);
      $('form-title').focus();
      return;
    }
    btn.disabled = true;
    var done = action === 'default' ? makeDefault(item) : remove(item);
    Promise.resolve(done).then(function () { btn.disabled = false; });
  });

  $('cancel').addEventListener('click', function () {
    edit(null);
  });

  onSubmit(form, o.checks, function () {
    $('saved').hidden = true;
    var body = values(form);
    if (o.prepare) {
      o.prepare(body);
    }
    setBusy(form, true);
    var req = editing ? api.put(itemPath(editing), body) : api.post(o.path, body);
    req.then(function () {
      setBusy(form, false);
      said('已保存。');
      edit(null);
      load();
    }, failed(function (err) {
      setBusy(form, false);
      showApiError(form, err);
    }));
  });

  // come from a step of an order (?next=): the way back
  var back = nextUrl(null);
  if (back) {
    $('back').hidden = false;
    $('back').querySelector('a').href = back;
  }
  edit(null);
  load();
}

export { listEditor };
