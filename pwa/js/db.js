/* IndexedDB for meeting mode: opened once, an upgrade ladder, every write resolves when its transaction commits.
 *
 * Stores (database "minuted", version 1):
 *   kv          {key, value}                      device id, clock offset, rules per jurisdiction
 *   meetings    {id, bundle, saved_at, started_at, start_posted, ended_at, end_posted,
 *                length_min, consent}             the bundle plus this device's meeting state
 *   events      {id, meeting_id, kind, t_ms, at_ms, wall_time, device_id, payload, version,
 *                deleted, created, sync: 'pending'|'sent'|'rejected', error, remote}
 *               index by_meeting (meeting_id), by_sync ([meeting_id, sync])
 *   recordings  {id, meeting_id, mime, at_ms, device_id, state: 'recording'|'stopped'|'interrupted',
 *                next_seq, declared, finished, missing, started_wall}   index by_meeting
 *   chunks      {recording_id, seq, meeting_id, bytes, mime, sha256, size, uploaded, error}
 *               key [recording_id, seq], index by_meeting
 * The events store is the outbox: 'pending' rows are what still has to reach the server.
 */

const NAME = 'minuted';
const VERSION = 1;

/** Wrap an IDBRequest or IDBTransaction in a promise (a transaction resolves on commit). */
export function promisify(request) {
  return new Promise((resolve, reject) => {
    if (request instanceof IDBTransaction) {
      request.oncomplete = () => resolve();
      request.onabort = request.onerror = () => reject(request.error || new Error('transaction aborted'));
    } else {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }
  });
}

let dbPromise = null;

function open() {
  if (dbPromise) return dbPromise;
  const request = indexedDB.open(NAME, VERSION);
  request.onupgradeneeded = (event) => {
    const db = request.result;
    const old = event.oldVersion;
    if (old < 1) {
      db.createObjectStore('kv', { keyPath: 'key' });
      db.createObjectStore('meetings', { keyPath: 'id' });
      const events = db.createObjectStore('events', { keyPath: 'id' });
      events.createIndex('by_meeting', 'meeting_id');
      events.createIndex('by_sync', ['meeting_id', 'sync']);
      const recordings = db.createObjectStore('recordings', { keyPath: 'id' });
      recordings.createIndex('by_meeting', 'meeting_id');
      const chunks = db.createObjectStore('chunks', { keyPath: ['recording_id', 'seq'] });
      chunks.createIndex('by_meeting', 'meeting_id');
    }
  };
  dbPromise = promisify(request).then((db) => {
    // another tab upgrading the schema: let it, and reopen next time
    db.onversionchange = () => { db.close(); dbPromise = null; };
    return db;
  });
  dbPromise.catch(() => { dbPromise = null; });
  return dbPromise;
}

/**
 * Run `work(stores)` in one transaction and resolve with its return value once the transaction commits.
 * `work` must not await anything but IDB requests on these stores (never a fetch).
 */
export async function tx(storeNames, mode, work, { durability = 'default' } = {}) {
  const db = await open();
  const names = Array.isArray(storeNames) ? storeNames : [storeNames];
  const transaction = db.transaction(names, mode, { durability });
  const stores = Object.fromEntries(names.map((n) => [n, transaction.objectStore(n)]));
  const done = promisify(transaction);
  let result;
  try {
    result = await work(stores, transaction);
  } catch (err) {
    try { transaction.abort(); } catch (_) { /* already finished */ }
    await done.catch(() => {});
    throw err;
  }
  await done;
  return result;
}

/** Read one value by key. */
export const get = (store, key) => tx(store, 'readonly', (s) => promisify(s[store].get(key)));

/** Write one record (resolves on commit). */
export const put = (store, value, options) => tx(store, 'readwrite', (s) => promisify(s[store].put(value)), options);

/** Delete one record by key (resolves on commit). */
export const del = (store, key) => tx(store, 'readwrite', (s) => promisify(s[store].delete(key)));

/** Read every record of an index value (or the whole store when index is null). */
export const all = (store, index, query) => tx(store, 'readonly', (s) => promisify(
  index ? s[store].index(index).getAll(query) : s[store].getAll(query),
));

/** Count records of an index value. */
export const count = (store, index, query) => tx(store, 'readonly', (s) => promisify(s[store].index(index).count(query)));

/** Read a kv value (or the fallback). */
export async function getValue(key, fallback = null) {
  const row = await get('kv', key);
  return row ? row.value : fallback;
}

/** Write a kv value. */
export const setValue = (key, value) => put('kv', { key, value });

/** Read-modify-write one record in one transaction; `change(old)` returns the new record. */
export const update = (store, key, change, options) => tx(store, 'readwrite', async (s) => {
  const current = await promisify(s[store].get(key));
  const next = change(current);
  if (next) await promisify(s[store].put(next));
  return next;
}, options);

/** Return this device's id, made once and kept in IDB (mirrored to localStorage). */
export async function deviceId() {
  let id = await getValue('device_id');
  if (!id) {
    id = localStorage.getItem('minuted-device-id') || crypto.randomUUID();
    await setValue('device_id', id);
  }
  localStorage.setItem('minuted-device-id', id);
  return id;
}

/** Save a meeting bundle without touching this device's meeting state. */
export const saveBundle = (bundle) => update('meetings', bundle.id, (old) => ({
  length_min: 60,
  consent: 'unknown',
  ...(old || {}),
  id: bundle.id,
  bundle,
  saved_at: new Date().toISOString(),
}));
