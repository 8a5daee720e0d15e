// Step 2 of order-edit.html, 资料上传: the order's materials, each
// uploaded with POST …/materials/{kind}, shown, replaced or deleted
// through upload.js, the 《申请表》 to print beside its own; for a rejected
// order the files the reviewer named; 下一步 once every required one is
// there (the order's `missing` says the same for a draft). After an
// upload or a deletion the order is read again (reload()).
import * as api from '../api.js';
import { hide, show } from '../ui/errors.js';
import { el, empty, listNotice } from '../ui/dom.js';
import * as upload from '../upload.js';
import { state, flow, $, path, leftForLogin } from './state.js';
import { go, onShow } from './steps.js';


// the materials whose 《申请表》 is printed here
const FORMS = ['application_form', 'replacement_form'];

let widgets = null;       // upload.material by kind
let refreshing = 0;       // the latest reload of the order after an upload

// the order's own entry of a kind (a reload replaces the objects)
function materialOf(kind) {
  return (state.order.materials || []).filter(function (m) { return m.kind === kind; })[0] || {};
}

function materialsKey() {
  return (state.order.materials || []).map(function (m) { return m.kind; }).join(' ');
}

// the 《申请表》 to print beside its material: only once the information
// it is filled in from is saved
function printLink(m, slot) {
  empty(slot);
  if (state.order.info) {
    slot.appendChild(el('a', { href: path('/application-form'), target: '_blank', rel: 'noopener' },
                        '《' + m.kind_name + '》',
                        el('span', { className: 'visually-hidden' }, '（在新窗口打开，打印后签字上传）')));
  } else {
    slot.textContent = '（保存基本信息后可打印预填好的《' + m.kind_name + '》）';
  }
}

// the widgets are made once for the order (an upload goes on while
// another step is shown); later renders give them the order's files
export function renderMaterials() {
  const order = state.order;
  const list = $('materials');
  if (!Array.isArray(order.materials)) {
    empty(list);
    widgets = null;
    list.appendChild(el('li', null, '资料清单暂时无法加载，请稍后刷新页面。'));
  } else if (!widgets || widgets.key !== materialsKey()) {
    empty(list);
    widgets = { key: materialsKey(), byKind: {} };
    order.materials.forEach(function (m) {
      const slot = FORMS.indexOf(m.kind) >= 0 ? el('span', { className: 'print-form' }) : null;
      const w = upload.material({
        material: m,
        url: path('/materials/' + encodeURIComponent(m.kind)),
        editable: true,
        deletable: true,
        extra: slot,
        uploaded: function (file) {
          materialOf(m.kind).file = file;
          materialsChanged();
        },
        deleted: function (answer) {
          if (answer && Array.isArray(answer.materials)) {
            state.order.materials = answer.materials;
          }
          materialOf(m.kind).file = null;
          materialsChanged();
        },
        refused: function (err) {
          if (err.status === 409 || err.code === 'order_not_found'
              || err.code === 'no_such_material') {
            reload();     // no longer editable, gone, or asking otherwise: show it
          }
        }
      });
      w.slot = slot;
      widgets.byKind[m.kind] = w;
      list.appendChild(w.node);
    });
    if (!order.materials.length) {
      list.appendChild(el('li', null, '此业务无需上传资料。'));
    }
  } else {
    order.materials.forEach(function (m) {
      const w = widgets.byKind[m.kind];
      if (!w.busy()) {
        w.set(m.file);
      }
    });
  }
  if (widgets) {
    order.materials.forEach(function (m) {
      const w = widgets.byKind[m.kind];
      if (w.slot) {
        printLink(m, w.slot);
      }
    });
  }
  renderMissingMaterials();
}

// the required materials not uploaded: from the materials themselves (a
// rejected order has no `missing`), with what `missing` adds
function missingMaterials() {
  const order = state.order;
  const out = [], seen = {};
  (order.materials || []).forEach(function (m) {
    if (m.required && !m.file) {
      seen[m.kind] = true;
      out.push({ kind: m.kind, message: '请上传' + m.kind_name });
    }
  });
  (order.missing || []).forEach(function (x) {
    if (x.item === 'material' && !seen[x.kind]) {
      const m = (order.materials || []).filter(function (y) { return y.kind === x.kind; })[0];
      if (!m || !m.file) {
        seen[x.kind] = true;
        out.push({ kind: x.kind, message: x.message });
      }
    }
  });
  return out;
}

// a rejected order: the files the reviewer named, not uploaded again yet
function renderReupload() {
  const order = state.order;
  const rs = order.state === 'rejected' ? order.resubmission : null;
  const kinds = ((rs && rs.rejection && rs.rejection.kinds) || []).filter(function (k) {
    return !k.replaced;
  });
  listNotice($('materials-reupload'), '审核要求重新上传以下资料，请上传新的文件：',
             kinds.map(function (k) { return k.kind_name; }));
}

function renderMissingMaterials() {
  renderReupload();
  const todo = missingMaterials();
  listNotice($('materials-missing'), '以下资料上传后才能进行下一步：',
             todo.map(function (x) { return x.message; }));
  const next = $('materials-next');
  if (todo.length) {
    next.setAttribute('aria-disabled', 'true');
  } else {
    next.removeAttribute('aria-disabled');
    hide($('materials-error'));
  }
  return todo;
}

$('materials-next').addEventListener('click', function () {
  if (!state.order) {
    return;
  }
  const todo = renderMissingMaterials();
  if (!todo.length) {
    go(3);
    return;
  }
  show($('materials-error'), '请先上传全部带 * 号的资料（还差 ' + todo.length + ' 项）。');
  const w = widgets && widgets.byKind[todo[0].kind];
  if (w && w.input) {
    w.input.focus();
  }
});

// after an upload or a deletion: the list again, then the order as the
// server has it now (its `missing`, its state); an older reload that
// answers after a newer one is left out
function materialsChanged() {
  renderMissingMaterials();
  reload();
}

function reload() {
  const mine = ++refreshing;
  api.mine(path()).then(function (o) {
    if (mine !== refreshing) {
      return;
    }
    state.order = o;
    if ((o.actions || []).indexOf('edit') < 0) {
      flow.render();            // no longer editable: say so
    } else {
      flow.renderHead();        // the forms of the other steps keep what is typed
      renderMaterials();
    }
  }, leftForLogin);
}

onShow(2, renderMaterials);
