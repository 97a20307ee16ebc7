// Word-level diff (longest common subsequence over words and the spaces between them).

const MAX_CELLS = 4_000_000; // beyond this, show a whole replacement rather than stall the page

function tokens(text) {
  return (text ?? '').split(/(\s+)/).filter((t) => t !== '');
}

/** [{op: '=' | '-' | '+', text}] turning `before` into `after`, adjacent parts merged. */
export function wordDiff(before, after) {
  const a = tokens(before);
  const b = tokens(after);
  if (a.length * b.length > MAX_CELLS) {
    return [{ op: '-', text: before ?? '' }, { op: '+', text: after ?? '' }].filter((p) => p.text);
  }
  // lcs[i][j] = length of the LCS of a[i:] and b[j:], in one flat typed array.
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j]
        ? lcs[(i + 1) * width + j + 1] + 1
        : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const parts = [];
  const push = (op, text) => {
    const last = parts[parts.length - 1];
    if (last && last.op === op) last.text += text;
    else parts.push({ op, text });
  };
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      push('=', a[i]);
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
      push('-', a[i++]);
    } else {
      push('+', b[j++]);
    }
  }
  while (i < a.length) push('-', a[i++]);
  while (j < b.length) push('+', b[j++]);
  return parts;
}

/** The diff as DOM nodes: <del> for removed words, <ins> for added ones. */
export function renderDiff(target, before, after) {
  const nodes = wordDiff(before, after).map((part) => {
    if (part.op === '=') return document.createTextNode(part.text);
    const node = document.createElement(part.op === '-' ? 'del' : 'ins');
    node.textContent = part.text;
    return node;
  });
  target.replaceChildren(...nodes);
}
