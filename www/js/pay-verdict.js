// What pay-return.html makes of the order it reads back after Alipay: the
// order's id in the out_trade_no Alipay hands back ("UO…_3": the order's
// id, "_", the attempt's number), and the verdict on this payment, which
// says what the page shows and whether it reads the order again. Pure:
// no DOM, no request.

// the states in which the order still waits for its money
export const AWAITING = { pending_payment: true, pending_voucher: true };

// the order's id of an out_trade_no, '' when it is none of ours
export function orderOf(outTradeNo) {
  const parts = /^([A-Za-z0-9]{1,40})_([0-9]{1,9})$/.exec(String(outTradeNo || ''));
  return parts ? parts[1] : '';
}

function attemptOf(o, outTradeNo) {
  return (Array.isArray(o.alipay_attempts) ? o.alipay_attempts : []).filter(function (a) {
    return a.out_trade_no === outTradeNo;
  })[0] || null;
}

// what the order says of this payment (outTradeNo: its attempt):
//   paid     an Alipay payment paid it, and it has moved on
//   refund   this attempt was paid, but the money paid nothing (the
//            order was cancelled, or paid otherwise, meanwhile)
//   settled  it awaits no money any more (cancelled, paid by transfer
//            …) and this attempt's outcome is known
//   closed   still awaiting money, but this attempt is closed
//   waiting  this attempt's outcome unknown yet: read it again (also
//            when the order was cancelled meanwhile: money paid on the
//            way back is to be refunded, and the page should say so)
export function verdict(o, outTradeNo) {
  const a = attemptOf(o, outTradeNo);
  if (o.payment && !AWAITING[o.state]) {
    return 'paid';
  }
  if (a && a.state === 'paid' && !o.payment) {
    return 'refund';
  }
  if (a && a.state === 'closed') {
    return AWAITING[o.state] ? 'closed' : 'settled';
  }
  return AWAITING[o.state] || (a && a.state === 'open') ? 'waiting' : 'settled';
}
