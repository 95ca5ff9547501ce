// A room's settings (the header's "Room settings", for the room's owners and admins, and server
// admins): its name and topic (PATCH /rooms/{id}), the form's own checks and the server's refusals
// under their fields. The other members see the change live (`room_updated`). Under the form, its
// "Webhooks" (views/webhooks.js, loaded and listed when the section opens). Loaded on first use;
// its dialog is built here.
import { h, fieldError } from './dom.js';
import { announce } from './notices.js';
import { adminApi } from '../admin-api.js';
import { roomChanges, problemsByField, ROOM_NAME_MAX, TOPIC_MAX } from '../forms.js';

const LABELS = { name: 'The name', topic: 'The topic' };
const TAKEN = { room_name_taken: ['name', 'A room with that name exists: pick another one.'] };

/**
 * May I change the room's name and topic, and its webhooks? Its owners and admins, and server
 * admins (`me`), in any room but a direct one: as the header's "Room settings" shows.
 */
export const canEditRoom = (room, me = null) => Boolean(room && room.kind !== 'direct'
  && ((room.joined && (room.role === 'owner' || room.role === 'admin')) || (me && me.role === 'admin')));

/** store, api. Returns {open(roomId, from)}: `from` (what has the focus) takes it back when the dialog closes. */
export function initRoomSettings({ store, api }) {
  const field = (id, label, input, help) => [
    h('label', { for: id, text: label }), input,
    help ? h('p', { class: 'muted small', id: `${id}-help`, text: help }) : null,
    h('p', { class: 'field-error', id: `err-${id}`, hidden: true })];
  const name = h('input', { id: 'room-set-name', name: 'name', required: true, maxlength: String(ROOM_NAME_MAX), autocomplete: 'off', 'aria-describedby': 'err-room-set-name' });
  const topic = h('input', { id: 'room-set-topic', name: 'topic', maxlength: String(TOPIC_MAX), autocomplete: 'off', 'aria-describedby': 'room-set-topic-help err-room-set-topic' });
  const save = h('button', { type: 'submit', class: 'btn primary', id: 'room-set-save' }, 'Save');
  const form = h('form', { class: 'form', id: 'form-room-settings', novalidate: true },
    h('h2', { id: 'room-set-title', text: 'Room settings' }),
    field('room-set-name', 'Name', name),
    field('room-set-topic', 'Topic', topic, 'Shown under the name. Leave it empty for none.'),
    h('p', { class: 'form-error', id: 'room-set-error', role: 'alert', hidden: true }),
    h('div', { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'btn subtle', 'data-close': true }, 'Cancel'), save));
  const hooksBody = h('div', { class: 'form webhooks-body', id: 'webhooks-body' },
    h('p', { class: 'form-error', id: 'webhooks-load-error', role: 'alert', hidden: true }));
  const hooksPart = h('details', { class: 'webhooks', id: 'room-webhooks' }, h('summary', { id: 'webhooks-summary' }, 'Webhooks'), hooksBody);
  const dlg = h('dialog', { id: 'dlg-room-settings', 'aria-labelledby': 'room-set-title' }, form, hooksPart);
  document.body.append(dlg);
  dlg.addEventListener('click', (e) => { if (e.target === dlg || e.target.closest('[data-close]')) dlg.close(); });

  let roomId = null;
  let from = null; // what had the focus when the dialog opened
  dlg.addEventListener('close', () => {
    hooksPart.open = false; // the address shown once goes with it
    if (from && from.isConnected && !from.hidden) from.focus();
  });

  // ---- webhooks: the view loads the first time the section opens; each opening lists them again
  let webhooks = null; // its promise
  hooksPart.addEventListener('toggle', async () => {
    if (!hooksPart.open) { if (webhooks) webhooks.then((v) => v.hide(), () => {}); return; }
    fieldError('webhooks-load-error');
    webhooks ||= import('./webhooks.js').then((m) => m.initWebhooks({ api, container: hooksBody }));
    const room = store.rooms.get(roomId);
    try {
      const view = await webhooks;
      if (hooksPart.open && room) view.show({ id: room.id, name: room.name });
    } catch {
      webhooks = null;
      fieldError('webhooks-load-error', 'The webhooks could not be loaded: check your connection and open them again.');
    }
  });

  const ERRORS = { name: 'err-room-set-name', topic: 'err-room-set-topic' };
  const clear = () => { for (const id of [...Object.values(ERRORS), 'room-set-error']) fieldError(id); };
  const show = (fields, general) => {
    for (const [f, text] of Object.entries(fields || {})) fieldError(ERRORS[f], text);
    if (general) fieldError('room-set-error', general);
    const first = Object.keys(fields || {})[0];
    if (first) (first === 'topic' ? topic : name).focus();
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clear();
    const room = store.rooms.get(roomId);
    if (!canEditRoom(room, store.me)) { fieldError('room-set-error', 'You can no longer change this room.'); return; }
    const { body, errors } = roomChanges(room, { name: name.value, topic: topic.value });
    if (errors) { show(errors); return; }
    if (!Object.keys(body).length) { dlg.close(); return; }
    save.disabled = true;
    try {
      const updated = await adminApi(api).updateRoom(room.id, body);
      store.upsertRoom(updated);
      dlg.close();
      announce(`Room settings saved: #${updated.name}.`);
    } catch (err) {
      const { fields, general } = problemsByField(err, LABELS, TAKEN);
      show(fields, general);
    } finally { save.disabled = false; }
  });

  return {
    open(id, opener = document.activeElement) {
      const room = store.rooms.get(id);
      if (!canEditRoom(room, store.me)) return false;
      hooksPart.open = false;
      roomId = id;
      from = opener;
      clear();
      name.value = room.name;
      topic.value = room.topic || '';
      dlg.showModal();
      name.focus();
      name.select();
      return true;
    },
  };
}
