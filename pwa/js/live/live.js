/* Meeting mode: the controller that wires the screen, the event store, the recorder and sync.
 *
 * Everything the parent taps is committed to IndexedDB first (events.js), then synced (sync.js).
 * The screen is re-drawn from IndexedDB after each change, so a reload shows exactly what is saved.
 */
import { api } from '../api.js';
import { get, getValue, saveBundle, setValue, update, deviceId as loadDeviceId } from '../db.js';
import { handleError, show } from '../ui/toasts.js';
import { formatDuration, loadOffset, meetingMs, now, offset } from './clock.js';
import * as events from './events.js';
import Recorder from './recorder.js';
import { recoverCrashed } from './recorder.js';
import Syncer from './sync.js';
import { renderTimeline, openMarkerSheet } from './markers.js';
import { openConsent } from './consent.js';
import { openShare } from './share.js';

const $ = (id) => document.getElementById(id);
const root = $('live');
const meetingId = root.dataset.meetingId;
const jurisdiction = root.dataset.jurisdiction;

const S = {
  meeting: null,       // the IDB meetings record: {bundle, started_at, ended_at, length_min, consent, ...}
  rules: null,
  deviceId: null,
  events: [],
  counts: { eventsPending: 0, chunksPending: 0, rejected: 0 },
  wakeOk: null,
  syncer: null,
  recorder: null,
};

function bundle() {
  return (S.meeting && S.meeting.bundle) || {};
}

/** Attendees from the bundle plus people added during the meeting (an attendee event's id is the new id). */
export function attendees() {
  const list = (bundle().attendees || []).map((a) => ({ ...a }));
  for (const e of S.events) {
    if (e.kind !== 'attendee' || e.deleted) continue;
    const role = S.rules && (S.rules.roles || []).find((r) => r.id === e.payload.role);
    list.push({ id: e.id, name: e.payload.name, role: e.payload.role, role_label: role ? role.label : e.payload.role });
  }
  return list;
}

function timeline() {
  return events.ordered(S.events, S.meeting && S.meeting.started_at);
}

function lastOf(kind, field) {
  const list = timeline().filter((e) => e.kind === kind && !e.deleted);
  return list.length ? list[list.length - 1].payload[field] : null;
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

/** Save an event, redraw, and sync. Returns the saved event. */
export async function capture(kind, payload, { withContext = true, at } = {}) {
  const ctx = context();
  if (!withContext) { ctx.attendee_id = null; ctx.agenda_item_id = null; }
  const event = await events.record(kind, payload, ctx, { at });
  // a reload from IndexedDB (chunks and syncs trigger them) may already have picked this event up
  if (!S.events.some((e) => e.id === event.id)) S.events.push(event);
  await refresh();
  kick();
  return event;
}

/** Save a new version of an event (or delete it), redraw and sync. */
export async function revise(id, change, options) {
  const next = await events.revise(id, change, options);
  S.events = S.events.map((e) => (e.id === id ? next : e));
  await refresh();
  kick();
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
  S.syncer.run().catch((err) => console.error(err));
}

async function registerBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker.ready;
    if (reg.sync) await reg.sync.register('minuted-sync');
  } catch (_) { /* no Background Sync here (Safari, Firefox): the page drives sync */ }
}

/* ---------- drawing ---------- */

function drawClock() {
  const started = S.meeting && S.meeting.started_at;
  const ended = S.meeting && S.meeting.ended_at;
  const elapsed = started ? meetingMs(started, ended ? Date.parse(ended) : now()) : 0;
  $('live-timer').textContent = formatDuration(elapsed);
  const length = (S.meeting && S.meeting.length_min || 60) * 60000;
  const left = length - elapsed;
  $('live-remaining').textContent = started && !ended
    ? (left > 0 ? `${Math.ceil(left / 60000)} min left` : `${Math.floor(-left / 60000)} min over`)
    : '';
  const reminder = $('agenda-reminder');
  const notCovered = agendaItems().filter((i) => !covered().has(i.id));
  if (started && !ended && left <= 10 * 60000 && notCovered.length) {
    const n = notCovered.length;
    reminder.textContent = `${n} ${n === 1 ? 'priority' : 'priorities'} not yet discussed.`;
    reminder.hidden = false;
  } else {
    reminder.hidden = true;
  }
}

function covered() {
  return new Set(S.events.filter((e) => e.kind === 'agenda' && !e.deleted).map((e) => e.payload.agenda_item_id));
}

function drawAgenda() {
  const items = agendaItems();
  const current = currentItem();
  const item = items.find((i) => i.id === current) || (bundle().agenda || []).find((i) => i.id === current);
  $('agenda-current').textContent = item ? item.title : (items.length ? 'Not on an agenda item yet' : 'No agenda items');
  const index = items.findIndex((i) => i.id === current);
  $('agenda-prev').disabled = index <= 0;
  $('agenda-next').disabled = !items.length || index >= items.length - 1;
  const done = covered();
  const list = $('agenda-list');
  list.replaceChildren(...items.map((i) => {
    const li = document.createElement('li');
    li.textContent = i.title;
    if (i.id === current) { li.className = 'now'; li.append(' (now)'); } else if (done.has(i.id)) { li.className = 'done'; li.append(' (covered)'); } else { li.className = 'todo'; }
    return li;
  }));
}

/** Redraw a container and hand focus back to the same control if it had it (keyboard users keep their place). */
function redraw(container, draw) {
  const active = document.activeElement;
  let key = null;
  if (active && active !== container && container.contains(active)) {
    const attr = ['data-attendee-id', 'data-edit', 'data-delete', 'id'].find((a) => active.hasAttribute(a));
    if (attr) key = `[${attr}="${CSS.escape(active.getAttribute(attr))}"]`;
  }
  draw();
  if (key) {
    const again = container.querySelector(key);
    if (again && again !== document.activeElement) again.focus({ preventScroll: true });
  }
}

function drawSpeakers() {
  const speaker = currentSpeaker();
  const chips = attendees().map((a) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'chip';
    button.dataset.attendeeId = a.id;
    button.setAttribute('aria-pressed', String(a.id === speaker));
    const name = document.createElement('span');
    name.className = 'chip-name';
    name.textContent = a.name;
    const role = document.createElement('span');
    role.className = 'chip-role';
    role.textContent = a.role_label || a.role || '';
    button.append(name, role);
    return button;
  });
  redraw($('speakers'), () => $('speakers').replaceChildren(...chips));
}

function drawRecording() {
  const rec = S.recorder;
  const consent = S.meeting.consent;
  const active = rec && rec.active;
  const ended = Boolean(S.meeting.ended_at);
  $('rec-consent').hidden = active || consent === 'given' || ended;
  $('rec-consent').textContent = consent === 'refused' ? 'Ask about recording again…' : 'Record audio…';
  $('rec-pause').hidden = !active;
  $('rec-resume').hidden = active || consent !== 'given' || ended || !$('live-notice').hidden;
  const status = $('rec-status');
  status.classList.toggle('on', Boolean(active));
  if (active) status.textContent = '● Recording';
  else if (consent === 'refused') status.textContent = 'Notes only: someone did not agree to recording.';
  else if (consent === 'given') status.textContent = ended ? 'Recording finished.' : 'Recording paused.';
  else status.textContent = 'Not recording.';
  const wake = $('wake-status');
  wake.hidden = !active || S.wakeOk !== false;
  wake.textContent = 'The screen may turn off by itself. Keep the phone unlocked and this page open.';
  $('keep-awake').hidden = !active || S.wakeOk !== false;
}

function drawSync() {
  const c = S.counts;
  const parts = [];
  if (c.eventsPending) parts.push(`${c.eventsPending} note${c.eventsPending === 1 ? '' : 's'}`);
  if (c.chunksPending) parts.push(`${c.chunksPending} audio piece${c.chunksPending === 1 ? '' : 's'}`);
  let text = parts.length ? `Waiting to send: ${parts.join(', ')}.` : 'Everything is on the server.';
  if (c.rejected) text += ` ${c.rejected} not accepted (see the notes list).`;
  if (!navigator.onLine) text = `Offline: saved on this phone. ${parts.length ? text : ''}`.trim();
  const last = S.syncer && S.syncer.lastSync;
  text += last ? ` Last sync ${last.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}.` : ' Not synced yet.';
  $('sync-text').textContent = text;
  const summary = $('end-summary');
  if (S.meeting && S.meeting.ended_at) {
    summary.hidden = false;
    const waiting = c.eventsPending + c.chunksPending + (c.recordingsUnfinished || 0);
    summary.textContent = waiting
      ? `Meeting ended. Still waiting to upload: ${parts.join(', ') || 'closing the recording'}. Keep this page open until it says everything is uploaded.`
      : 'Meeting ended. Everything is uploaded.';
  }
}

async function refresh() {
  S.meeting = await get('meetings', meetingId);
  S.counts = await S.syncer.counts();
  const started = Boolean(S.meeting.started_at);
  $('live-start').hidden = started;
  $('live-main').hidden = !started;
  $('share-open').hidden = !bundle().can_share;
  $('end-meeting').hidden = Boolean(S.meeting.ended_at);
  drawClock();
  drawAgenda();
  drawSpeakers();
  drawRecording();
  drawSync();
  redraw($('timeline'), () => renderTimeline(
    $('timeline'), timeline(), { attendees: attendees(), bundle: bundle(), startedAt: S.meeting.started_at },
  ));
}

/* ---------- actions ---------- */

async function startMeeting() {
  const length = Number($('meeting-length').value) || 60;
  await update('meetings', meetingId, (m) => ({
    ...m, started_at: m.started_at || new Date(now()).toISOString(), length_min: length,
  }));
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

async function startRecording() {
  try {
    await S.recorder.start(meetingMs(S.meeting.started_at));
    $('live-notice').hidden = true;
  } catch (err) {
    handleError(err, 'Could not start recording.');
  }
  await refresh();
}

function interrupted(message) {
  $('live-notice-text').textContent = `${message} Everything up to ${new Date().toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })} is saved.`;
  $('live-notice').hidden = false;
  if (navigator.vibrate && navigator.userActivation && navigator.userActivation.hasBeenActive) navigator.vibrate(200);
  refresh();
}

async function endMeeting() {
  await S.recorder.stop();
  await update('meetings', meetingId, (m) => ({ ...m, ended_at: m.ended_at || new Date(now()).toISOString() }));
  $('live-notice').hidden = true;
  await refresh();
  await S.syncer.run();
}

async function loadBundle() {
  S.meeting = await get('meetings', meetingId);
  if (navigator.onLine || !S.meeting) {
    try {
      const fresh = await api(`/api/v1/meetings/${meetingId}`);
      await saveBundle(fresh);
      // the server's start time (maybe the partner's) wins over a local one
      if (fresh.started_at) await update('meetings', meetingId, (m) => ({ ...m, started_at: fresh.started_at, start_posted: true }));
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
    openMarkerSheet(button.dataset.marker, null).catch((err) => handleError(err));
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
  $('rec-pause').addEventListener('click', async () => { await S.recorder.stop(); await refresh(); kick(); });
  $('rec-resume').addEventListener('click', () => startRecording());
  $('rec-continue').addEventListener('click', () => startRecording());
  $('rec-continue-dismiss').addEventListener('click', () => { $('live-notice').hidden = true; refresh(); });
  $('keep-awake').addEventListener('click', () => S.recorder.keepAwake());
  $('sync-now').addEventListener('click', () => S.syncer.run().then(reload));
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
  setInterval(drawClock, 1000);
}

async function mount() {
  S.deviceId = await loadDeviceId();
  await loadOffset();
  S.syncer = new Syncer(meetingId, {
    deviceId: S.deviceId,
    onChange: () => { refreshSoon(); },
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
  S.events = await events.forMeeting(meetingId);
  fillRoles();
  S.recorder = new Recorder({
    meetingId,
    deviceId: S.deviceId,
    timeslice: Number(root.dataset.timeslice) || 5000,
    onChunk: () => { refreshSoon(); kick(); },
    onInterrupted: interrupted,
    onWakeLock: (ok) => { S.wakeOk = ok; drawRecording(); },
    onError: (err) => handleError(err, 'Could not save audio.'),
  });
  const crashed = await recoverCrashed(meetingId);
  wire();
  await refresh();
  if (crashed.length && !S.meeting.ended_at && S.meeting.consent === 'given') {
    interrupted('The recording was interrupted.');
  }
  kick();
}

async function reload() {
  S.events = await events.forMeeting(meetingId);
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
  }),
  syncNow: () => S.syncer.run().then(reload).then(() => S.syncer.counts()),
  counts: () => S.syncer.counts(),
  recorder: () => S.recorder,
};
