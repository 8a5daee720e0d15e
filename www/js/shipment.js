// The order page's 物流状态 and 确认收货 (order.html; order.js calls it).
//
//   shipment.render(order)          the 物流状态 card from order.shipment
//       (shown in every state that has one: seed 002 reads it in 待开票):
//       express -- 快递公司, 运单号 with 查询物流 (the courier's own page,
//       in a new tab), 寄出时间; pickup -- 受理点, 地址, 电话, 营业时间,
//       自取时间; 收货时间 and 确认方式 once received. While the order's
//       actions include confirm_receipt: the 确认收货 button and seed 000's
//       note with the date it happens by itself (auto_confirm_on).
//   shipment.receipt({ url, confirmed(order), refused(err) })
//       wires 确认收货: a modal <dialog> asks 请确认已收到证书并核对无误
//       (focus on 取消, Esc closes it), then POST url(); confirmed gets the
//       order the server answers (now 待开票). A refusal the order itself
//       explains (401, 404, 409) closes the dialog and goes to refused;
//       any other is said in the dialog, to try again.
import * as api from './api.js';
import { hide, show } from './ui/errors.js';
import { el, facts } from './ui/dom.js';
import * as dates from './dates.js';


function $(id) {
  return document.getElementById(id);
}

var RECEIVED_BY = {
  applicant: '您已确认收货',
  system: '逾期未确认，系统自动确认收货',
  shipper: '受理点登记领取'
};

// the courier's tracking page, only as an https address
function trackingLink(s) {
  var u = null;
  try {
    u = new URL(String(s.tracking_url || ''), window.location.href);
  } catch (e) {
    u = null;
  }
  if (!u || u.protocol !== 'https:') {
    return null;
  }
  return el('a', { href: u.href, target: '_blank', rel: 'noopener noreferrer',
                   className: 'track-link' }, '查询物流',
            el('span', { className: 'visually-hidden' }, '（在新窗口打开快递公司网站）'));
}

function statusText(s, state) {
  if (s.received_at || s.picked_up_at) {
    return s.method === 'pickup' ? '已领取' : '已收货';
  }
  if (s.method === 'pickup') {
    return '待自取：请在营业时间内到受理点领取';
  }
  return state === 'shipped' ? '已寄出，运输中' : '已寄出';
}

function expressRows(s) {
  return [
    ['快递公司', s.courier_name || s.courier],
    ['运单号', s.tracking_no ? [el('span', { className: 'tracking-no' }, s.tracking_no), ' ',
                                 trackingLink(s)] : null],
    ['寄出时间', dates.time(s.shipped_at)],
    ['收货时间', dates.time(s.received_at)],
    ['确认方式', s.received_at ? RECEIVED_BY[s.received_by] || s.received_by : null]
  ];
}

// for a pickup, fetching the key is its receipt: 自取时间 says it
function pickupRows(s) {
  var p = s.pickup_point || {};
  return [
    ['受理点', p.name],
    ['地址', p.address],
    ['电话', p.phone],
    ['营业时间', p.hours],
    ['自取时间', dates.time(s.picked_up_at || s.received_at)],
    ['领取人', s.picked_up_by]
  ];
}

function render(order) {
  var s = order.shipment;
  $('shipment-card').hidden = !s;
  if (s) {
    facts($('shipment-facts'), [['物流状态', statusText(s, order.state)]]
      .concat(s.method === 'pickup' ? pickupRows(s) : expressRows(s)));
  }
  var can = (order.actions || []).indexOf('confirm_receipt') >= 0;
  $('act-receipt').hidden = !can;
  $('receipt-note').hidden = !can;
  $('receipt-note').textContent = '点击【确认收货】后电子发票会自动开出'
    + (s && s.auto_confirm_on
      ? '；未点击【确认收货】将于 ' + dates.day(s.auto_confirm_on) + ' 自动确认收货并开出电子发票。'
      : '。');
}

function receipt(o) {
  var dialog = $('receipt-dialog');
  var opener = $('act-receipt');
  var yes = $('receipt-confirm');
  var no = $('receipt-cancel');
  var busy = false;

  function setBusy(on) {
    busy = on;
    yes.disabled = on;
    no.disabled = on;
    yes.textContent = on ? '正在确认…' : '确认收货';
  }

  function close() {
    if (dialog.open) {
      dialog.close();
    }
  }

  function send() {
    setBusy(true);
    hide($('receipt-dialog-error'));
    api.post(o.url()).then(function (order) {
      setBusy(false);
      close();
      o.confirmed(order);
    }, function (err) {
      setBusy(false);
      if (err.status === 401 || err.status === 404 || err.status === 409) {
        close();
        o.refused(err);
        return;
      }
      show($('receipt-dialog-error'), err.message);
    });
  }

  opener.addEventListener('click', function () {
    if (typeof dialog.showModal !== 'function') {
      // no <dialog> here: the browser's own question
      if (window.confirm($('receipt-dialog-text').textContent)) {
        send();
      }
      return;
    }
    hide($('receipt-dialog-error'));
    dialog.showModal();
    no.focus();
  });
  yes.addEventListener('click', function () {
    if (!busy) {
      send();
    }
  });
  no.addEventListener('click', close);
  // Esc, or a click on the backdrop, closes it -- not while it is sending
  dialog.addEventListener('cancel', function (ev) {
    if (busy) {
      ev.preventDefault();
    }
  });
  dialog.addEventListener('click', function (ev) {
    var r = dialog.getBoundingClientRect();
    var outside = ev.clientX < r.left || ev.clientX > r.right
      || ev.clientY < r.top || ev.clientY > r.bottom;
    if (ev.target === dialog && outside && !busy) {
      close();
    }
  });
  // back to where the applicant was, if the button is still there
  dialog.addEventListener('close', function () {
    if (!opener.hidden) {
      opener.focus();
    }
  });
}

export { render, receipt };
