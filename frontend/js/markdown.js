// A small, safe markdown subset parsed into a token tree (no DOM, no HTML strings).
// Blocks: {type:'code_block', text} | {type:'para', children: Inline[]} |
//         {type:'quote', blocks: Block[]} (lines starting with `>`) |
//         {type:'list', ordered, start, items: Inline[][]} (lines `- x`, `* x`, `+ x` or `1. x`)
// Inline: {type:'text', text} | {type:'br'} | {type:'bold'|'italic'|'strike', children} |
//         {type:'code', text} | {type:'link', href, children} | {type:'mention', name, me} |
//         {type:'emoji', name, char} (a known `:shortcode:`, see emoji.js)
// A view turns the tree into nodes with createElement/textContent (see views/markdown-dom.js).
import { emojiFor } from './emoji.js';

const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

/** Returns a normalised href when `raw` is an absolute http(s)/mailto URL, else null. */
export function safeHref(raw) {
  if (typeof raw !== 'string') return null;
  const s = raw.trim();
  if (!/^(https?:\/\/|mailto:)/i.test(s)) return null;
  let url;
  try { url = new URL(s); } catch { return null; }
  if (!SAFE_SCHEMES.has(url.protocol)) return null;
  return url.href;
}

const isWord = (c) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);
const TRAILING = /[.,!?;:'")\]]+$/;

/** Parses a message body into blocks. `me` is the current username (for mention highlight). */
export function parse(text, { me = null } = {}) {
  const blocks = [];
  const src = String(text ?? '').replace(/\r\n?/g, '\n');
  const fence = /```([^\n`]*)\n?([\s\S]*?)```/g;
  let last = 0;
  let m;
  while ((m = fence.exec(src)) !== null) {
    pushParas(blocks, src.slice(last, m.index), me);
    let code = m[2];
    // ```lang\n…``` : keep the language word out of the body; single-line ```x``` is all code.
    if (!src.slice(m.index + 3, m.index + 3 + m[1].length + 1).endsWith('\n')) code = m[1] + code;
    blocks.push({ type: 'code_block', text: code.replace(/\n$/, '') });
    last = fence.lastIndex;
  }
  pushParas(blocks, src.slice(last), me);
  return blocks;
}

const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^ {0,3}[-*+] +(\S.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)] +(\S.*)$/;
const MAX_QUOTE_DEPTH = 3;

/** Splits text outside code fences into quotes, lists and paragraphs (the lines in between). */
function pushParas(blocks, chunk, me, depth = 0) {
  let para = [];
  const endPara = () => {
    const text = para.join('\n').replace(/^\n+|\n+$/g, '');
    if (text !== '') blocks.push({ type: 'para', children: parseInline(text, me) });
    para = [];
  };
  const lines = chunk.split('\n');
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    if (depth < MAX_QUOTE_DEPTH && QUOTE.test(line)) {
      endPara();
      const inner = [];
      for (; i < lines.length && QUOTE.test(lines[i]); i++) inner.push(QUOTE.exec(lines[i])[1]);
      const quoted = [];
      pushParas(quoted, inner.join('\n'), me, depth + 1);
      blocks.push({ type: 'quote', blocks: quoted });
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = !bullet && NUMBERED.exec(line);
    if (bullet || numbered) {
      endPara();
      const re = bullet ? BULLET : NUMBERED;
      const items = [];
      for (let m; i < lines.length && (m = re.exec(lines[i])); i++) items.push(parseInline(bullet ? m[1] : m[2], me));
      blocks.push(bullet ? { type: 'list', ordered: false, start: 1, items } : { type: 'list', ordered: true, start: Number(numbered[1]), items });
      continue;
    }
    para.push(line);
    i++;
  }
  endPara();
}

/** Inline parser: a left-to-right scanner; anything not recognised stays literal text. */
export function parseInline(s, me = null, depth = 0) {
  const out = [];
  let buf = '';
  const flush = () => { if (buf) { out.push({ type: 'text', text: buf }); buf = ''; } };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    const prev = i > 0 ? s[i - 1] : undefined;
    const rest = s.slice(i);
    if (c === '\n') { flush(); out.push({ type: 'br' }); i++; continue; }
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) { flush(); out.push({ type: 'code', text: s.slice(i + 1, end) }); i = end + 1; continue; }
    }
    if (depth < 4 && c === '*' && s[i + 1] === '*') {
      const end = s.indexOf('**', i + 2);
      if (end > i + 2) {
        flush(); out.push({ type: 'bold', children: parseInline(s.slice(i + 2, end), me, depth + 1) });
        i = end + 2; continue;
      }
    }
    if (depth < 4 && c === '~' && s[i + 1] === '~') {
      const end = s.indexOf('~~', i + 2);
      if (end > i + 2 && !s.slice(i + 2, end).includes('\n')) {
        flush(); out.push({ type: 'strike', children: parseInline(s.slice(i + 2, end), me, depth + 1) });
        i = end + 2; continue;
      }
    }
    if (c === ':' && !isWord(prev)) {
      const em = /^:([a-z0-9_+-]{1,32}):/.exec(rest);
      const char = em && emojiFor(em[1]);
      if (char) { flush(); out.push({ type: 'emoji', name: em[1], char }); i += em[0].length; continue; }
    }
    if (depth < 4 && (c === '*' || (c === '_' && !isWord(prev))) && s[i + 1] !== c && s[i + 1] !== ' ' && s[i + 1] !== undefined) {
      let end = s.indexOf(c, i + 1);
      while (end > 0 && c === '_' && isWord(s[end + 1])) end = s.indexOf(c, end + 1);
      if (end > i + 1 && s[end - 1] !== ' ' && !s.slice(i + 1, end).includes('\n')) {
        flush(); out.push({ type: 'italic', children: parseInline(s.slice(i + 1, end), me, depth + 1) });
        i = end + 1; continue;
      }
    }
    if (c === '[') {
      const lm = /^\[([^\]\n]+)\]\(([^()\s]+)\)/.exec(rest);
      if (lm) {
        const href = safeHref(lm[2]);
        if (href) {
          flush();
          out.push({ type: 'link', href, children: parseInline(lm[1], me, depth + 1).filter((t) => t.type !== 'link') });
          i += lm[0].length; continue;
        }
        buf += lm[0]; i += lm[0].length; continue; // unsafe scheme: keep literal, never linked
      }
    }
    if ((c === 'h' || c === 'H') && !isWord(prev)) {
      const um = /^https?:\/\/[^\s<>"'`]+/i.exec(rest);
      if (um) {
        let url = um[0];
        const t = TRAILING.exec(url);
        if (t) url = url.slice(0, url.length - t[0].length);
        const href = safeHref(url);
        if (href && url.length > 8) { flush(); out.push({ type: 'link', href, children: [{ type: 'text', text: url }] }); i += url.length; continue; }
      }
    }
    if (c === '@' && !isWord(prev)) {
      const mm = /^@([A-Za-z0-9_][A-Za-z0-9_.-]*[A-Za-z0-9_]|[A-Za-z0-9_])/.exec(rest);
      if (mm) {
        flush();
        out.push({ type: 'mention', name: mm[1], me: me != null && mm[1].toLowerCase() === String(me).toLowerCase() });
        i += mm[0].length; continue;
      }
    }
    buf += c; i++;
  }
  flush();
  return out;
}

/** True when the body mentions `me`. */
export function mentions(text, me) {
  if (!me) return false;
  const walk = (nodes) => nodes.some((n) => (n.type === 'mention' && n.me) || (n.children && walk(n.children)));
  return inlineRuns(parse(text, { me })).some(walk);
}

/** Every inline run of a block tree: paragraphs, list items, and those inside quotes. */
function inlineRuns(blocks) {
  return blocks.flatMap((b) => (b.type === 'para' ? [b.children] : b.type === 'list' ? b.items : b.type === 'quote' ? inlineRuns(b.blocks) : []));
}

/** Plain-text rendering of a body (for notifications and aria-live announcements). */
export function plainText(text) {
  const walk = (nodes) => nodes.map((n) => {
    if (n.type === 'text' || n.type === 'code') return n.text;
    if (n.type === 'br') return ' ';
    if (n.type === 'mention') return '@' + n.name;
    if (n.type === 'emoji') return n.char;
    return walk(n.children || []);
  }).join('');
  const block = (b) => (b.type === 'code_block' ? b.text : b.type === 'quote' ? b.blocks.map(block).join(' ')
    : b.type === 'list' ? b.items.map(walk).join(' ') : walk(b.children));
  return parse(text).map(block).join(' ');
}
