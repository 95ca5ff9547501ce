// Turns the markdown token tree (js/markdown.js) into DOM nodes with createElement/textContent.
import { parse } from '../markdown.js';

export function renderBody(text, me) {
  const frag = document.createDocumentFragment();
  for (const block of parse(text, { me })) {
    if (block.type === 'code_block') {
      const pre = document.createElement('pre');
      const code = document.createElement('code');
      code.textContent = block.text;
      pre.append(code);
      frag.append(pre);
    } else {
      const p = document.createElement('p');
      inline(p, block.children);
      frag.append(p);
    }
  }
  return frag;
}

function inline(parent, nodes) {
  for (const n of nodes) {
    switch (n.type) {
      case 'text': parent.append(document.createTextNode(n.text)); break;
      case 'br': parent.append(document.createElement('br')); break;
      case 'code': { const c = document.createElement('code'); c.textContent = n.text; parent.append(c); break; }
      case 'bold': { const b = document.createElement('strong'); inline(b, n.children); parent.append(b); break; }
      case 'italic': { const i = document.createElement('em'); inline(i, n.children); parent.append(i); break; }
      case 'link': {
        const a = document.createElement('a');
        a.href = n.href; // already restricted to http, https and mailto by the parser
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        inline(a, n.children);
        parent.append(a);
        break;
      }
      case 'mention': {
        const s = document.createElement('span');
        s.className = n.me ? 'mention mention-me' : 'mention';
        s.textContent = '@' + n.name;
        parent.append(s);
        break;
      }
      default: break;
    }
  }
}
