// Building the page from data, never with innerHTML: text goes in as
// text. el() and append() make nodes, fill() a list anew; facts() a
// <dl class="facts">; choice() a radio button in its box; stateBadge()
// an order's state; missingList() what an order still lacks, with links
// to its steps; listNotice() a notice over such a list.
import { STEP_OF } from './format.js';

// el('a', { href: '/x', className: 'btn', 'aria-label': '…' }, 'text', node)
// -- names with a hyphen are attributes, others properties; children are
// nodes or text (null, undefined and false left out; arrays flattened)
export function el(tag, props, ...kids) {
  const node = document.createElement(tag);
  Object.keys(props || {}).forEach(function (k) {
    if (k.indexOf('-') > 0) {
      node.setAttribute(k, props[k]);
    } else {
      node[k] = props[k];
    }
  });
  return append(node, kids);
}

export function append(node, kids) {
  kids.forEach(function (k) {
    if (Array.isArray(k)) {
      append(node, k);
    } else if (k !== null && k !== undefined && k !== false) {
      node.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
    }
  });
  return node;
}

export function empty(node) {
  while (node.firstChild) {
    node.removeChild(node.firstChild);
  }
  return node;
}

// a list (or a table's body) made anew: one child a item, make(item)
export function fill(node, items, make) {
  return append(empty(node), items.map(function (item) { return make(item); }));
}

// a notice box that says intro over a list of the items, or is emptied
// and hidden when there are none; list(items) makes the list, by default
// <ul class="missing"> of the items as text:
//   listNotice($('summary-missing'), '提交前还需完成：', todo, missingList)
export function listNotice(box, intro, items, list) {
  empty(box).hidden = items.length === 0;
  if (items.length) {
    append(box, [intro, (list || textList)(items)]);
  }
  return box;
}

function textList(items) {
  return el('ul', { className: 'missing' }, items.map(function (t) { return el('li', null, t); }));
}

// a <dl class="facts">'s rows: [[label, text or node], ...]; a row that
// is null, or whose value is null, undefined or '', is left out
export function facts(dl, rows) {
  empty(dl);
  rows.forEach(function (row) {
    if (row && row[1] !== null && row[1] !== undefined && row[1] !== '') {
      append(dl, [el('dt', null, row[0]), el('dd', null, row[1])]);
    }
  });
  return dl;
}

// one radio button of a group and its label, as a box:
//   choice({ name, id, value, checked, disabled, describedBy }, kids...)
export function choice(o, ...kids) {
  return el('div', { className: 'choice' },
    el('input', { type: 'radio', name: o.name, id: o.id, value: String(o.value),
                  checked: !!o.checked, disabled: !!o.disabled,
                  'aria-describedby': o.describedBy }),
    el('label', { htmlFor: o.id }, kids));
}

// an order's state as a badge: 待支付
export function stateBadge(state, name) {
  return el('span', { className: 'badge badge-state badge-' + String(state || 'none') },
            name || state || '');
}

// what an order still lacks, each with a link to the step that does it
// (href(step) makes the address; none to the step `here`):
// <ul class="missing"><li>请重新上传营业执照（去上传）</li>…</ul>
export function missingList(items, href, here) {
  return el('ul', { className: 'missing' }, items.map(function (m) {
    const step = STEP_OF[m.item];
    const go = step === 2 ? '去上传' : '去填写';
    // each link says what it is for, not only 去上传 six times over
    return el('li', null, m.message || m.item,
      step && step !== here
        ? ['（', el('a', { href: href(step), 'data-step': String(step),
                          'aria-label': go + '：' + (m.message || m.item) }, go), '）']
        : null);
  }));
}
