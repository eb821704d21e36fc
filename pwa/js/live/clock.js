/* The meeting clock: this device's offset from the server, and milliseconds since the meeting started. */
import { getValue, setValue } from '../db.js';

let estimate = { offset: 0, rtt: Infinity, at: 0 };

/** Load the saved offset estimate. */
export async function loadOffset() {
  estimate = await getValue('clock_offset', estimate) || estimate;
  return estimate;
}

/**
 * Add one round-trip sample: offset = server_time - (t_send + t_recv) / 2.
 * Keep the sample with the smallest round trip (the least uncertain), unless it is over an hour old.
 */
export async function addSample(serverTimeIso, tSend, tRecv) {
  const server = Date.parse(serverTimeIso);
  if (Number.isNaN(server)) return estimate;
  const rtt = tRecv - tSend;
  const sample = { offset: Math.round(server - (tSend + tRecv) / 2), rtt, at: tRecv };
  const stale = tRecv - estimate.at > 3600 * 1000;
  if (rtt <= estimate.rtt || stale) {
    estimate = sample;
    await setValue('clock_offset', estimate);
  }
  return estimate;
}

/** Server-aligned now, in epoch milliseconds. */
export const now = () => Date.now() + (estimate.offset || 0);

/** The current offset estimate. */
export const offset = () => ({ ...estimate });

/** Milliseconds since startedAt (ISO) on the aligned clock; 0 before the start. */
export function meetingMs(startedAt, at = now()) {
  const start = Date.parse(startedAt);
  return Number.isNaN(start) ? 0 : Math.max(0, Math.round(at - start));
}

/** "12:05" or "1:02:05" for a duration in ms. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}
