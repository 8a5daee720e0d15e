// copy(node, said): 复制 -- puts the text of `node` on the
// clipboard and says so in `said` (已复制); where the clipboard is refused
// or missing, selects the text instead and asks for Ctrl+C. For the codes
// an applicant passes on or checks: a real-name request id, a checksum.

export function copy(node, said) {
  function select() {
    var range = window.document.createRange();
    range.selectNodeContents(node);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    said.textContent = '已选中，请按 Ctrl+C 复制';
  }
  var clip = window.navigator.clipboard;
  if (!clip || !clip.writeText) {
    select();
    return;
  }
  clip.writeText(node.textContent).then(function () {
    said.textContent = '已复制';
  }, select);
}
