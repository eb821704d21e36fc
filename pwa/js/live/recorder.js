/* Audio: MediaRecorder in short chunks, each chunk committed to IndexedDB before it is uploaded.
 *
 * Rules from phone-recording.md: one IDB record per chunk (durability 'strict'); a stop the parent did not ask
 * for ends this recording and offers "tap to continue", which starts a NEW recording on the same timeline;
 * the screen is kept awake while recording and we say so when that fails. An AnalyserNode on the same microphone
 * stream feeds the level meter and notices a microphone that hears nothing (muted, covered, a dead input).
 */
import { all, promisify, put, tx, update } from '../db.js';

const CONSTRAINTS = { audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: true } };
// below this RMS (about -55 dBFS) a 150-ms frame counts as silence: a room with people in it is louder
const SILENCE_RMS = 0.0018;
const LEVEL_EVERY_MS = 150;

/** The recording format this browser supports: WebM/Opus, else MP4 (Safari), else the browser's default. */
export function pickMime() {
  if (typeof MediaRecorder === 'undefined') return null;
  for (const mime of ['audio/webm;codecs=opus', 'audio/mp4']) {
    if (MediaRecorder.isTypeSupported(mime)) return mime;
  }
  return '';
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export default class Recorder {
  /**
   * @param {{meetingId: string, deviceId: string, timeslice: number,
   *          onChunk: () => void, onInterrupted: (reason: string) => void, onWakeLock: (ok: boolean) => void,
   *          onLevel?: (level: number|null, silentMs: number) => void, onError: (err: Error) => void}} options
   */
  constructor(options) {
    this.onLevel = () => {};
    Object.assign(this, options);
    this.startedAt = null;   // performance.now() when the recording in progress started
    this.recording = null;   // the IDB record of the recording in progress
    this._recorder = null;
    this._stream = null;
    this._requestedStop = false;
    this._writes = Promise.resolve();
    this._wakeLock = null;
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.active) this.keepAwake();
    });
  }

  get active() {
    return Boolean(this._recorder && this._recorder.state !== 'inactive');
  }

  /** Ask for the screen to stay on; reports success or failure (never throws). */
  keepAwake() {
    if (!('wakeLock' in navigator)) {
      this.onWakeLock(false);
      return;
    }
    navigator.wakeLock.request('screen').then((lock) => {
      this._wakeLock = lock;
      lock.addEventListener('release', () => { if (this.active && document.visibilityState === 'visible') this.onWakeLock(false); });
      this.onWakeLock(true);
    }).catch(() => this.onWakeLock(false));
  }

  /** Start a new recording at `atMs` on the meeting clock. Call from a tap handler. */
  async start(atMs) {
    if (this.active) return this.recording;
    this.keepAwake();   // inside the tap, not awaited (phone-recording.md W4)
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().then((granted) => console.info('persistent storage:', granted)).catch(() => {});
    }
    const mime = pickMime();
    if (mime === null) throw new Error('This browser cannot record audio.');
    const stream = await navigator.mediaDevices.getUserMedia(CONSTRAINTS);
    const recorder = new MediaRecorder(stream, mime ? { mimeType: mime } : undefined);
    const record = {
      id: crypto.randomUUID(),
      meeting_id: this.meetingId,
      mime: recorder.mimeType || mime || 'audio/webm',
      at_ms: atMs,
      device_id: this.deviceId,
      state: 'recording',
      next_seq: 0,
      declared: false,
      finished: false,
      started_wall: new Date().toISOString(),
      timeslice: this.timeslice,
    };
    await put('recordings', record, { durability: 'strict' });
    this.recording = record;
    this._stream = stream;
    this._recorder = recorder;
    this._requestedStop = false;
    this.startedAt = performance.now();
    this._startMeter(stream);
    let seq = 0;
    // a monotonic clock: a wall-clock jump (a phone correcting its time) must not look like a silent microphone
    let lastData = performance.now();
    this._stalled = false;
    // a recorder that stops producing chunks (a silenced or stolen microphone) is treated as interrupted:
    // what it saved is kept and the parent is offered "Continue recording" (phone-recording.md §4.3)
    this._watchdog = setInterval(() => {
      if (recorder.state === 'recording' && performance.now() - lastData > 3 * this.timeslice + 2000) {
        this._stalled = true;
        recorder.stop();
      }
    }, Math.max(500, this.timeslice));
    recorder.addEventListener('dataavailable', (event) => {
      lastData = performance.now();
      if (!event.data || !event.data.size) return;
      const mySeq = seq++;
      // chunks are written one after another, in order, each in its own committed transaction
      this._writes = this._writes.then(() => this._save(record, mySeq, event.data)).catch((err) => this.onError(err));
    });
    recorder.addEventListener('stop', () => this._stopped(record, stream));
    recorder.addEventListener('error', (event) => console.error('recorder error', event.error));
    for (const track of stream.getAudioTracks()) {
      track.addEventListener('ended', () => { if (recorder.state !== 'inactive') recorder.stop(); });
      // iOS mutes the track during a call or Siri; a long mute is an interruption, not a quiet room
      let muted = null;
      track.addEventListener('mute', () => {
        muted = setTimeout(() => { if (recorder.state !== 'inactive') recorder.stop(); }, 5000);
      });
      track.addEventListener('unmute', () => clearTimeout(muted));
    }
    recorder.start(this.timeslice);
    return record;
  }

  /** Elapsed milliseconds of the recording in progress (0 when none). */
  elapsed() {
    return this.active && this.startedAt !== null ? performance.now() - this.startedAt : 0;
  }

  /**
   * Watch the input level: onLevel(rms 0..1, ms since the last frame with sound) every 150 ms;
   * onLevel(null, 0) when the level cannot be known (no Web Audio, or the audio context is not running).
   */
  _startMeter(stream) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      const context = new Context();
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      context.createMediaStreamSource(stream).connect(analyser);
      if (context.state === 'suspended') context.resume().catch(() => {});
      const frame = new Float32Array(analyser.fftSize);
      let lastSound = performance.now();
      this._meter = context;
      this._meterTimer = setInterval(() => {
        const t = performance.now();
        if (context.state !== 'running') {
          lastSound = t;   // a paused context hears nothing; that is not a silent room
          this.onLevel(null, 0);
          return;
        }
        analyser.getFloatTimeDomainData(frame);
        let sum = 0;
        for (let i = 0; i < frame.length; i += 1) sum += frame[i] * frame[i];
        const rms = Math.sqrt(sum / frame.length);
        if (rms > SILENCE_RMS) lastSound = t;
        this.onLevel(rms, t - lastSound);
      }, LEVEL_EVERY_MS);
    } catch (err) {
      console.warn('level meter', err);
    }
  }

  _stopMeter() {
    clearInterval(this._meterTimer);
    this._meterTimer = null;
    if (this._meter) this._meter.close().catch(() => {});
    this._meter = null;
    this.onLevel(null, 0);
  }

  async _save(record, seq, blob) {
    const bytes = await blob.arrayBuffer();
    const sha256 = await sha256Hex(bytes);
    const chunk = {
      recording_id: record.id, seq, meeting_id: record.meeting_id, bytes, mime: record.mime, sha256,
      size: bytes.byteLength, uploaded: false, error: null,
    };
    // the chunk and the recording's chunk count commit together
    await tx(['chunks', 'recordings'], 'readwrite', async (s) => {
      await promisify(s.chunks.put(chunk));
      const rec = await promisify(s.recordings.get(record.id));
      if (rec) await promisify(s.recordings.put({ ...rec, next_seq: Math.max(rec.next_seq, seq + 1) }));
    }, { durability: 'strict' });
    this.onChunk();
  }

  async _stopped(record, stream) {
    clearInterval(this._watchdog);
    this._stopMeter();
    for (const track of stream.getTracks()) track.stop();
    await this._writes;
    const asked = this._requestedStop;
    const stoppedWall = new Date().toISOString();
    await update('recordings', record.id, (r) => r && ({ ...r, state: asked ? 'stopped' : 'interrupted', stopped_wall: stoppedWall }));
    if (this._wakeLock) this._wakeLock.release().catch(() => {});
    this._wakeLock = null;
    this._recorder = null;
    this._stream = null;
    this.recording = null;
    this.startedAt = null;
    if (this._stopResolve) this._stopResolve();
    this._stopResolve = null;
    if (!asked) this.onInterrupted(this._stalled ? 'The microphone stopped sending sound.' : 'The recording stopped.');
    this.onChunk();
  }

  /** Stop at the parent's request; resolves once every chunk is saved. */
  stop() {
    if (!this.active) return Promise.resolve();
    this._requestedStop = true;
    return new Promise((resolve) => {
      this._stopResolve = resolve;
      this._recorder.stop();
    });
  }

  /** Test hook: end the microphone track as a phone call would. */
  simulateInterruption() {
    if (this._stream) for (const track of this._stream.getTracks()) track.stop();
    if (this._recorder && this._recorder.state !== 'inactive') this._recorder.stop();
  }
}

/** How long a stored recording ran, in ms: start to stop, or its chunk count for one cut short by a crash. */
export function recordedMs(rec) {
  const start = Date.parse(rec.started_wall);
  const stop = Date.parse(rec.stopped_wall);
  if (!Number.isNaN(start) && !Number.isNaN(stop) && stop >= start) return stop - start;
  return (rec.next_seq || 0) * (rec.timeslice || 5000);
}

/** Milliseconds recorded in a meeting's finished recordings (the one in progress not counted). */
export async function recordedBefore(meetingId) {
  const list = await all('recordings', 'by_meeting', meetingId);
  return list.filter((r) => r.state !== 'recording').reduce((sum, r) => sum + recordedMs(r), 0);
}

/** Recordings left 'recording' by a page that died: mark them interrupted and return them with their chunk counts. */
export async function recoverCrashed(meetingId) {
  const open = (await all('recordings', 'by_meeting', meetingId)).filter((r) => r.state === 'recording');
  for (const rec of open) {
    await update('recordings', rec.id, (r) => ({ ...r, state: 'interrupted', end_reason: 'crash-recovered' }));
  }
  return open;
}
