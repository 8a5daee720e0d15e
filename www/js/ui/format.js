// Values as the applicant's pages say them: money in yuan, durations,
// 证书剩余天数, an order's state and its events, a reason quoted in a
// sentence (clause), a rejected order's notice, an address, a pickup point, an order's delivery read one way,
// and which step of order-edit.html does each missing item. Pure: no DOM.

// "59 秒", "5 分钟", "1 小时 20 分钟" (rounded up: never promise too early)
export function formatDuration(seconds) {
  seconds = Math.max(0, Math.ceil(seconds));
  if (seconds < 60) {
    return seconds + ' 秒';
  }
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) {
    return minutes + ' 分钟';
  }
  const h = Math.floor(minutes / 60), m = minutes % 60;
  return h + ' 小时' + (m ? ' ' + m + ' 分钟' : '');
}

function two(n) {
  return (n < 10 ? '0' : '') + n;
}

// money is integer fen in JSON: 30000 -> "¥300.00"; "—" when there is none
export function yuan(fen) {
  if (typeof fen !== 'number' || !isFinite(fen)) {
    return '—';
  }
  const abs = Math.abs(Math.round(fen));
  return (fen < 0 ? '-' : '') + '¥' + Math.floor(abs / 100) + '.' + two(abs % 100);
}

// 证书剩余天数: "730天", or "已过期 5 天" (negative once expired)
export function remainingDays(days) {
  if (typeof days !== 'number') {
    return '—';
  }
  return days >= 0 ? days + '天' : '已过期 ' + (-days) + ' 天';
}

// a state as the applicant's pages say it (the back office keeps the
// staff's names): seed 000's 资料待审核 for pending_review, 待自取 for a
// pickup awaiting it, else the name the server gave
const APPLICANT_STATE_NAMES = { pending_review: '资料待审核' };

export function stateName(state, name, deliveryMethod) {
  if (state === 'pending_shipment' && deliveryMethod === 'pickup') {
    return '待自取';
  }
  return APPLICANT_STATE_NAMES[state] || name || state || '';
}

// what an event's note is, by its transition: the courier and tracking
// number of a shipment, who fetched a pickup, else the reason given
const NOTE_LABELS = { ship: '快递', pick_up: '自取' };

export function eventNote(e) {
  return e && e.reason ? (NOTE_LABELS[e.action] || '原因') + '：' + e.reason : '';
}

// a sentence to go on after, as in '…未通过：' + clause(reason) + '。':
// its end punctuation and blanks dropped ("金额不符。" -> "金额不符")
export function clause(text) {
  return String(text || '').replace(/[。.！!；;，,\s]+$/, '');
}

// a rejected order's notice: the reason of its last rejection (timeline)
export function rejectedText(order) {
  const events = (order.timeline || []).filter(function (e) { return e.to === 'rejected'; });
  const reason = events.length ? events[events.length - 1].reason : null;
  return '审核未通过' + (reason ? '：' + clause(reason) : '') + '。请按要求修改订单后重新提交。';
}

// the step of order-edit.html where each item an order may lack (its
// `missing`, a 422 `incomplete`, its `resubmission.missing`) is done
export const STEP_OF = { info: 1, material: 2, materials: 2, invoice: 3, agreement: 4, delivery: 4 };

// 我的地址: "湖南省长沙市岳麓区 麓山南路 1 号，张三 收，138****0001"
export function addressText(a) {
  if (!a) {
    return '';
  }
  return [a.region, a.detail].filter(Boolean).join(' ')
    + '，' + (a.recipient || '') + ' 收，' + (a.mobile || '')
    + (a.postal_code ? '，邮编 ' + a.postal_code : '');
}

// a pickup point (GET /api/pickup-points): name, address, phone, hours
export function pickupText(p) {
  if (!p) {
    return '';
  }
  return [p.name, p.address, p.phone && '电话 ' + p.phone, p.hours]
    .filter(Boolean).join('，');
}

// an order's delivery, read the same way wherever it is shown:
// { method: 'express' | 'pickup' | null, address, pickupCode, pickup }.
// The order carries the address copied at submission (recipient, mobile,
// region, detail, postal_code beside method), or the pickup point's code
// in pickup_point with its name, address, phone and hours beside it.
export function delivery(d) {
  d = d || {};
  const p = d.pickup_point;
  const point = p && typeof p === 'object' ? p : null;
  return {
    method: d.method || null,
    address: d.address || (d.recipient ? d : null),
    pickupCode: point ? point.code : (p || null),
    pickup: point || (d.method === 'pickup' && d.name ? d : null)
  };
}
