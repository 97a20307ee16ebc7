// DOM and formatting helpers shared by the pages (text is always set as text, never as HTML).

export const $ = (id) => document.getElementById(id);

/** el('td', {className: 'num'}, 'text', childNode, ...) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export const dash = '—';

export function fmtInt(value) {
  return value === null || value === undefined ? dash : Number(value).toLocaleString('en');
}

export function fmtPct(value, digits = 0) {
  return value === null || value === undefined ? dash : `${(value * 100).toFixed(digits)}%`;
}

export function fmtNum(value, digits = 2) {
  return value === null || value === undefined ? dash : Number(value).toFixed(digits);
}

export function fmtTime(iso) {
  if (!iso) return dash;
  const date = new Date(iso);
  return date.toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' });
}

export function showMessage(box, text, kind = 'error') {
  box.className = `msg ${kind}`;
  box.textContent = text || '';
}
