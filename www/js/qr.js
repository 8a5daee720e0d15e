// qr.js, render(container, text, label): draws text as a QR code, an
// <svg> made with DOM calls (no markup strings, nothing inline), in place
// of the container's content. Needs /js/vendor/qrcode-generator/qrcode.js,
// a classic script the page loads before its module (its global qrcode).

var SVG = 'http://www.w3.org/2000/svg';
var QUIET = 4;    // the quiet zone scanners need, in modules

function svgEl(name, attrs) {
  var el = document.createElementNS(SVG, name);
  Object.keys(attrs).forEach(function (k) {
    el.setAttribute(k, attrs[k]);
  });
  return el;
}

// the dark modules as one path: a rectangle per horizontal run
function pathData(qr) {
  var n = qr.getModuleCount(), d = [];
  for (var r = 0; r < n; r++) {
    var c = 0;
    while (c < n) {
      if (!qr.isDark(r, c)) {
        c++;
        continue;
      }
      var start = c;
      while (c < n && qr.isDark(r, c)) {
        c++;
      }
      d.push('M' + (start + QUIET) + ' ' + (r + QUIET)
             + 'h' + (c - start) + 'v1h-' + (c - start) + 'z');
    }
  }
  return d.join('');
}

function render(container, text, label) {
  var qrcode = window.qrcode;     // the vendor's classic script's global
  if (typeof qrcode !== 'function') {
    throw new Error('the QR code library did not load');
  }
  // the payload may hold more than ASCII: encode it as UTF-8 bytes
  qrcode.stringToBytes = qrcode.stringToBytesFuncs['UTF-8'];
  var qr = qrcode(0, 'M');    // smallest version that holds it, ~15% ECC
  qr.addData(String(text), 'Byte');
  qr.make();

  var size = qr.getModuleCount() + 2 * QUIET;
  var svg = svgEl('svg', {
    'class': 'qr-code',
    viewBox: '0 0 ' + size + ' ' + size,
    role: 'img',
    'aria-label': label || '二维码',
    'shape-rendering': 'crispEdges'
  });
  svg.appendChild(svgEl('rect', { width: size, height: size, fill: '#fff' }));
  svg.appendChild(svgEl('path', { d: pathData(qr), fill: '#000' }));

  while (container.firstChild) {
    container.removeChild(container.firstChild);
  }
  container.appendChild(svg);
  return svg;
}

export { render, pathData };
