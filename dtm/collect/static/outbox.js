// The outbox sender, the one implementation used by the pages and by the service worker's
// Background Sync handler. Rules (docs/collect.md):
// * one sender at a time across tabs and the worker (Web Lock "outbox-send");
// * a record leaves the outbox only when the server answered created, duplicate or updated
//   for its id; invalid -> "rejected", conflict -> "conflict", both kept with the reasons;
// * network errors, timeouts, 5xx, 429 and unreadable answers keep every record queued (the
//   server dedupes by id, so resending the same batch is safe);
// * 401/403 pause sending until someone signs in again; the queue is not touched.
import { announce, done, getMeta, setMeta, transact } from './db.js';

export const BATCH_SIZE = 50;
export const TIMEOUT_MS = 30000;
const ACKNOWLEDGED = new Set(['created', 'duplicate', 'updated']);
const PENDING = new Set(['queued', 'sending']);

export async function drain() {
  if (!('locks' in navigator)) return sendAll();
  return navigator.locks.request('outbox-send', { ifAvailable: true }, (lock) =>
    lock ? sendAll() : { status: 'busy' },
  );
}

// The item the sync protocol expects for one outbox record.
export function toItem(record) {
  return {
    id: record.id,
    form_id: record.form_id,
    form_version: record.form_version,
    base_version: record.base_version ?? null,
    collected_at: record.collected_at,
    data: record.submitted_data,
  };
}

async function sendAll() {
  const auth = await getMeta('auth');
  if (!auth || !auth.token || auth.paused) return { status: 'signin' };
  const deviceId = await getMeta('device_id');
  let batchSize = BATCH_SIZE;
  let sent = 0;
  for (;;) {
    const batch = await takeBatch(batchSize);
    if (!batch.length) {
      await setMeta('last_sync', { at: new Date().toISOString(), status: 'ok', sent });
      return { status: 'idle', sent };
    }
    announce({ type: 'outbox' });
    let response;
    try {
      response = await postWithTimeout('/api/v1/sync/submissions', auth.token, {
        device_id: deviceId,
        sent_at: new Date().toISOString(),
        batch_id: crypto.randomUUID(),
        items: batch.map(toItem),
      });
    } catch (error) {
      return retryLater(batch, navigator.onLine === false ? 'offline' : `network: ${error.message}`);
    }
    if (response.status === 401 || response.status === 403) {
      await requeue(batch, null);
      await setMeta('auth', { ...auth, paused: true, pause_reason: await errorMessage(response) });
      announce({ type: 'signin' });
      return { status: 'signin' };
    }
    if (response.status === 413 && batchSize > 1) {
      await requeue(batch, null);
      batchSize = Math.ceil(batchSize / 2);
      continue;
    }
    if (!response.ok) {
      return retryLater(batch, `server answered ${response.status}: ${await errorMessage(response)}`);
    }
    let body;
    try {
      body = await response.json();
    } catch (error) {
      return retryLater(batch, `unreadable answer: ${error.message}`);
    }
    sent += await applyResults(batch, body.results || []);
    announce({ type: 'outbox' });
  }
}

async function takeBatch(size) {
  return transact('outbox', 'readwrite', async ({ outbox }) => {
    const records = await done(outbox.getAll());
    // "sending" outside the lock means a sender died mid-request: the outcome is unknown,
    // so the record goes again (the server answers duplicate if it had it).
    const picked = records
      .filter((r) => PENDING.has(r.state))
      .sort((a, b) => (a.finalized_at < b.finalized_at ? -1 : 1))
      .slice(0, size);
    const now = new Date().toISOString();
    for (const record of picked) {
      record.state = 'sending';
      record.attempts = (record.attempts || 0) + 1;
      record.last_attempt_at = now;
      outbox.put(record);
    }
    return picked;
  });
}

async function postWithTimeout(url, token, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    return await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      cache: 'no-store',
      signal: controller.signal,
    });
  } finally {
    clearTimeout(timer);
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    return body.error?.message || response.statusText;
  } catch (_) {
    return response.statusText || 'no details';
  }
}

async function retryLater(batch, reason) {
  await requeue(batch, reason);
  await setMeta('last_sync', { at: new Date().toISOString(), status: 'retry', reason });
  announce({ type: 'outbox' });
  return { status: 'retry', reason };
}

async function requeue(batch, reason) {
  const ids = new Set(batch.map((r) => r.id));
  await transact('outbox', 'readwrite', async ({ outbox }) => {
    for (const id of ids) {
      const record = await done(outbox.get(id));
      if (record && record.state === 'sending') {
        record.state = 'queued';
        if (reason) record.last_error = reason;
        outbox.put(record);
      }
    }
  });
}

// Apply the per-item results in one transaction; returns how many were acknowledged.
async function applyResults(batch, results) {
  const byId = new Map(results.map((r) => [r.id, r]));
  const receivedAt = new Date().toISOString();
  return transact(['outbox', 'acked'], 'readwrite', async ({ outbox, acked }) => {
    let acknowledged = 0;
    for (const sentRecord of batch) {
      const record = await done(outbox.get(sentRecord.id));
      if (!record) continue;
      const result = byId.get(record.id);
      const unchanged = record.revision === sentRecord.revision;
      if (result && ACKNOWLEDGED.has(result.status) && unchanged) {
        outbox.delete(record.id);
        acked.put({
          id: record.id,
          status: result.status,
          acked_at: receivedAt,
          form_id: record.form_id,
          form_version: record.form_version,
          site_id: record.submitted_data?.site_id ?? null,
          title: record.title,
        });
        acknowledged += 1;
        continue;
      }
      if (result && result.status === 'invalid') {
        record.state = 'rejected';
        record.server_errors = result.errors || [];
      } else if (result && result.status === 'conflict') {
        record.state = 'conflict';
        record.server_errors = result.errors || [];
      } else {
        record.state = 'queued'; // no result for it, or edited meanwhile: send again
      }
      record.last_error = null;
      outbox.put(record);
    }
    return acknowledged;
  });
}
