/* Meeting mode: the controller that wires the screen, the event store, the recorder and sync.
 *
 * Everything the parent taps is committed to IndexedDB first (events.js), then synced (sync.js).
 * A tap is drawn from memory as soon as it is committed, touching only what it changed (a chip, one notes row);
 * the screen is re-read from IndexedDB after syncs and recording changes, so a reload shows exactly what is saved.
 */
import { api } from '../api.js';
import { get, getValue, setValue, update, deviceId as loadDeviceId } from '../db.js';
import { handleError, show } from '../ui/toasts.js';
import { formatDuration, loadOffset, meetingMs, now, offset } from './clock.js';
import * as events from './events.js';
import Recorder from './recorder.js';
import { recordedBefore, recoverCrashed } from './recorder.js';
import Syncer, { applyBundle } from './sync.js';
import { closeMarkers, listed, renderTimeline, tapMarker } from './markers.js';
import { openConsent } from './consent.js';
import { openShare } from './share.js';

const $ = (id) => document.getElementById(id);
const root = $('live');
const meetingId = root.dataset.meetingId;
const jurisdiction = root.dataset.jurisdiction;
const silenceMs = Number(root.dataset.silenceMs) || 20000;

const S = {
  meeting: null,       // the IDB meetings record: {bundle, started_at, ended_at, length_min, consent, ...}
  rules: null,
  deviceId: null,
  events: [],
  rev: 0,              // bumped whenever S.events changes: what is worked out from the events is cached per rev
  counts: { eventsPending: 0, chunksPending: 0, rejected: 0 },
  wakeOk: null,
  syncer: null,
  recorder: null,
  recordedBefore: 0,   // ms in this meeting's finished recordings on this phone
  silentMs: 0,         // how long the microphone has heard nothing (while recording)
  stopChoice: null,    // 'pause' or 'stop': how the parent last stopped the recording
};

function bundle() {
  return (S.meeting && S.meeting.bundle) || {};
}

function setEvents(list) {
  S.events = list;
  S.rev += 1;
}

const ended = () => Boolean(S.meeting && S.meeting.ended_at);
const isOwner = () => Boolean(bundle().can_share);
const canEnd = () => isOwner() || (bundle().grants || []).includes('end');

/** A role's label from the rules ("Educational psychologist (EP)"), or its id made readable. */
export function roleLabel(id) {
  const role = S.rules && (S.rules.roles || []).find((r) => r.id === id);
  if (role) return role.label;
  const text = String(id || '').replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

let people = { rev: -1, bundle: null, rules: null, list: [] };

/**
 * Attendees from the bundle plus people added during the meeting (an attendee event's id is the new id).
 * Once the server has the person, the bundle lists them too: each person is listed once, with the latest name.
 */
export function attendees() {
  const b = bundle();
  if (people.rev === S.rev && people.bundle === b && people.rules === S.rules) return people.list;
  const list = (b.attendees || []).map((a) => ({ ...a }));
  const index = new Map(list.map((a, i) => [a.id, i]));
  for (const e of S.events) {
    if (e.kind !== 'attendee') continue;
    const person = { name: e.payload.name, role: e.payload.role, role_label: roleLabel(e.payload.role) };
    if (index.has(e.id)) {
      if (!e.deleted) Object.assign(list[index.get(e.id)], person);
    } else if (!e.deleted) {
      index.set(e.id, list.length);
      list.push({ id: e.id, ...person });
    }
  }
  people = { rev: S.rev, bundle: b, rules: S.rules, list };
  return list;
}

const peopleKey = (list) => list.map((a) => `${a.id}:${a.name}:${a.role_label || a.role || ''}`).join('|');

let ordered = { rev: -1, started: null, list: [] };

/** The events in timeline order (cached until they or the meeting's start change). */
function timeline() {
  const started = S.meeting && S.meeting.started_at;
  if (ordered.rev !== S.rev || ordered.started !== started) {
    ordered = { rev: S.rev, started, list: events.ordered(S.events, started) };
  }
  return ordered.list;
}

function lastOf(kind, field) {
  const list = timeline();
  for (let i = list.length - 1; i >= 0; i -= 1) {
    if (list[i].kind === kind && !list[i].deleted) return list[i].payload[field];
  }
  return null;
}

const currentSpeaker = () => lastOf('speaker', 'attendee_id');
const currentItem = () => lastOf('agenda', 'agenda_item_id');

function agendaItems() {
  return (bundle().agenda || []).filter((i) => !i.parked).sort((a, b) => (a.position || 0) - (b.position || 0));
}

function context() {
  return {
    meeting: { id: meetingId, started_at: S.meeting.started_at },
    device_id: S.deviceId,
    attendee_id: currentSpeaker(),
    agenda_item_id: currentItem(),
  };
}

/** Save an event, draw it, and sync soon. Returns the saved event. */
export async function capture(kind, payload, { withContext = true, at } = {}) {
  if (ended()) throw new Error('The meeting has ended, so notes are closed.');
  const ctx = context();
  if (!withContext) { ctx.attendee_id = null; ctx.agenda_item_id = null; }
  const event = await events.record(kind, payload, ctx, { at });
  // a reload from IndexedDB (chunks and syncs trigger them) may already have picked this event up
  if (!S.events.some((e) => e.id === event.id)) setEvents([...S.events, event]);
  draw();
  kickSoon();
  // a person who speaks or agrees to recording is here
  if ((kind === 'speaker' || (kind === 'consent' && payload.given)) && payload.attendee_id) markPresent(payload.attendee_id);
  return event;
}

/** Save a new version of an event (or delete it), draw it and sync soon. */
export async function revise(id, change, options) {
  const next = await events.revise(id, change, options);
  setEvents(S.events.map((e) => (e.id === id ? next : e)));
  draw();
  kickSoon();
  return next;
}

/* Phones stop or silence a page's microphone when the screen goes off or another app comes to the front
 * (phone-recording.md): each such interval goes on the timeline as a bookmark, a possible gap. */
const GAP_S = 3;
let hidden = null;

async function noteHiddenGap() {
  const was = hidden;
  hidden = null;
  if (!was || !S.meeting || !S.meeting.started_at || S.meeting.ended_at) return;
  const seconds = Math.round((now() - was.at) / 1000);
  if (seconds < GAP_S) return;
  const span = seconds < 90 ? `${seconds} seconds` : `${Math.round(seconds / 60)} minutes`;
  const text = was.recording
    ? `Screen off or Minuted in the background for ${span} while recording: the recording may have a gap here.`
    : `Screen off or Minuted in the background for ${span}.`;
  await capture('bookmark', { text }, { withContext: false, at: was.at });
}

/** Someone joins while recording: the recording goes on only if they agree too (domain.md §4.3). */
async function askNewPersonConsent(attendeeId, name) {
  const answer = await show(`You're recording. Tell ${name}, and ask if they agree.`, {
    buttons: ['They agree', 'They object'], duration: 0,
  });
  if (!answer) return;
  const given = answer === 'They agree';
  await capture('consent', { attendee_id: attendeeId, given }, { withContext: false });
  if (!given) {
    await S.recorder.stop();
    await live.setConsent('refused');
    await refresh();
    show('Recording stopped; what was recorded before is kept. Carry on with notes.');
  }
}

function kick() {
  clearTimeout(kickTimer);
  S.syncer.run().catch((err) => console.error(err));
}

/* taps come in bursts: send a second after the last one, so a sync round's reads never queue the next tap's write */
let kickTimer = null;
function kickSoon(delay = 1000) {
  clearTimeout(kickTimer);
  kickTimer = setTimeout(kick, delay);
}

function vibrate() {
  if (navigator.vibrate && navigator.userActivation && navigator.userActivation.hasBeenActive) navigator.vibrate(200);
}

/* a round that could not finish is tried again soon, then less often (2 s, 4 s … 16 s; the 20-s tick takes over):
   Background Sync is missing on iOS, and a phone back in signal should not wait for the next tick */
let retryMs = 0;
function retrySoon() {
  retryMs = Math.min(retryMs ? retryMs * 2 : 2000, 8000);
  kickSoon(retryMs);
}

async function registerBackgroundSync() {
  retrySoon();
  try {
    const reg = await navigator.serviceWorker.ready;
    if (reg.sync) await reg.sync.register('minuted-sync');
  } catch (_) { /* no Background Sync here (Safari, Firefox): the page drives sync */ }
}

/* ---------- drawing ---------- */

function drawClock() {
  const started = S.meeting && S.meeting.started_at;
  const over = ended();
  const elapsed = started ? meetingMs(started, over ? Date.parse(S.meeting.ended_at) : now()) : 0;
  $('live-timer').textContent = formatDuration(elapsed);
  const length = (S.meeting && S.meeting.length_min || 60) * 60000;
  const left = length - elapsed;
  $('live-remaining').textContent = started && !over
    ? (left > 0 ? `${Math.ceil(left / 60000)} min left` : `${Math.floor(-left / 60000)} min over`)
    : (over ? 'ended' : '');
  const reminder = $('agenda-reminder');
  const notCovered = agendaItems().filter((i) => !covered().has(i.id));
  if (started && !over && left <= 10 * 60000 && notCovered.length) {
    const n = notCovered.length;
    reminder.textContent = `${n} ${n === 1 ? 'priority' : 'priorities'} not yet discussed.`;
    reminder.hidden = false;
  } else {
    reminder.hidden = true;
  }
  drawRecordedTime();
}

function covered() {
  return new Set(S.events.filter((e) => e.kind === 'agenda' && !e.deleted).map((e) => e.payload.agenda_item_id));
}

function drawAgenda() {
  const items = agendaItems();
  const current = currentItem();
  const item = items.find((i) => i.id === current) || (bundle().agenda || []).find((i) => i.id === current);
  const text = item ? item.title : (items.length ? 'Not on an agenda item yet' : 'No agenda items');
  if ($('agenda-current').textContent !== text) $('agenda-current').textContent = text;
  const index = items.findIndex((i) => i.id === current);
  const over = ended();
  $('agenda-prev').disabled = over || index <= 0;
  $('agenda-next').disabled = over || !items.length || index >= items.length - 1;
  $('agenda-open').disabled = !(bundle().agenda || []).length;
  if ($('agenda-sheet').open) drawAgendaList();
}

/** The agenda sheet: every item to jump to, parked ones too; once the meeting ended, what was not reached. */
function drawAgendaList() {
  const current = currentItem();
  const done = covered();
  const over = ended();
  const row = (item) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.agendaId = item.id;
    const title = document.createElement('span');
    title.textContent = item.title;
    const state = document.createElement('span');
    state.className = 'agenda-state';
    if (!over && item.id === current) {
      button.setAttribute('aria-current', 'true');
      state.textContent = 'now';
    } else if (done.has(item.id)) {
      li.className = 'done';
      state.textContent = 'covered';
    } else if (over) {
      li.className = 'not-reached';
      state.textContent = 'not reached';
    }
    button.disabled = over;
    button.append(title, state);
    li.append(button);
    return li;
  };
  redraw($('agenda-list'), () => $('agenda-list').replaceChildren(...agendaItems().map(row)));
  const parked = (bundle().agenda || []).filter((i) => i.parked);
  redraw($('agenda-parked'), () => $('agenda-parked').replaceChildren(...parked.map(row)));
  $('agenda-parked').hidden = !parked.length;
  $('agenda-parked-title').hidden = !parked.length;
}

/** Redraw a container and hand focus back to the same control if it had it (keyboard users keep their place). */
function redraw(container, draw) {
  const active = document.activeElement;
  let key = null;
  if (active && active !== container && container.contains(active)) {
    const attr = ['id', 'data-attendee-id', 'data-agenda-id', 'data-edit', 'data-delete'].find((a) => active.hasAttribute(a));
    if (attr) key = `[${attr}="${CSS.escape(active.getAttribute(attr))}"]`;
  }
  draw();
  if (key) {
    const again = container.querySelector(key);
    if (again && again !== document.activeElement) again.focus({ preventScroll: true });
  }
}

let chipsKey = null;

/** The speaker chips: rebuilt only when the people change; a tap just moves aria-pressed. */
function drawSpeakers() {
  const list = attendees();
  const box = $('speakers');
  const over = ended();
  const key = peopleKey(list);
  if (key !== chipsKey) {
    chipsKey = key;
    const chips = list.map((a) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'chip';
      button.dataset.attendeeId = a.id;
      const name = document.createElement('span');
      name.className = 'chip-name';
      name.textContent = a.name;
      const role = document.createElement('span');
      role.className = 'chip-role';
      role.textContent = a.role_label || roleLabel(a.role);
      button.append(name, role);
      return button;
    });
    redraw(box, () => box.replaceChildren(...chips, $('add-person')));
  }
  const speaker = currentSpeaker();
  for (const chip of box.querySelectorAll('[data-attendee-id]')) {
    const pressed = String(chip.dataset.attendeeId === speaker);
    if (chip.getAttribute('aria-pressed') !== pressed) chip.setAttribute('aria-pressed', pressed);
    chip.disabled = over;
  }
  $('add-person').hidden = over;
}

function drawRecordedTime() {
  const rec = S.recorder;
  const ms = S.recordedBefore + (rec ? rec.elapsed() : 0);
  const text = formatDuration(ms);
  if ($('rec-time').textContent !== text) $('rec-time').textContent = text;
}

function drawRecording() {
  const rec = S.recorder;
  const consent = S.meeting.consent;
  const active = Boolean(rec && rec.active);
  const over = ended();
  const stopped = !$('live-notice').hidden;   // stopped by something the parent did not choose
  $('rec-consent').hidden = active || consent === 'given' || over;
  $('rec-consent').textContent = consent === 'refused' ? 'Ask again…' : 'Record…';
  $('rec-pause').hidden = !active;
  $('rec-stop').hidden = !active;
  $('rec-resume').hidden = active || consent !== 'given' || over || stopped;
  $('rec-resume').textContent = S.stopChoice === 'stop' ? 'Record again' : 'Resume';
  const bar = $('rec-bar');
  bar.classList.toggle('on', active);
  bar.classList.toggle('paused', !active && consent === 'given' && !over);
  let text;
  if (active) text = '● Recording';
  else if (consent === 'refused') text = 'Notes only: someone did not agree to recording.';
  else if (consent === 'given') text = over ? 'Recording finished.' : (stopped || S.stopChoice === 'stop' ? 'Recording stopped.' : 'Recording paused.');
  else text = over ? 'Not recorded.' : 'Not recording.';
  if ($('rec-status').textContent !== text) $('rec-status').textContent = text;
  $('rec-time-wrap').hidden = !(active || S.recordedBefore > 0);
  $('rec-level').hidden = !active;
  // leaving the page stops a recording: the way out is there only when nothing is being recorded
  $('live-back').hidden = active;
  drawRecordedTime();
  const wake = !active || S.wakeOk !== false;
  if (!wake && $('wake-alert').hidden) {
    $('wake-status').textContent = 'The screen may turn off by itself and stop the recording.';
  }
  $('wake-alert').hidden = wake;
  drawSilence();
}

/** The input level (0..1 on a -60..0 dBFS scale) and the silence warning, fed by the recorder every 150 ms. */
function drawLevel(level, silentMs) {
  S.silentMs = silentMs;
  const fill = level ? Math.max(0, Math.min(1, (20 * Math.log10(level) + 60) / 60)) : 0;
  $('rec-level-bar').style.transform = `scaleX(${fill.toFixed(3)})`;
  $('rec-level').dataset.level = fill.toFixed(3);
  drawSilence();
}

function drawSilence() {
  const alert = $('silence-alert');
  const silent = Boolean(S.recorder && S.recorder.active) && S.silentMs >= silenceMs;
  if (silent && alert.hidden) {
    $('silence-text').textContent = `No sound for ${Math.round(silenceMs / 1000)} seconds. Is the microphone covered or muted? Check nothing is over it and no other app is using it.`;
    alert.hidden = false;
    vibrate();
  } else if (!silent && !alert.hidden) {
    alert.hidden = true;
  }
}

let lastSyncShown = { at: null, text: ' Not synced yet.' };

/** " Last sync 10:42." (formatting a time is slow enough to matter on every tap: done once per sync) */
function lastSyncText() {
  const last = S.syncer && S.syncer.lastSync;
  if (last !== lastSyncShown.at) {
    const text = last ? ` Last sync ${last.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}.` : ' Not synced yet.';
    lastSyncShown = { at: last, text };
  }
  return lastSyncShown.text;
}

function drawSync() {
  const c = S.counts;
  let eventsPending = 0;
  let rejected = 0;
  for (const e of S.events) {
    if (e.remote) continue;
    if (e.sync === 'pending') eventsPending += 1;
    else if (e.sync === 'rejected') rejected += 1;
  }
  const parts = [];
  if (eventsPending) parts.push(`${eventsPending} note${eventsPending === 1 ? '' : 's'}`);
  if (c.chunksPending) parts.push(`${c.chunksPending} audio piece${c.chunksPending === 1 ? '' : 's'}`);
  let text = parts.length ? `Waiting to send: ${parts.join(', ')}.` : 'Everything is on the server.';
  if (rejected) text += ` ${rejected} not accepted (see the notes list).`;
  if (!navigator.onLine) text = `Offline: saved on this phone. ${parts.length ? text : ''}`.trim();
  text += lastSyncText();
  if ($('sync-text').textContent !== text) $('sync-text').textContent = text;
  if (ended()) {
    const waiting = eventsPending + c.chunksPending + (c.recordingsUnfinished || 0);
    const said = waiting
      ? `Meeting ended. Still waiting to upload: ${parts.join(', ') || 'closing the recording'}. Keep this page open until it says everything is uploaded.`
      : 'Meeting ended. Everything is uploaded.';
    if ($('end-summary').textContent !== said) $('end-summary').textContent = said;
  }
}

function closedMessage() {
  if (S.meeting.closed === 'access') return 'Your access to this meeting has ended, so notes are closed here.';
  return 'The meeting has ended, so notes are closed.';
}

/** After End (here or on the other phone): a way on to the review, markers closed, nobody else invited. */
function drawEnded() {
  const over = ended();
  $('end-meeting').hidden = over || !canEnd();
  $('share-open').hidden = over || !isOwner();
  $('attendance-open').hidden = over || !isOwner();
  $('end-card').hidden = !over;
  closeMarkers(over ? closedMessage() : '');
  if (!over) return;
  $('review-link').hidden = !isOwner();
  const notReached = agendaItems().filter((i) => !covered().has(i.id));
  $('end-not-reached').hidden = !notReached.length;
  $('end-not-reached').textContent = `Not reached: ${notReached.map((i) => i.title).join(', ')}.`;
  if (!isOwner()) {
    const note = S.meeting.closed === 'access' ? closedMessage() : 'The parent who shared it will check what was captured.';
    if ($('end-not-reached').hidden) {
      $('end-not-reached').textContent = note;
      $('end-not-reached').hidden = false;
    }
  }
  for (const dialog of ['marker-sheet', 'person-sheet', 'target-sheet', 'consent-sheet', 'share-sheet', 'attendance-sheet']) {
    if ($(dialog).open) $(dialog).close('cancel');
  }
}

let timelineTimer = null;

/**
 * The notes list and its count. The list is in a sheet: while the sheet is closed a tap only updates the count,
 * and the rows catch up once the taps pause (the list is never in the way of the next tap).
 */
function drawTimeline(now = $('notes-sheet').open) {
  clearTimeout(timelineTimer);
  if (!now) {
    const label = `Notes (${listed(timeline()).length})`;
    if ($('notes-open').textContent !== label) $('notes-open').textContent = label;
    timelineTimer = setTimeout(() => drawTimeline(true), 300);
    return;
  }
  const list = attendees();
  const context = {
    attendees: list, bundle: bundle(), startedAt: S.meeting.started_at, roleLabel,
    key: `${peopleKey(list)}|${S.meeting.started_at}`,
  };
  let n = 0;
  redraw($('timeline'), () => { n = renderTimeline($('timeline'), timeline(), context); });
  const label = `Notes (${n})`;
  if ($('notes-open').textContent !== label) $('notes-open').textContent = label;
  $('notes-empty').hidden = n > 0;
}

/** Draw the screen from memory (no IndexedDB reads): what a tap changed, and nothing else, is touched. */
function draw() {
  const started = Boolean(S.meeting.started_at);
  $('live-start').hidden = started;
  $('live-main').hidden = !started;
  drawClock();
  drawAgenda();
  drawSpeakers();
  drawRecording();
  drawSync();
  drawEnded();
  drawTimeline();
  if ($('attendance-sheet').open) drawAttendance();
}

/** Re-read the meeting, the upload counts and the recorded time from IndexedDB, then draw. */
async function refresh() {
  S.meeting = await get('meetings', meetingId);
  S.counts = await S.syncer.counts();
  S.recordedBefore = await recordedBefore(meetingId);
  draw();
}

/* ---------- actions ---------- */

async function startMeeting() {
  const length = Number($('meeting-length').value) || 60;
  await update('meetings', meetingId, (m) => ({
    ...m, started_at: m.started_at || new Date(now()).toISOString(), length_min: length,
  }));
  S.meeting = await get('meetings', meetingId);
  const first = agendaItems()[0];
  if (first && !currentItem()) await capture('agenda', { agenda_item_id: first.id }, { withContext: false });
  await refresh();
  kick();
}

async function stepAgenda(delta) {
  const items = agendaItems();
  const index = items.findIndex((i) => i.id === currentItem());
  const next = items[Math.min(items.length - 1, Math.max(0, index + delta))];
  if (next && next.id !== currentItem()) await capture('agenda', { agenda_item_id: next.id }, { withContext: false });
}

/* ---------- attendance: one tap per person (the parent's phone; sent as each attendee's attendance) ---------- */

const ATTENDANCE = [['present', 'Here'], ['apologies', 'Apologies'], ['left', 'Left']];

function attendanceOf(person) {
  const mine = (S.meeting.attendance || {})[person.id];
  if (mine) return mine;
  return ['present', 'apologies'].includes(person.attendance) ? person.attendance : null;
}

function drawAttendance() {
  const rows = attendees().map((person) => {
    const row = document.createElement('div');
    row.className = 'attend-row';
    const name = document.createElement('span');
    name.className = 'attend-name';
    name.id = `attend-name-${person.id}`;
    name.textContent = `${person.name}${person.role_label ? ` (${person.role_label})` : ''}`;
    const choices = document.createElement('div');
    choices.className = 'attend-choices';
    choices.setAttribute('role', 'group');
    choices.setAttribute('aria-labelledby', name.id);
    const now = attendanceOf(person);
    for (const [value, label] of ATTENDANCE) {
      const button = document.createElement('button');
      button.type = 'button';
      button.id = `attend-${person.id}-${value}`;
      button.dataset.attendeeId = person.id;
      button.dataset.attend = value;
      button.setAttribute('aria-pressed', String(now === value));
      button.textContent = label;
      choices.append(button);
    }
    row.append(name, choices);
    return row;
  });
  redraw($('attendance-people'), () => $('attendance-people').replaceChildren(...rows));
}

async function setAttendance(attendeeId, value) {
  const person = attendees().find((a) => a.id === attendeeId);
  const was = person ? attendanceOf(person) : null;
  await update('meetings', meetingId, (m) => ({ ...m, attendance: { ...(m.attendance || {}), [attendeeId]: value } }));
  if (value === 'left' && was !== 'left' && person && !ended()) {
    await capture('bookmark', { text: `${person.name} left the meeting.` }, { withContext: false });
  }
  await refresh();
  kickSoon();
}

function markPresent(attendeeId) {
  const mine = S.meeting.attendance || {};
  if (mine[attendeeId]) return;
  S.meeting = { ...S.meeting, attendance: { ...mine, [attendeeId]: 'present' } };
  // an explicit choice made meanwhile wins
  update('meetings', meetingId, (m) => ({ ...m, attendance: { [attendeeId]: 'present', ...(m.attendance || {}) } }))
    .catch((err) => console.error(err));
}

/** Jump to any agenda item (parked ones too), from the agenda sheet. */
async function jumpAgenda(itemId) {
  $('agenda-sheet').close();
  if (itemId && itemId !== currentItem()) await capture('agenda', { agenda_item_id: itemId }, { withContext: false });
}

async function startRecording() {
  try {
    await S.recorder.start(meetingMs(S.meeting.started_at));
    $('live-notice').hidden = true;
    S.stopChoice = null;
  } catch (err) {
    handleError(err, 'Could not start recording.');
  }
  await refresh();
}

/** Pause or Stop: both end this recording (what it saved is kept); Resume / Record again starts a new one. */
async function stopRecording(choice) {
  S.stopChoice = choice;
  const hadFocus = document.activeElement && document.activeElement.closest('#rec-bar');
  await S.recorder.stop();
  await refresh();
  if (hadFocus && !$('rec-resume').hidden) $('rec-resume').focus();
  kick();
}

function interrupted(message) {
  $('live-notice-text').textContent = `${message} Everything up to ${new Date().toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })} is saved.`;
  $('live-notice').hidden = false;
  vibrate();
  refresh();
}

async function endMeeting() {
  await S.recorder.stop();
  await update('meetings', meetingId, (m) => ({ ...m, ended_at: m.ended_at || new Date(now()).toISOString() }));
  $('live-notice').hidden = true;
  await refresh();
  // the next step is at the top of the screen now
  window.scrollTo({ top: 0 });
  ($('review-link').hidden ? $('end-summary') : $('review-link')).focus({ preventScroll: true });
  await S.syncer.run();
}

async function loadBundle() {
  S.meeting = await get('meetings', meetingId);
  if (navigator.onLine || !S.meeting) {
    try {
      // the server's start and end (maybe from the other phone) win over this phone's
      await applyBundle(meetingId, await api(`/api/v1/meetings/${meetingId}`));
    } catch (err) {
      if (!S.meeting) console.warn('bundle', err);
    }
    S.meeting = await get('meetings', meetingId);
  }
  S.rules = await getValue(`rules:${jurisdiction}`);
  if (navigator.onLine || !S.rules) {
    try {
      S.rules = await api(`/api/v1/rules/${jurisdiction}`);
      await setValue(`rules:${jurisdiction}`, { jurisdiction, roles: S.rules.roles });
    } catch (err) {
      console.warn('rules', err);
    }
  }
}

function fillRoles() {
  const select = $('person-role');
  const groups = new Map();
  for (const role of (S.rules && S.rules.roles) || []) {
    const group = role.group || 'Other';
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(role);
  }
  const nodes = [];
  for (const [group, roles] of groups) {
    const og = document.createElement('optgroup');
    og.label = group;
    for (const role of roles) og.append(new Option(role.label, role.id));
    nodes.push(og);
  }
  if (!nodes.length) nodes.push(new Option('Other', 'other'));
  select.replaceChildren(...nodes);
}

function wire() {
  $('start-meeting').addEventListener('click', () => startMeeting().catch((err) => handleError(err)));
  $('agenda-prev').addEventListener('click', () => stepAgenda(-1).catch((err) => handleError(err)));
  $('agenda-next').addEventListener('click', () => stepAgenda(1).catch((err) => handleError(err)));
  $('agenda-open').addEventListener('click', () => { drawAgendaList(); $('agenda-sheet').showModal(); });
  $('agenda-close').addEventListener('click', () => $('agenda-sheet').close());
  for (const list of [$('agenda-list'), $('agenda-parked')]) {
    list.addEventListener('click', (event) => {
      const button = event.target.closest('[data-agenda-id]');
      if (button) jumpAgenda(button.dataset.agendaId).catch((err) => handleError(err));
    });
  }
  $('notes-open').addEventListener('click', () => { drawTimeline(true); $('notes-sheet').showModal(); });
  $('notes-close').addEventListener('click', () => $('notes-sheet').close());
  $('prompts-open').addEventListener('click', () => $('prompts-sheet').showModal());
  $('prompts-close').addEventListener('click', () => $('prompts-sheet').close());
  $('attendance-open').addEventListener('click', () => { drawAttendance(); $('attendance-sheet').showModal(); });
  $('attendance-close').addEventListener('click', () => $('attendance-sheet').close());
  $('attendance-people').addEventListener('click', (event) => {
    const button = event.target.closest('[data-attend]');
    if (button) setAttendance(button.dataset.attendeeId, button.dataset.attend).catch((err) => handleError(err));
  });
  $('speakers').addEventListener('click', (event) => {
    const chip = event.target.closest('[data-attendee-id]');
    if (chip) capture('speaker', { attendee_id: chip.dataset.attendeeId }, { withContext: false }).catch((err) => handleError(err));
  });
  $('add-person').addEventListener('click', () => {
    $('person-name').value = '';
    $('person-error').hidden = true;
    $('person-sheet').showModal();
    $('person-name').focus();
  });
  $('person-sheet').addEventListener('close', async () => {
    if ($('person-sheet').returnValue !== 'save') return;
    const name = $('person-name').value.trim();
    if (!name) return;
    try {
      const person = await capture('attendee', { name, role: $('person-role').value }, { withContext: false });
      if (S.recorder.active) await askNewPersonConsent(person.id, name);
    } catch (err) {
      handleError(err);
    }
  });
  document.querySelectorAll('[data-marker]').forEach((button) => button.addEventListener('click', () => {
    tapMarker(button.dataset.marker).catch((err) => handleError(err));
  }));
  $('mark-target').addEventListener('click', () => {
    const targets = bundle().targets || [];
    if (!targets.length) { show('There are no targets for this meeting.'); return; }
    $('target-id').replaceChildren(...targets.map((t) => new Option(t.text.length > 80 ? `${t.text.slice(0, 79)}…` : t.text, t.id)));
    $('target-sheet').showModal();
  });
  $('target-sheet').addEventListener('close', () => {
    if ($('target-sheet').returnValue !== 'save') return;
    capture('target', { target_id: $('target-id').value, status: $('target-status').value }).catch((err) => handleError(err));
  });
  $('rec-consent').addEventListener('click', () => openConsent().catch((err) => handleError(err)));
  $('rec-pause').addEventListener('click', () => stopRecording('pause').catch((err) => handleError(err)));
  $('rec-stop').addEventListener('click', () => stopRecording('stop').catch((err) => handleError(err)));
  $('rec-resume').addEventListener('click', () => startRecording());
  $('rec-continue').addEventListener('click', () => startRecording());
  $('rec-continue-dismiss').addEventListener('click', () => { $('live-notice').hidden = true; refresh(); });
  $('keep-awake').addEventListener('click', () => S.recorder.keepAwake());
  $('sync-now').addEventListener('click', () => S.syncer.run({ meeting: true }).then(reload));
  $('end-meeting').addEventListener('click', () => $('end-sheet').showModal());
  $('end-sheet').addEventListener('close', () => {
    if ($('end-sheet').returnValue === 'end') endMeeting().catch((err) => handleError(err));
  });
  $('share-open').addEventListener('click', () => openShare(meetingId).catch((err) => handleError(err)));

  window.addEventListener('online', () => { drawSync(); kick(); });
  window.addEventListener('offline', () => drawSync());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      kick();
      noteHiddenGap().catch((err) => console.error(err));
    } else {
      hidden = { at: now(), recording: Boolean(S.recorder && S.recorder.active) };
    }
  });
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data && event.data.type === 'sync') kick();
    });
  }
  setInterval(() => { if (document.visibilityState === 'visible') kick(); }, 20000);
  setInterval(() => { if (S.meeting) drawClock(); }, 1000);
}

/**
 * A page opened before the service worker took charge (a partner's first visit from the join link) was not kept
 * by it: keep a copy here, so this phone can open the meeting again with no signal or after the meeting ended.
 */
async function keepCopy() {
  if (!('caches' in window) || !navigator.onLine) return;
  try {
    const pages = await caches.open('minuted-pages');
    if (await pages.match(window.location.href, { ignoreVary: true })) return;
    const response = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (response.ok && !response.redirected) await pages.put(window.location.href, response);
  } catch (err) {
    console.warn('could not keep a copy of the meeting page', err);
  }
}

async function mount() {
  S.deviceId = await loadDeviceId();
  await loadOffset();
  S.syncer = new Syncer(meetingId, {
    deviceId: S.deviceId,
    onChange: () => { refreshSoon(); },
    // a completed round trip: the app's "couldn't be reached" banner can go
    onReached: () => { retryMs = 0; window.dispatchEvent(new Event('minuted:reachable')); },
    onError: (err) => handleError(err, 'Sync problem.'),
    // only when a round could not finish: the SW's `sync` event then wakes us when the network is back
    onPaused: registerBackgroundSync,
  });
  await loadBundle();
  if (!S.meeting || !S.meeting.bundle) {
    $('live-missing').hidden = false;
    $('sync-text').textContent = 'Not saved on this phone.';
    return;
  }
  setEvents(await events.forMeeting(meetingId));
  fillRoles();
  S.recorder = new Recorder({
    meetingId,
    deviceId: S.deviceId,
    timeslice: Number(root.dataset.timeslice) || 5000,
    onChunk: () => { refreshSoon(); kick(); },
    onInterrupted: interrupted,
    onWakeLock: (ok) => { S.wakeOk = ok; drawRecording(); },
    onLevel: drawLevel,
    onError: (err) => handleError(err, 'Could not save audio.'),
  });
  const crashed = await recoverCrashed(meetingId);
  wire();
  await refresh();
  if (crashed.length && !S.meeting.ended_at && S.meeting.consent === 'given') {
    interrupted('The recording was interrupted.');
  }
  kick();
  keepCopy();
}

async function reload() {
  setEvents(await events.forMeeting(meetingId));
  await refresh();
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => reload().catch((err) => console.error(err)), 100);
}

/** Shared with the sheets. */
export const live = {
  S, $, capture, revise, attendees, currentSpeaker, currentItem, refresh, startRecording, kick,
  setConsent: (consent) => update('meetings', meetingId, (m) => ({ ...m, consent })),
};

const ready = mount();
ready.catch((err) => handleError(err, 'Meeting mode could not start.'));

window.minutedLive = {
  ready,
  state: () => ({
    meetingId,
    deviceId: S.deviceId,
    started_at: S.meeting && S.meeting.started_at,
    ended_at: S.meeting && S.meeting.ended_at,
    consent: S.meeting && S.meeting.consent,
    speaker: currentSpeaker(),
    agenda_item_id: currentItem(),
    recording: S.recorder && S.recorder.recording ? S.recorder.recording.id : null,
    recordingActive: Boolean(S.recorder && S.recorder.active),
    offset: offset(),
    lastSync: S.syncer && S.syncer.lastSync ? S.syncer.lastSync.toISOString() : null,
    events: S.events.length,
    closed: S.meeting && S.meeting.closed,
    silentMs: S.silentMs,
    level: Number($('rec-level').dataset.level || 0),
  }),
  syncNow: () => S.syncer.run({ meeting: true }).then(reload).then(() => S.syncer.counts()),
  counts: () => S.syncer.counts(),
  recorder: () => S.recorder,
};
