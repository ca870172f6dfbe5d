// A tiny promise wrapper around IndexedDB: every store the app keeps, and transactions that
// resolve only once the browser has committed them (durability "strict": written to disk).
const DB_NAME = 'dtm-collect';
const DB_VERSION = 1;

let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore('drafts', { keyPath: 'id' }); // records being filled
        db.createObjectStore('outbox', { keyPath: 'id' }); // finalized, not yet acknowledged
        db.createObjectStore('acked', { keyPath: 'id' }); // receipts of acknowledged records
        db.createObjectStore('forms', { keyPath: 'key' }); // "form_id@version" -> definition
        db.createObjectStore('sites', { keyPath: 'site_id' });
        db.createObjectStore('areas', { keyPath: 'pcode' });
        db.createObjectStore('meta'); // auth, device id, cursor, etags, round (key -> value)
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        resolve(db);
      };
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

export function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Run fn({store: IDBObjectStore, ...}) in one transaction; resolves with fn's result after
// the commit. fn may only await IndexedDB requests (anything else would end the transaction).
export async function transact(names, mode, fn) {
  const db = await openDb();
  const list = [].concat(names);
  return new Promise((resolve, reject) => {
    const tx = db.transaction(list, mode, { durability: 'strict' });
    const stores = Object.fromEntries(list.map((name) => [name, tx.objectStore(name)]));
    let result;
    Promise.resolve()
      .then(() => fn(stores))
      .then(
        (value) => {
          result = value;
        },
        (error) => {
          try {
            tx.abort();
          } catch (_) {
            /* already finished */
          }
          reject(error);
        },
      );
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
  });
}

export const get = (store, key) => transact(store, 'readonly', (s) => done(s[store].get(key)));
export const getAll = (store) => transact(store, 'readonly', (s) => done(s[store].getAll()));
export const put = (store, value) => transact(store, 'readwrite', (s) => done(s[store].put(value)));
export const remove = (store, key) => transact(store, 'readwrite', (s) => done(s[store].delete(key)));
export const count = (store) => transact(store, 'readonly', (s) => done(s[store].count()));
export const getMeta = (key) => transact('meta', 'readonly', (s) => done(s.meta.get(key)));
export const setMeta = (key, value) =>
  transact('meta', 'readwrite', (s) => done(s.meta.put(value, key)));

// One channel tells every tab (and the service worker) that records changed.
export function announce(message) {
  try {
    const channel = new BroadcastChannel('dtm-collect');
    channel.postMessage(message);
    channel.close();
  } catch (_) {
    /* no BroadcastChannel: other tabs refresh on their own timer */
  }
}
