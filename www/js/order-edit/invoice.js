// Step 3 of order-edit.html, 开票信息: the step's form (invoice-step.js:
// the order's 开票信息 or the default title, 我的发票抬头 to pick from)
// saved with PUT …/invoice, then step 4; for a submitted order whose
// invoice is not issued yet (修改开票信息), the step alone, and back to
// the order. invoiceRows(order) is the title as step 4 shows it.
import { normalizePhone } from '../ui/rules.js';
import { values } from '../ui/forms.js';
import { initForm, onSubmit } from '../ui/errors.js';
import { invoiceStep } from '../invoice-step.js';
import { state, $, path } from './state.js';
import { save } from './steps.js';

const form = initForm($('invoice-form'));
export const step = invoiceStep(form);

const TITLE_TYPES = { org: '单位', personal: '个人' };

// the order's 开票信息 for review: 抬头类型, 发票抬头, 纳税人识别号
export function invoiceRows(order) {
  const inv = order.invoice;
  if (!inv) {
    return [];
  }
  return [
    ['抬头类型', TITLE_TYPES[inv.title_type] || inv.title_type],
    ['发票抬头', inv.title],
    ['纳税人识别号', inv.taxpayer_id]
  ];
}

onSubmit(form, step.CHECKS, function () {
  const body = values(form);
  body.taxpayer_id = body.taxpayer_id.toUpperCase();
  body.mobile = normalizePhone(body.mobile);
  save(form, path('/invoice'), body, state.titleOnly ? 0 : 4);
});
