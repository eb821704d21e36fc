/* Markers: one tap saves the marker; the sheet that opens adds words (a new version). And the notes list. */
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

/**
 * Tap on a marker (event null): save it at once, then offer the sheet for words.
 * Edit (event given): the sheet with its current values; saving makes a new version.
 */
export async function openMarkerSheet(kind, event) {
  let saved = event;
  if (!saved) {
    // no person here: the server takes it from the words marked; the sheet lets the parent choose one
    const payload = { text: '' };
    saved = await live.capture(kind, payload);
    $('marker-saved').textContent = `${LABELS[kind]} saved at ${formatDuration(saved.at_ms)}.`;
  }
  const p = saved.payload || {};
  $('marker-sheet-title').textContent = event ? `Edit: ${LABELS[kind]}` : `${LABELS[kind]}: saved`;
  $('marker-sheet-hint').textContent = event ? '' : 'Add words if you like, or skip.';
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
  if (sheet.returnValue !== 'save') return;
  const { eventId, kind } = sheet.dataset;
  const before = live.S.events.find((e) => e.id === eventId);
  const next = sheetPayload(kind, before ? before.payload : {});
  if (before && JSON.stringify(next) === JSON.stringify(before.payload)) return;
  live.revise(eventId, () => next).catch((err) => handleError(err, 'Could not save the words.'));
}

function describe(event, people, bundle) {
  const p = event.payload || {};
  const name = (id) => (people.find((a) => a.id === id) || {}).name;
  const bits = [];
  if (event.kind === 'target') {
    const target = (bundle.targets || []).find((t) => t.id === p.target_id);
    bits.push(`${target ? target.text : 'A target'}: ${TARGET_STATUS[p.status] || p.status}`);
  } else if (event.kind === 'consent') {
    bits.push(`${name(p.attendee_id) || 'Someone'} ${p.given ? 'agreed to' : 'did not agree to'} recording`);
  } else if (event.kind === 'attendee') {
    bits.push(`${p.name}${p.role ? ` (${p.role})` : ''}`);
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

/** Draw the notes list (newest first) with edit and delete for this phone's markers. */
export function renderTimeline(list, events, { attendees: people, bundle, startedAt }) {
  const rows = events.filter((e) => LISTED.has(e.kind) && (!e.deleted || e.sync === 'rejected')).reverse();
  list.replaceChildren(...rows.map((e) => {
    const li = document.createElement('li');
    li.className = `tl tl-${e.kind}${e.sync === 'rejected' ? ' tl-rejected' : ''}`;
    li.dataset.eventId = e.id;
    const head = document.createElement('span');
    head.className = 'tl-head';
    const { text, who } = describe(e, people, bundle);
    head.textContent = `${formatDuration(atMs(e, startedAt))} ${LABELS[e.kind] || e.kind}${who ? ` (${who})` : ''}`;
    const body = document.createElement('span');
    body.className = 'tl-text';
    body.textContent = text;
    const status = document.createElement('span');
    status.className = 'tl-status';
    status.textContent = e.sync === 'rejected' ? `Not accepted: ${e.error || 'error'}`
      : e.remote ? 'From the other phone' : e.sync === 'pending' ? 'Waiting to send' : 'Sent';
    li.append(head, body, status);
    if (!e.remote && MARKERS.includes(e.kind) && !e.deleted) {
      const edit = document.createElement('button');
      edit.type = 'button';
      edit.className = 'small';
      edit.dataset.edit = e.id;
      edit.textContent = 'Edit';
      edit.setAttribute('aria-label', `Edit ${LABELS[e.kind]} at ${formatDuration(atMs(e, startedAt))}`);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'small danger';
      remove.dataset.delete = e.id;
      remove.textContent = 'Delete';
      remove.setAttribute('aria-label', `Delete ${LABELS[e.kind]} at ${formatDuration(atMs(e, startedAt))}`);
      const actions = document.createElement('span');
      actions.className = 'tl-actions';
      actions.append(edit, remove);
      li.append(actions);
    }
    return li;
  }));
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
$('refused-reason').addEventListener('change', () => { $('refused-other-field').hidden = $('refused-reason').value !== 'other'; });
$('timeline').addEventListener('click', (event) => onListClick(event).catch((err) => handleError(err)));
