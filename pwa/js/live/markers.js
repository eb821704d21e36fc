/* Markers: one tap saves the marker and says so ("Saved · Add words"); only "Add words" opens the sheet (and the
 * keyboard), which saves the words as a new version. And the notes list, drawn row by row. */
import { handleError, show } from '../ui/toasts.js';
import { formatDuration } from './clock.js';
import { atMs, MARKERS } from './events.js';
import { live } from './live.js';

const LABELS = {
  note: 'Said', agreed: 'Agreed', refused: 'Refused', action: 'Action', question: 'Question', quote: 'Quote',
  bookmark: 'Bookmark', target: 'Target reviewed', consent: 'Recording consent', attendee: 'Person added',
};
const TEXT_LABELS = {
  note: 'What was said', agreed: 'What was agreed', refused: 'What was refused', action: 'What will be done',
  question: 'The question', quote: 'Their words', bookmark: 'Note',
};
const LISTED = new Set([...MARKERS, 'target', 'consent', 'attendee']);
const TARGET_STATUS = { current: 'current', working_towards: 'being worked towards', achieved: 'achieved', obsolete: 'no longer relevant' };

const $ = (id) => document.getElementById(id);

function personOptions(select, selected, emptyLabel) {
  const options = [new Option(emptyLabel, '')];
  for (const a of live.attendees()) options.push(new Option(`${a.name}${a.role_label ? ` (${a.role_label})` : ''}`, a.id));
  select.replaceChildren(...options);
  select.value = selected || '';
}

function splitReason(reason) {
  if (!reason) return ['', ''];
  if (reason.startsWith('other')) return ['other', reason.replace(/^other:?\s*/, '')];
  return [reason, ''];
}

const SAVED_SHOWN_MS = 6000;
let savedTimer = null;

/** Say on the marker bar that a marker was saved, with "Add words" for it, for a few seconds. */
function showSaved(kind, event) {
  const status = $('marker-saved');
  status.classList.remove('closed');
  status.textContent = `${LABELS[kind]} saved ·`;
  status.dataset.eventId = event.id;
  const words = $('marker-words');
  words.dataset.eventId = event.id;
  words.setAttribute('aria-label', `Add words to ${LABELS[kind]} at ${formatDuration(event.at_ms)}`);
  words.hidden = false;
  clearTimeout(savedTimer);
  savedTimer = setTimeout(hideSaved, SAVED_SHOWN_MS);
}

function hideSaved(force = false) {
  clearTimeout(savedTimer);
  // keep "Add words" while it has focus (a keyboard user on their way to it)
  if (!force && document.activeElement === $('marker-words')) {
    savedTimer = setTimeout(hideSaved, SAVED_SHOWN_MS);
    return;
  }
  $('marker-saved').textContent = '';
  delete $('marker-saved').dataset.eventId;
  $('marker-words').hidden = true;
}

let closedWith = '';

/** The marker bar when notes are closed (the meeting ended); '' opens it again. */
export function closeMarkers(message) {
  if (message === closedWith) return;
  closedWith = message;
  for (const button of document.querySelectorAll('[data-marker], #mark-target')) button.disabled = Boolean(message);
  if (message) {
    hideSaved(true);
    $('marker-saved').textContent = message;
    $('marker-saved').classList.add('closed');
  } else if ($('marker-saved').classList.contains('closed')) {
    $('marker-saved').textContent = '';
    $('marker-saved').classList.remove('closed');
  }
}

/**
 * One tap on a marker: save it, show "Saved · Add words". No sheet, no keyboard.
 * No person is set here: the server takes it from the words marked; "Add words" lets the parent choose one.
 */
export async function tapMarker(kind) {
  const saved = await live.capture(kind, { text: '' });
  showSaved(kind, saved);
  return saved;
}

/**
 * The sheet for a saved marker: its words, and for a refusal or an action who and why / who and when.
 * `adding` is true from "Add words" (just saved), false from Edit in the notes list. Saving makes a new version.
 */
export async function openMarkerSheet(kind, saved, { adding = false } = {}) {
  const p = saved.payload || {};
  $('marker-sheet-title').textContent = adding ? `${LABELS[kind]}: add words` : `Edit: ${LABELS[kind]}`;
  $('marker-sheet-hint').textContent = adding ? `Saved at ${formatDuration(saved.at_ms)}. Add words if you like, or skip.` : '';
  $('marker-text-label').firstChild.textContent = `${TEXT_LABELS[kind] || 'Text'} `;
  $('marker-text').value = p.text || '';
  $('refused-fields').hidden = kind !== 'refused';
  $('action-fields').hidden = kind !== 'action';
  if (kind === 'refused') {
    personOptions($('refused-by'), p.by, 'Not sure');
    const [reason, other] = splitReason(p.reason);
    $('refused-reason').value = reason;
    $('refused-other').value = other;
    $('refused-other-field').hidden = reason !== 'other';
  }
  if (kind === 'action') {
    personOptions($('action-owner'), p.owner, 'Not decided');
    $('action-due').value = p.due || '';
  }
  const sheet = $('marker-sheet');
  sheet.dataset.eventId = saved.id;
  sheet.dataset.kind = kind;
  sheet.returnValue = '';
  sheet.showModal();
  $('marker-text').focus();
}

function sheetPayload(kind, old) {
  const payload = { ...old, text: $('marker-text').value.trim() };
  if (kind === 'refused') {
    const by = $('refused-by').value;
    if (by) payload.by = by; else delete payload.by;
    const reason = $('refused-reason').value;
    const other = $('refused-other').value.trim();
    if (reason === 'other') payload.reason = other ? `other: ${other}` : 'other';
    else if (reason) payload.reason = reason;
    else delete payload.reason;
  }
  if (kind === 'action') {
    const owner = $('action-owner').value;
    if (owner) payload.owner = owner; else delete payload.owner;
    const due = $('action-due').value;
    if (due) payload.due = due; else delete payload.due;
  }
  return payload;
}

function onSheetClose() {
  const sheet = $('marker-sheet');
  const { eventId, kind } = sheet.dataset;
  // opened from "Add words", which is gone now: focus goes back to the marker's button, not the page's top
  if (document.activeElement === document.body || !document.activeElement) {
    const button = document.querySelector(`[data-marker="${kind}"]`);
    if (button && !button.disabled) button.focus({ preventScroll: true });
  }
  if (sheet.returnValue !== 'save') return;
  const before = live.S.events.find((e) => e.id === eventId);
  const next = sheetPayload(kind, before ? before.payload : {});
  if (before && JSON.stringify(next) === JSON.stringify(before.payload)) return;
  live.revise(eventId, () => next).catch((err) => handleError(err, 'Could not save the words.'));
}

function describe(event, people, bundle, roleLabel) {
  const p = event.payload || {};
  const name = (id) => (people.find((a) => a.id === id) || {}).name;
  const bits = [];
  if (event.kind === 'target') {
    const target = (bundle.targets || []).find((t) => t.id === p.target_id);
    bits.push(`${target ? target.text : 'A target'}: ${TARGET_STATUS[p.status] || p.status}`);
  } else if (event.kind === 'consent') {
    bits.push(`${name(p.attendee_id) || 'Someone'} ${p.given ? 'agreed to' : 'did not agree to'} recording`);
  } else if (event.kind === 'attendee') {
    const role = p.role ? roleLabel(p.role) : '';
    bits.push(`${p.name}${role ? ` (${role})` : ''}`);
  } else {
    if (p.text) bits.push(p.text);
    if (p.by) bits.push(`by ${name(p.by) || 'someone'}`);
    if (p.reason) bits.push(`reason: ${p.reason}`);
    if (p.owner) bits.push(`owner: ${name(p.owner) || 'someone'}`);
    if (p.due) bits.push(`due ${p.due}`);
  }
  const who = p.attendee_id && !['consent'].includes(event.kind) ? name(p.attendee_id) : null;
  return { text: bits.join(' · '), who };
}

/** One notes-list row. */
function makeRow(e, { attendees: people, bundle, startedAt, roleLabel }) {
  const li = document.createElement('li');
  fillRow(li, e, { attendees: people, bundle, startedAt, roleLabel });
  return li;
}

function fillRow(li, e, { attendees: people, bundle, startedAt, roleLabel }) {
  li.className = `tl tl-${e.kind}${e.sync === 'rejected' ? ' tl-rejected' : ''}`;
  li.dataset.eventId = e.id;
  const head = document.createElement('span');
  head.className = 'tl-head';
  const { text, who } = describe(e, people, bundle, roleLabel || ((id) => id));
  const at = formatDuration(atMs(e, startedAt));
  head.textContent = `${at} ${LABELS[e.kind] || e.kind}${who ? ` (${who})` : ''}`;
  const body = document.createElement('span');
  body.className = 'tl-text';
  body.textContent = text;
  const status = document.createElement('span');
  status.className = 'tl-status';
  status.textContent = e.sync === 'rejected' ? `Not accepted: ${e.error || 'error'}`
    : e.remote ? 'From the other phone' : e.sync === 'pending' ? 'Waiting to send' : 'Sent';
  const parts = [head, body, status];
  if (!e.remote && MARKERS.includes(e.kind) && !e.deleted) {
    const button = (word, className, data) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = className;
      b.dataset[data] = e.id;
      b.textContent = word;
      b.setAttribute('aria-label', `${word} ${LABELS[e.kind]} at ${at}`);
      return b;
    };
    const edit = button('Edit', 'small', 'edit');
    const remove = button('Delete', 'small danger', 'delete');
    const actions = document.createElement('span');
    actions.className = 'tl-actions';
    actions.append(edit, remove);
    parts.push(actions);
  }
  li.replaceChildren(...parts);
}

/** The events the notes list shows, newest first. */
export function listed(events) {
  const rows = [];
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const e = events[i];
    if (LISTED.has(e.kind) && (!e.deleted || e.sync === 'rejected')) rows.push(e);
  }
  return rows;
}

/**
 * Draw the notes list (newest first) with edit and delete for this phone's markers, touching only what changed:
 * a row is rebuilt when its event (version, sync state, time) or the people list changed, moved when out of place,
 * added when new and removed when gone. A new note is one row added at the top, however long the meeting.
 * `events` is the whole timeline in order; `context.key` changes whenever names or the clock origin change.
 */
const drawn = new WeakMap();   // list -> Map(event id -> {li, sig}): what each row shows, without reading the DOM

export function renderTimeline(list, events, context) {
  const rows = listed(events);
  if (!drawn.has(list)) drawn.set(list, new Map());
  const previous = drawn.get(list);
  const next = new Map();
  let cursor = list.firstElementChild;
  for (const e of rows) {
    const sig = `${e.version}|${e.sync}|${e.deleted}|${e.error}|${e.remote}|${e.t_ms || e.at_ms}|${context.key}`;
    const row = previous.get(e.id);
    let li;
    if (row) {
      previous.delete(e.id);
      li = row.li;
      if (row.sig !== sig) fillRow(li, e, context);
    } else {
      li = makeRow(e, context);
    }
    next.set(e.id, { li, sig });
    if (li === cursor) {
      cursor = cursor.nextElementSibling;
    } else {
      list.insertBefore(li, cursor);
    }
  }
  for (const row of previous.values()) row.li.remove();
  drawn.set(list, next);
  return rows.length;
}

async function onListClick(event) {
  const edit = event.target.closest('[data-edit]');
  const remove = event.target.closest('[data-delete]');
  if (edit) {
    const found = live.S.events.find((e) => e.id === edit.dataset.edit);
    if (found) await openMarkerSheet(found.kind, found);
  } else if (remove) {
    const id = remove.dataset.delete;
    await live.revise(id, (p) => p, { deleted: true });
    const answer = await show('Deleted.', { buttons: ['Undo'] });
    if (answer === 'Undo') await live.revise(id, (p) => p, { deleted: false });
  }
}

$('marker-sheet').addEventListener('close', onSheetClose);
$('marker-words').addEventListener('click', () => {
  const found = live.S.events.find((e) => e.id === $('marker-words').dataset.eventId);
  hideSaved(true);
  if (found) openMarkerSheet(found.kind, found, { adding: true }).catch((err) => handleError(err));
});
$('refused-reason').addEventListener('change', () => { $('refused-other-field').hidden = $('refused-reason').value !== 'other'; });
$('timeline').addEventListener('click', (event) => onListClick(event).catch((err) => handleError(err)));
