// Accounts a journey needs, made through the API as the website makes
// them (an SMS code from the double, then POST /api/accounts), so the
// journey starts where it is about; phones 1370027xxxx are the suite's own.
import { smsCode, smsSeen } from './hall.mjs';

async function post(hall, path, fields) {
  const res = await fetch(hall.url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${body}`);
  return JSON.parse(body);
}

export async function newAccount(hall, phone, password) {
  const seen = await smsSeen(hall);
  await post(hall, '/api/sms-codes', { phone, purpose: 'register' });
  const { code } = await smsCode(hall, phone, { after: seen });
  await post(hall, '/api/accounts', { phone, password, sms_code: code });
  return { phone, password };
}

// the demo logins make run prints
export const DEMO_VERIFIED = { phone: '13800138000', password: 'demo1234', masked: '138****8000' };
export const DEMO_UNVERIFIED = { phone: '13900139000', password: 'demo1234', masked: '139****9000' };
