// Tiny DOM helpers. Text always goes through textContent; there is no HTML-string path.

/** h('li', {class: 'x', onclick: fn, 'aria-label': 'y'}, child, 'text', …) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'hidden') el.hidden = Boolean(v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

export const $ = (id) => document.getElementById(id);

/** Replaces an element's children. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * Makes `parent`'s children exactly `nodes`, moving only what is out of place, so focused and
 * unchanged nodes are left alone.
 */
export function syncChildren(parent, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) if (!wanted.has(child)) child.remove();
  let cur = parent.firstElementChild;
  for (const n of nodes) {
    if (cur === n) { cur = cur.nextElementSibling; continue; }
    parent.insertBefore(n, cur);
  }
}

/** Shows a field error under an input (by id) or hides it. */
export function fieldError(id, message) {
  const el = $(id);
  if (!el) return;
  el.textContent = message || '';
  el.hidden = !message;
}
