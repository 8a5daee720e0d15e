// 资料上传 as the applicant does it on order-edit.html: a file chosen in a
// material's picker, its status line read until it says 已上传, and the
// thumbnail the browser drew; what the list of materials offers.
import { waitText } from './user.mjs';

// the materials the step asks for, as the page names them (first line of each)
export async function materialNames(page) {
  return page.$$eval('#materials li.material', (ls) => ls.map((l) => l.innerText.trim().split('\n')[0].trim()));
}

// choose `file` for the material `kind`; resolves once the page says 已上传
// and has drawn its thumbnail
export async function uploadMaterial(page, kind, file) {
  const input = await page.waitForSelector(`#mat-${kind}-input`);
  await input.uploadFile(file);
  const said = await waitText(page, `#mat-${kind}-status`, /已上传/);
  await page.waitForFunction((k) => {
    const i = document.querySelector(`#mat-${k} a.thumb img`);
    return i && i.complete && i.naturalWidth > 0;
  }, {}, kind);
  return said;
}
