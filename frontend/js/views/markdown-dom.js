// Turns the markdown token tree (js/markdown.js) into DOM nodes with createElement/textContent.
import { parse } from '../markdown.js';

/** `me`: my username; `mentioned`: the names (lower case) whose `@name` is a mention (null: every one). */
export function renderBody(text, me, mentioned = null) {
  const frag = document.createDocumentFragment();
  blocks(frag, parse(text, { me }), mentioned);
  return frag;
}

function blocks(parent, list, o) {
  for (const block of list) {
    if (block.type === 'code_block') {
      const pre = document.createElement('pre');
      const code = document.createElement('code');
      code.textContent = block.text;
      pre.append(code);
      parent.append(pre);
    } else if (block.type === 'quote') {
      const q = document.createElement('blockquote');
      blocks(q, block.blocks, o);
      parent.append(q);
    } else if (block.type === 'list') {
      const l = document.createElement(block.ordered ? 'ol' : 'ul');
      if (block.ordered && block.start !== 1) l.start = block.start;
      for (const item of block.items) { const li = document.createElement('li'); inline(li, item, o); l.append(li); }
      parent.append(l);
    } else {
      const p = document.createElement('p');
      inline(p, block.children, o);
      parent.append(p);
    }
  }
}

function inline(parent, nodes, o) {
  for (const n of nodes) {
    switch (n.type) {
      case 'text': parent.append(document.createTextNode(n.text)); break;
      case 'br': parent.append(document.createElement('br')); break;
      case 'code': { const c = document.createElement('code'); c.textContent = n.text; parent.append(c); break; }
      case 'bold': { const b = document.createElement('strong'); inline(b, n.children, o); parent.append(b); break; }
      case 'italic': { const i = document.createElement('em'); inline(i, n.children, o); parent.append(i); break; }
      case 'strike': { const d = document.createElement('del'); inline(d, n.children, o); parent.append(d); break; }
      case 'emoji': {
        const s = document.createElement('span');
        s.className = 'emoji';
        s.title = `:${n.name}:`;
        s.textContent = n.char;
        parent.append(s);
        break;
      }
      case 'link': {
        const a = document.createElement('a');
        a.href = n.href; // already restricted to http, https and mailto by the parser
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        inline(a, n.children, o);
        parent.append(a);
        break;
      }
      case 'mention': {
        if (o && !o.has(n.name.toLowerCase())) { parent.append(document.createTextNode('@' + n.name)); break; }
        const s = document.createElement('span');
        s.className = n.name.toLowerCase() === 'room' && o ? 'mention mention-room' : n.me ? 'mention mention-me' : 'mention';
        s.textContent = '@' + n.name;
        parent.append(s);
        break;
      }
      default: break;
    }
  }
}
