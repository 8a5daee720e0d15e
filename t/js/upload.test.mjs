// Before a file is sent (www/js/upload.js's precheck): the limit is exact
// (2 MiB is taken, one byte more is refused with the size and the limit),
// an empty file is refused, and the type is told by the first bytes, as
// the server does -- a text file renamed .jpg is refused, a scan named
// .jfif goes. The server stays the judge; these only spare a long upload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { precheck, limitText, sizeText } from '../../www/js/upload.js';

const MIB = 1024 * 1024;
const JPEG = [0xff, 0xd8, 0xff, 0xe0];
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PDF = [...'%PDF-1.7'].map((c) => c.charCodeAt(0));

// a chosen file: its name, and its bytes (head, then zeros up to size)
function file(name, head, size = head.length) {
  const bytes = new Uint8Array(size);
  bytes.set(head.slice(0, size));
  return Object.assign(new Blob([bytes]), { name });
}

const scan = { formats: ['jpg', 'bmp', 'png', 'pdf'], max_bytes: 2 * MIB };

test('a scan of exactly 2 MiB is taken; one byte more is refused with its size and the limit', async () => {
  assert.equal(await precheck(file('营业执照.jpg', JPEG, 2 * MIB), scan), null);
  assert.equal(await precheck(file('营业执照.jpg', JPEG, 2 * MIB + 1), scan),
               '所选文件大小为2.1M，超过了2M的上限，请压缩图片或降低扫描分辨率后再上传。');
  assert.match(await precheck(file('big.jpg', JPEG, 2 * MIB + 300000), scan), /^所选文件大小为2\.3M，超过了2M的上限/);
});

test('an empty file is refused by name', async () => {
  assert.equal(await precheck(file('空.jpg', [], 0), scan), '所选文件“空.jpg”是空的，请重新选择。');
});

test('the type is what the bytes say, not the name', async () => {
  const text = [...'这不是图片'].map((c) => c.charCodeAt(0) & 0xff);
  assert.equal(await precheck(file('notes.jpg', text), scan),
               '所选文件“notes.jpg”不是jpg, bmp, png, pdf格式的文件，请重新选择（只改扩展名不能改变文件格式）。');
  assert.equal(await precheck(file('scan.jfif', JPEG), scan), null);
  assert.equal(await precheck(file('form.pdf', PDF), scan), null);
  assert.equal(await precheck(file('bm.bmp', [0x42, 0x4d, 0, 0]), scan), null);
});

test('a format the material does not take is refused with the ones it does', async () => {
  const photo = { formats: ['jpg', 'png'], max_bytes: 2 * MIB };
  assert.equal(await precheck(file('申请表.pdf', PDF), photo),
               '此项资料只支持jpg, png格式，所选文件“申请表.pdf”是pdf格式，请重新选择。');
  assert.equal(await precheck(file('photo.png', PNG), photo), null);
});

test('a limit is said exactly as the hint says it', () => {
  assert.equal(limitText(2 * MIB), '2M');
  assert.equal(limitText(512000), '500K');
  assert.equal(limitText(1000001), '1000001字节');
});

test("a size is said in its limit's unit, rounded up so that one over the limit never reads as within it", () => {
  assert.equal(sizeText(800), '800字节');
  assert.equal(sizeText(364749), '356.3K');     // 356.2002K, rounded up
  assert.equal(sizeText(2 * MIB), '2.0M');
  assert.equal(sizeText(2 * MIB + 1), '2.1M');
  assert.equal(sizeText(1024), '1.0K');
});
