/* Sync: the outbox (events), the audio chunks and the meeting's start/end, sent to the server idempotently.
 *
 * Discipline (STYLE A7, Workbox Queue): take the next item, send it, and on a network or server failure leave it
 * where it is and stop the round. Nothing is deleted before the server acknowledged it; an event the server
 * rejects stays on the phone, marked 'rejected', with the server's message.
 *
 * A round ends by reading: the other phone's events and (every so often) the meeting itself, so this phone learns
 * that the meeting ended or that someone was added. Only a round that got that far is a "sync".
 */
import { ApiError, api } from '../api.js';
import { all, del, get, promisify, saveBundle, tx, update } from '../db.js';
import { addSample, now } from './clock.js';
import { atMs } from './events.js';

const BATCH = 500;
const MEETING_EVERY_MS = 15000;   // how often a round also reads the meeting (end, people, agenda)

/**
 * Partner's phone: its access to the meeting ended (403: the meeting ended, the server's code meeting_ended
 * with its ended_at; 401/404: the code was revoked or ran out).
 */
class AccessEnded extends Error {
  constructor(reason, endedAt = null) {
    super(reason === 'ended' ? 'The meeting has ended.' : 'Your access to this meeting has ended.');
    this.reason = reason;
    this.endedAt = endedAt;
  }
}

/**
 * Save a fresh bundle from the server and take its start and end: the first start (maybe the other phone's) is
 * the shared clock origin, and a meeting ended on the other phone is ended here too.
 */
export async function applyBundle(meetingId, fresh) {
  await saveBundle(fresh);
  await update('meetings', meetingId, (m) => {
    const next = { ...m };
    if (fresh.started_at) Object.assign(next, { started_at: fresh.started_at, start_posted: true });
    if (fresh.ended_at && !m.ended_at) Object.assign(next, { ended_at: fresh.ended_at, end_posted: true });
    return next;
  });
}

/** True when a failure means "try again later" (no network, server down or restarting, a stale CSRF token). */
function transient(err) {
  return !(err instanceof ApiError) || err.status >= 500 || err.status === 408 || err.status === 429
    || err.code === 'csrf_failed';
}

/**
 * The page's CSRF token no longer matches the session cookie (the session changed under the page, e.g. a
 * response that set the cookie again). Read a fresh token from this page, without reloading it (a reload would
 * stop a recording). True when the token was replaced.
 */
async function refreshCsrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) return false;
  try {
    const response = await fetch(window.location.pathname + window.location.search, {
      cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'text/html' },
    });
    if (!response.ok) return false;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.querySelector('meta[name="csrf-token"]');
    if (!fresh || !fresh.content || fresh.content === meta.content) return false;
    meta.content = fresh.content;
    return true;
  } catch (_) {
    return false;
  }
}

/** Call the API; a write refused for a stale CSRF token is tried once more with a fresh token. */
async function call(path, options) {
  try {
    return await api(path, options);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'csrf_failed' && await refreshCsrf()) return api(path, options);
    throw err;
  }
}

/** PUT raw bytes; returns parsed JSON or throws ApiError. */
function putBytes(path, bytes, mime, sha256) {
  return call(path, {
    method: 'PUT', bytes, contentType: mime, headers: { 'X-Content-SHA256': sha256 }, timeout: 60000,
  });
}

export default class Syncer {
  /**
   * @param {string} meetingId
   * @param {{deviceId: string, onChange: () => void, onError: (err: Error) => void, onPaused: () => void,
   *          onReached?: () => void}} options
   */
  constructor(meetingId, { deviceId, onChange, onError, onPaused, onReached }) {
    this.meetingId = meetingId;
    this.base = `/api/v1/meetings/${meetingId}`;
    this.deviceId = deviceId;
    this._onChange = onChange || (() => {});
    this._onError = onError || ((err) => console.error(err));
    this._onPaused = onPaused || (() => {});
    this._onReached = onReached || (() => {});
    this._running = null;
    this._again = false;
    this._meetingAt = 0;   // when the meeting was last read (0: read it next round)
    this.lastSync = null;  // the end of the last round that reached the server both ways
    this.lastError = null;
  }

  /** Run a sync round now (or once more after the one in flight); {meeting: true} also reads the meeting. */
  run({ meeting = false } = {}) {
    if (meeting) this._meetingAt = 0;
    if (this._running) {
      this._again = true;
      return this._running;
    }
    this._running = (async () => {
      do {
        this._again = false;
        await this._round();
      } while (this._again);
    })().finally(() => { this._running = null; });
    return this._running;
  }

  async _call(path, options) {
    const tSend = Date.now();
    const data = await call(path, options);
    const tRecv = Date.now();
    if (data && data.server_time) await addSample(data.server_time, tSend, tRecv);
    return data;
  }

  async _round() {
    try {
      await this._start();
      await this._events();
      await this._audio();
      await this._end();
      await this._attendance();
      // the reads prove the round trip: sends that had nothing to do never contacted the server
      await this._pull();
      await this._meeting();
      this.lastSync = new Date();
      this.lastError = null;
      this._onReached();
    } catch (err) {
      this.lastError = err;
      if (err instanceof AccessEnded) await this._close(err.reason, err.endedAt);
      else if (!transient(err)) this._onError(err);
      else {
        console.warn('sync paused:', err.message || err);
        this._onPaused();
      }
    } finally {
      this._onChange();
    }
  }

  async _start() {
    const meeting = await get('meetings', this.meetingId);
    if (!meeting || !meeting.started_at || meeting.start_posted) return;
    const data = await this._call(`${this.base}/start`, { method: 'POST', body: { started_at: meeting.started_at } });
    // the first start wins (maybe the partner's); own events are re-based on it when sent
    await update('meetings', this.meetingId, (m) => ({ ...m, started_at: data.started_at || m.started_at, start_posted: true }));
  }

  /**
   * A read (or, with 401/404, any call) from a partner's phone that is refused because its access ended.
   * The parent's own phone gets no such reading: there a refusal is an error to show.
   */
  async _guarded(path, options, { read = true } = {}) {
    try {
      return await this._call(path, options);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'meeting_ended') {
        throw new AccessEnded('ended', (err.fields && err.fields.ended_at) || null);
      }
      if (err instanceof ApiError && [401, 403, 404].includes(err.status) && (read || err.status !== 403)) {
        const meeting = await get('meetings', this.meetingId);
        if (meeting && meeting.bundle && !meeting.bundle.can_share) throw new AccessEnded(err.status === 403 ? 'ended' : 'access');
      }
      throw err;
    }
  }

  /** Notes are closed on this phone: the meeting ended elsewhere (at the server's endedAt), or this partner's access did. */
  async _close(reason, endedAt = null) {
    await update('meetings', this.meetingId, (m) => ({
      ...m,
      closed: m.closed || reason,
      ended_at: m.ended_at || endedAt || new Date(now()).toISOString(),
      end_posted: true,
    }));
  }

  /** Read the meeting every so often: its end, the people and agenda as the parent's phone changed them. */
  async _meeting() {
    if (Date.now() - this._meetingAt < MEETING_EVERY_MS) return;
    const fresh = await this._guarded(this.base);
    this._meetingAt = Date.now();
    if (fresh && fresh.id) await applyBundle(this.meetingId, fresh);
  }

  /** The parent's taps on "Who's here", as each attendee's attendance ("left" stays present: a bookmark says when). */
  async _attendance() {
    const meeting = await get('meetings', this.meetingId);
    if (!meeting || !meeting.bundle || !meeting.bundle.can_share) return;
    const sent = meeting.attendance_sent || {};
    for (const [id, value] of Object.entries(meeting.attendance || {})) {
      if (sent[id] === value) continue;
      try {
        await this._call(`${this.base}/attendees/${id}`, { method: 'PATCH', body: { attendance: value === 'left' ? 'present' : value } });
      } catch (err) {
        if (transient(err)) throw err;
        console.warn('attendance not saved', id, err);   // e.g. a person since removed: not sent again
      }
      await update('meetings', this.meetingId, (m) => ({ ...m, attendance_sent: { ...(m.attendance_sent || {}), [id]: value } }));
    }
  }

  async _end() {
    const meeting = await get('meetings', this.meetingId);
    if (!meeting || !meeting.ended_at || meeting.end_posted) return;
    await this._call(`${this.base}/end`, { method: 'POST', body: { ended_at: meeting.ended_at } });
    await update('meetings', this.meetingId, (m) => ({ ...m, end_posted: true }));
  }

  async _events() {
    for (;;) {
      const meeting = await get('meetings', this.meetingId);
      const pending = (await all('events', 'by_sync', [this.meetingId, 'pending'])).slice(0, BATCH);
      if (!pending.length) return;
      const body = {
        device_id: this.deviceId,
        events: pending.map((e) => ({
          id: e.id,
          kind: e.kind,
          at_ms: atMs(e, meeting && meeting.started_at),
          wall_time: e.wall_time,
          device_id: e.device_id,
          payload: e.payload,
          version: e.version,
          deleted: e.deleted,
        })),
      };
      try {
        const data = await this._guarded(`${this.base}/events`, { method: 'POST', body }, { read: false });
        const accepted = new Map((data.accepted || []).map((a) => [a.id, a.version]));
        // one transaction after the fetch: an event edited while its old version was in flight stays pending
        await tx('events', 'readwrite', async (s) => {
          for (const e of pending) {
            const current = await promisify(s.events.get(e.id));
            const version = accepted.has(e.id) ? accepted.get(e.id) : e.version;
            if (current && current.version === version && current.sync === 'pending') {
              await promisify(s.events.put({ ...current, sync: 'sent', error: null }));
            }
          }
        });
        this._onChange();
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 422 && err.status !== 400 || transient(err)) throw err;
        const fields = err.fields || {};
        const blamed = pending.filter((e) => fields[e.id]);
        // a batch error that names no event: reject the whole batch rather than resend it forever
        const rejected = blamed.length ? blamed : pending;
        await tx('events', 'readwrite', async (s) => {
          for (const e of rejected) {
            const current = await promisify(s.events.get(e.id));
            if (current && current.version === e.version) {
              await promisify(s.events.put({ ...current, sync: 'rejected', error: fields[e.id] || err.message }));
            }
          }
        });
        this._onError(new Error(`The server did not accept ${rejected.length} note(s): ${Object.values(fields)[0] || err.message}`));
        this._onChange();
      }
    }
  }

  async _audio() {
    const recordings = await all('recordings', 'by_meeting', this.meetingId);
    for (const rec of recordings) {
      if (!rec.declared) {
        await this._call(`${this.base}/recordings/${rec.id}`, {
          method: 'PUT', body: { mime: rec.mime, at_ms: rec.at_ms, device_id: rec.device_id },
        });
        await update('recordings', rec.id, (r) => ({ ...r, declared: true }));
      }
      const keys = await tx('chunks', 'readonly', (s) => promisify(
        s.chunks.getAllKeys(IDBKeyRange.bound([rec.id, 0], [rec.id, Infinity])),
      ));
      for (const key of keys) {
        const chunk = await get('chunks', key);
        if (!chunk || chunk.error) continue;
        try {
          const data = await putBytes(`${this.base}/recordings/${rec.id}/chunks/${chunk.seq}`, chunk.bytes, chunk.mime, chunk.sha256);
          if (data && data.sha256 === chunk.sha256) {
            await del('chunks', key);
          } else {
            throw new Error(`The server stored different audio for piece ${chunk.seq}.`);
          }
        } catch (err) {
          if (transient(err)) throw err;
          // 409/413: keep the bytes, say so, go on with the others
          await update('chunks', key, (c) => c && ({ ...c, error: err.message }));
          this._onError(err);
        }
        this._onChange();
      }
      const fresh = await get('recordings', rec.id);
      const left = await tx('chunks', 'readonly', (s) => promisify(
        s.chunks.count(IDBKeyRange.bound([rec.id, 0], [rec.id, Infinity])),
      ));
      if (fresh && fresh.state !== 'recording' && !fresh.finished && left === 0) {
        const data = await this._call(`${this.base}/recordings/${rec.id}/finish`, { method: 'POST', body: { chunks: fresh.next_seq } });
        await update('recordings', rec.id, (r) => ({ ...r, finished: true, missing: (data && data.missing) || [] }));
      }
    }
  }

  async _pull() {
    const data = await this._guarded(`${this.base}/events`);
    const remote = (data && data.events) || [];
    await tx('events', 'readwrite', async (s) => {
      for (const e of remote) {
        if (e.device_id === this.deviceId) continue;
        const current = await promisify(s.events.get(e.id));
        if (current && current.version >= e.version) continue;
        await promisify(s.events.put({
          ...e, meeting_id: this.meetingId, sync: 'sent', remote: true, created: current ? current.created : Date.now(),
        }));
      }
    });
  }

  /** {eventsPending, chunksPending, rejected, recordingsOpen} from IndexedDB. */
  async counts() {
    const [eventsPending, rejected, chunks, recordings] = await Promise.all([
      tx('events', 'readonly', (s) => promisify(s.events.index('by_sync').count([this.meetingId, 'pending']))),
      tx('events', 'readonly', (s) => promisify(s.events.index('by_sync').count([this.meetingId, 'rejected']))),
      tx('chunks', 'readonly', (s) => promisify(s.chunks.index('by_meeting').count(this.meetingId))),
      all('recordings', 'by_meeting', this.meetingId),
    ]);
    const unfinished = recordings.filter((r) => !r.finished).length;
    return { eventsPending, chunksPending: chunks, rejected, recordingsUnfinished: unfinished };
  }
}
