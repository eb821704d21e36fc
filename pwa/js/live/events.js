/* Timeline events made on this device: saved to IndexedDB (the outbox) before anything else happens. */
import { all, promisify, tx } from '../db.js';
import { meetingMs, now } from './clock.js';

export const MARKERS = ['note', 'agreed', 'refused', 'action', 'question', 'quote', 'bookmark'];

/**
 * Create an event and resolve once it is committed to IndexedDB.
 * `context` is {meeting, device_id, attendee_id, agenda_item_id}; the agenda item is added to the payload when set.
 * The person tapped as speaking goes in as `speaking`, a hint only: a marker's person is whoever said the
 * words it marks, which the server works out from the recording (the thumb often lands as the next person
 * starts). A person the parent chooses in the marker's sheet is `attendee_id` / `by` / `owner`.
 */
export async function record(kind, payload, context, { at } = {}) {
  // `at` (server-aligned ms) back-dates an event to when something happened, e.g. when the screen went off
  const t = at === undefined ? now() : at;
  const body = { ...payload };
  if (context.attendee_id && MARKERS.includes(kind) && body.attendee_id === undefined) body.speaking = context.attendee_id;
  if (context.agenda_item_id && body.agenda_item_id === undefined) body.agenda_item_id = context.agenda_item_id;
  const event = {
    id: crypto.randomUUID(),
    meeting_id: context.meeting.id,
    kind,
    t_ms: t,
    at_ms: meetingMs(context.meeting.started_at, t),
    wall_time: new Date(Date.now() - (now() - t)).toISOString(),
    device_id: context.device_id,
    payload: body,
    version: 1,
    deleted: false,
    created: Date.now(),
    sync: 'pending',
    error: null,
    remote: false,
  };
  await tx('events', 'readwrite', (s) => promisify(s.events.put(event)), { durability: 'strict' });
  return event;
}

/** Save a new version of an event: `change(payload)` returns the new payload; `deleted` true/false (un)deletes it. */
export function revise(id, change, { deleted } = {}) {
  return tx('events', 'readwrite', async (s) => {
    const old = await promisify(s.events.get(id));
    if (!old) throw new Error('That note is no longer on this device.');
    const next = {
      ...old,
      payload: change({ ...old.payload }),
      version: old.version + 1,
      deleted: deleted === undefined ? old.deleted : deleted,
      sync: 'pending',
      error: null,
    };
    await promisify(s.events.put(next));
    return next;
  }, { durability: 'strict' });
}

/** Delete an event: a higher version flagged deleted. */
export const remove = (id) => revise(id, (p) => p, { deleted: true });

/** Every event of the meeting on this device (own and pulled from the server). */
export const forMeeting = (meetingId) => all('events', 'by_meeting', meetingId);

/** The event's time on the meeting clock (own events are re-based on the agreed start time). */
export function atMs(event, startedAt) {
  if (event.t_ms && startedAt) return meetingMs(startedAt, event.t_ms);
  return event.at_ms || 0;
}

/** The events in timeline order (each event's time worked out once, not in every comparison). */
export function ordered(events, startedAt) {
  const start = Date.parse(startedAt);
  const at = (e) => (e.t_ms && startedAt ? (Number.isNaN(start) ? 0 : Math.max(0, Math.round(e.t_ms - start))) : e.at_ms || 0);
  return events
    .map((e) => [at(e), e.created || 0, e])
    .sort((a, b) => (a[0] - b[0]) || (a[1] - b[1]))
    .map((row) => row[2]);
}
