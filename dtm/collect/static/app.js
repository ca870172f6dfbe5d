// The enumerator app: screens (sign in, home with site picker, drafts and outbox, the form
// editor), autosave, and when to send. Sending itself is outbox.js; see docs/collect.md.
import * as db from './db.js';
import { FormView } from './form.js';
import { drain } from './outbox.js';
import { AuthRequired, knownPcodes, refreshReference } from './reference.js';

const RETRY_BASE_SECONDS = 3;
const RETRY_CAP_SECONDS = 300;
const AUTOSAVE_MS = 250;
const SITE_LIST_LIMIT = 30;

const app = document.getElementById('app');
const banners = document.getElementById('banners');
const state = {
  auth: null,
  syncing: false,
  busyElsewhere: false,
  retryAttempt: 0,
  retryTimer: null,
  nextRetryAt: null,
  lastResult: null,
  position: null,
  siteQuery: '',
  storageWarnings: [],
  editor: null,
  language: null,
  signInBox: null,
};

// ---- small DOM helper ---------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

const STATE_TEXT = {
  queued: 'Queued: waiting to be sent',
  sending: 'Sending…',
  rejected: 'Rejected: the server did not accept it; fix and finalize again',
  conflict: 'Conflict: the server holds a different record with this id; kept here for review',
};

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

// ---- start --------------------------------------------------------------------------------

// The worker precaches the app all-or-nothing; one failed download (a flaky network, a busy
// server) makes it redundant and the app would not start offline until the next visit. So
// a failed install is retried, a few times, with a growing delay.
function registerWorker(attempt) {
  const retry = (why) => {
    console.warn('service worker', why);
    if (attempt < 5) setTimeout(() => registerWorker(attempt + 1), 2000 * 2 ** attempt);
  };
  navigator.serviceWorker
    .register('/collect/sw.js', { type: 'module', scope: '/collect/' })
    .then((registration) => {
      const installing = registration.installing;
      installing?.addEventListener('statechange', () => {
        if (installing.state === 'redundant' && !registration.active) retry('install failed');
      });
    })
    .catch(retry);
}

// `clients.claim()` in the worker's `activate` takes only the pages already running then. A
// page whose navigation started before the worker was active and finished after it (a reload,
// a second tab or the next screen while the first visit is still precaching) is skipped and
// would stay uncontrolled, "preparing offline use", until reloaded. So once the worker is
// active, a page it does not control asks it to claim again (sw.js, message "claim").
function claimWhenActive() {
  navigator.serviceWorker.ready.then((registration) => {
    if (!navigator.serviceWorker.controller) registration.active?.postMessage({ type: 'claim' });
  });
}

async function start() {
  if ('serviceWorker' in navigator) {
    registerWorker(0);
    claimWhenActive();
    navigator.serviceWorker.addEventListener('message', () => onRecordsChanged());
    navigator.serviceWorker.addEventListener('controllerchange', () => onRecordsChanged());
  }
  if (!(await db.getMeta('device_id'))) await db.setMeta('device_id', crypto.randomUUID());
  state.auth = (await db.getMeta('auth')) || null;
  window.addEventListener('online', () => {
    renderNetwork();
    syncNow('online');
  });
  window.addEventListener('offline', renderNetwork);
  window.addEventListener('hashchange', route);
  try {
    const channel = new BroadcastChannel('dtm-collect');
    channel.onmessage = () => onRecordsChanged();
  } catch (_) {
    /* older browsers: the timer refreshes */
  }
  renderNetwork();
  await route();
  checkStorage();
  syncNow('load');
}

function renderNetwork() {
  const pill = document.getElementById('network');
  pill.textContent = navigator.onLine ? 'Online' : 'Offline';
  pill.className = `pill ${navigator.onLine ? 'online' : 'offline'}`;
  const who = document.getElementById('who');
  who.textContent = state.auth?.user ? `${state.auth.user.username} (${state.auth.user.role})` : '';
}

async function onRecordsChanged() {
  if (!state.editor) await route();
  else {
    state.auth = (await db.getMeta('auth')) || null;
    renderBanners();
  }
}

// Screens are drawn one at a time, each from what IndexedDB holds when its turn comes: a
// redraw started by another tab's message can never overwrite a newer sign-in.
let routing = Promise.resolve();

function route() {
  routing = routing.then(drawScreen, drawScreen);
  return routing;
}

async function drawScreen() {
  state.auth = (await db.getMeta('auth')) || null;
  renderNetwork();
  renderBanners();
  const match = location.hash.match(/^#\/edit\/([\w-]+)$/);
  if (!state.auth) {
    // Redrawing would wipe what is being typed (redraws come from other tabs and the worker).
    if (!app.querySelector('form.signin')) renderSignIn(app, 'Sign in to start. You need a network this first time.');
    return;
  }
  if (match) return openEditor(match[1]);
  await leaveEditor();
  return renderHome();
}

// ---- banners: storage, sign-in pause ------------------------------------------------------

async function checkStorage() {
  const warnings = [];
  try {
    if (navigator.storage?.persisted) {
      let persisted = await navigator.storage.persisted();
      if (!persisted && navigator.storage.persist) persisted = await navigator.storage.persist();
      if (!persisted) {
        warnings.push('Storage is not persistent: the browser may clear it when space runs short. Install the app (Add to home screen) and send your records as soon as you can.');
      }
    }
    if (navigator.storage?.estimate) {
      const { usage = 0, quota = 0 } = await navigator.storage.estimate();
      const free = quota - usage;
      if (quota && (free < 50e6 || usage / quota > 0.9)) {
        warnings.push(`Storage is low: ${Math.round(free / 1e6)} MB left. Send your records and free space on the device.`);
      }
    }
  } catch (e) {
    warnings.push(`Storage could not be checked: ${e.message}`);
  }
  state.storageWarnings = warnings;
  renderBanners();
}

function renderBanners() {
  const items = state.storageWarnings.map((text) => h('p', { class: 'banner warn', role: 'status', text }));
  if (state.auth?.paused) {
    // Kept across redraws so that what is being typed stays.
    if (!state.signInBox) {
      state.signInBox = h('section', { class: 'banner alert', 'aria-label': 'Sign in again' });
      renderSignIn(state.signInBox, `Sending is paused: ${(state.auth.pause_reason || 'your session ended').replace(/\.$/, '')}. Your records are safe on this device; sign in again to send them.`);
    }
    items.push(state.signInBox);
  } else state.signInBox = null;
  banners.replaceChildren(...items);
}

// ---- sign in ------------------------------------------------------------------------------

function renderSignIn(container, message) {
  const username = h('input', { id: `user-${container.id || 'b'}`, name: 'username', autocomplete: 'username', required: true, value: state.auth?.user?.username || '' });
  const password = h('input', { id: `pass-${container.id || 'b'}`, name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'signin', 'aria-label': 'Sign in' },
    h('p', { text: message }),
    h('label', { for: username.id, text: 'User name' }),
    username,
    h('label', { for: password.id, text: 'Password' }),
    password,
    error,
    h('button', { type: 'submit', text: 'Sign in' }),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      await signIn(username.value.trim(), password.value);
    } catch (e) {
      error.textContent = e.message;
    }
  });
  container.replaceChildren(form);
}

async function signIn(username, password) {
  let response;
  try {
    response = await fetch('/api/v1/auth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password }),
      cache: 'no-store',
    });
  } catch (_) {
    throw new Error('No network: signing in needs a connection. Your records stay on this device.');
  }
  const body = await response.json().catch(() => ({}));
  if (response.status !== 201) throw new Error(body.error?.message || `Sign-in failed (HTTP ${response.status}).`);
  const auth = { token: body.token, expires_at: body.expires_at, user: body.user, paused: false };
  await db.setMeta('auth', auth);
  state.auth = auth;
  checkStorage(); // persist() is most likely granted right after a user gesture
  state.retryAttempt = 0;
  await refreshQuietly();
  await route();
  syncNow('signin');
}

// ---- sending ------------------------------------------------------------------------------

async function syncNow(reason) {
  if (!state.auth || state.syncing) return;
  if (!navigator.onLine) {
    renderStatusLine();
    return;
  }
  state.syncing = true;
  renderStatusLine();
  let result;
  try {
    result = await drain();
  } catch (e) {
    result = { status: 'retry', reason: e.message };
  }
  state.syncing = false;
  state.lastResult = { ...result, at: new Date().toISOString(), trigger: reason };
  state.busyElsewhere = result.status === 'busy';
  clearTimeout(state.retryTimer);
  state.retryTimer = null;
  state.nextRetryAt = null;
  if (result.status === 'retry') scheduleRetry();
  else if (result.status === 'idle') {
    state.retryAttempt = 0;
    await refreshQuietly();
  } else if (result.status === 'busy') {
    state.retryTimer = setTimeout(() => syncNow('timer'), 5000); // the other sender may stop
  }
  if (!state.editor) await route();
  else {
    state.auth = (await db.getMeta('auth')) || null;
    renderBanners();
  }
}

function scheduleRetry() {
  const base = Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** state.retryAttempt);
  state.retryAttempt += 1;
  const delay = base * (0.5 + Math.random()) * 1000; // jitter: tablets do not retry in step
  state.nextRetryAt = Date.now() + delay;
  state.retryTimer = setTimeout(() => syncNow('timer'), delay);
  registerBackgroundSync();
}

async function registerBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register('outbox');
  } catch (_) {
    /* no Background Sync here: the timer and the online event do the work */
  }
}

async function refreshQuietly() {
  if (!state.auth || state.auth.paused || !navigator.onLine) return;
  try {
    await refreshReference(state.auth.token);
    await db.setMeta('reference_error', null);
  } catch (e) {
    if (e instanceof AuthRequired) {
      const paused = { ...state.auth, paused: true, pause_reason: 'your session ended' };
      await db.setMeta('auth', paused);
      state.auth = paused;
    } else {
      await db.setMeta('reference_error', e.message);
    }
  }
}

// ---- home ---------------------------------------------------------------------------------

async function renderHome() {
  const [drafts, outbox, acked, forms, sites, meta] = await Promise.all([
    db.getAll('drafts'),
    db.getAll('outbox'),
    db.getAll('acked'),
    db.getAll('forms'),
    db.getAll('sites'),
    Promise.all(['forms', 'current_round', 'reference_at', 'last_sync'].map(db.getMeta)),
  ]);
  const [formList, round, referenceAt] = meta;
  const latest = (formList || [])
    .map((f) => forms.find((v) => v.key === `${f.form_id}@${f.latest_version}`))
    .filter(Boolean);
  const formChoice = h('select', { id: 'form-choice' }, latest.map((f) => h('option', { value: f.key, text: `${f.title} (${f.version})` })));

  const ready = navigator.serviceWorker?.controller && latest.length;
  const status = h('section', { class: 'card status', 'aria-label': 'Sending' }, h('p', { id: 'status-line' }),
    h('p', { class: 'hint', id: 'offline-ready', text: ready ? 'Ready to work offline: the app, forms and sites are on this device.' : 'Preparing offline use: stay online a moment longer.' }),
    h('div', { class: 'actions' },
    h('button', { type: 'button', text: 'Sync now', onclick: () => syncNow('button') }),
    h('button', { type: 'button', class: 'secondary', text: 'Export records', onclick: exportRecords }),
  ));

  const search = h('input', { id: 'site-search', type: 'search', value: state.siteQuery, autocomplete: 'off' });
  const list = h('ul', { class: 'sites', 'aria-label': 'Sites' });
  const position = h('p', { class: 'hint', 'aria-live': 'polite', text: state.position ? `Sorted by distance from your position (±${Math.round(state.position.accuracy)} m).` : '' });
  const drawSites = () => {
    const q = state.siteQuery.trim().toLowerCase();
    let found = sites.filter((s) => !q || s.site_id.toLowerCase().includes(q) || (s.name || '').toLowerCase().includes(q));
    if (state.position) {
      for (const s of found) s.distance = distanceKm(state.position, s);
      found.sort((a, b) => (a.distance ?? Infinity) - (b.distance ?? Infinity));
    } else found.sort((a, b) => (a.site_id < b.site_id ? -1 : 1));
    list.replaceChildren(
      ...found.slice(0, SITE_LIST_LIMIT).map((s) =>
        h('li', {}, h('button', { type: 'button', class: 'site', 'data-site': s.site_id, onclick: () => startDraft(formChoice.value, s) },
          h('strong', { text: s.site_id }), ` ${s.name || ''}`,
          s.distance !== undefined && s.distance !== null ? h('span', { class: 'distance', text: ` ${s.distance.toFixed(1)} km` }) : null)),
      ),
      ...(found.length > SITE_LIST_LIMIT ? [h('li', { class: 'hint', text: `${found.length - SITE_LIST_LIMIT} more: refine the search.` })] : []),
    );
  };
  search.addEventListener('input', () => {
    state.siteQuery = search.value;
    drawSites();
  });
  drawSites();

  const start = h('section', { class: 'card', 'aria-label': 'New assessment' },
    h('h2', { text: 'New assessment' }),
    latest.length
      ? [
          h('label', { for: 'form-choice', text: 'Form' }), formChoice,
          round ? h('p', { class: 'hint', text: `Current round: ${round.name || round.number}` }) : null,
          h('label', { for: 'site-search', text: 'Find a site (name or code)' }), search,
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'secondary', text: 'Sort by distance', onclick: () => locate(position, drawSites) }),
            h('button', { type: 'button', text: 'New site', onclick: () => startDraft(formChoice.value, null) })),
          position, list,
        ]
      : h('p', { text: navigator.onLine ? 'Downloading forms…' : 'No form on this device yet: connect once to download forms and sites.' }),
    referenceAt ? h('p', { class: 'hint', text: `Sites and forms updated ${formatTime(referenceAt)}; ${sites.length} sites.` }) : null,
  );

  const draftList = h('section', { class: 'card', 'aria-label': 'Drafts' }, h('h2', { text: `Drafts (${drafts.length})` }),
    h('ul', { class: 'records' }, drafts.sort(byUpdated).map((d) =>
      h('li', { 'data-id': d.id, 'data-state': 'draft' }, h('span', { text: `${titleOf(d)} · saved ${formatTime(d.updated_at)}` }),
        h('a', { class: 'button secondary', href: `#/edit/${d.id}`, text: 'Continue' })))));

  const outboxList = h('section', { class: 'card', 'aria-label': 'Outbox' }, h('h2', { text: `Outbox (${outbox.length} not yet sent)` }),
    h('ul', { class: 'records' }, outbox.sort(byUpdated).map((r) =>
      h('li', { 'data-id': r.id, 'data-state': r.state },
        h('span', { class: `badge ${r.state}`, text: r.state }),
        h('span', { text: ` ${titleOf(r)} · ${STATE_TEXT[r.state] || r.state}${r.last_error ? ` (last try: ${r.last_error})` : ''}` }),
        (r.server_errors || []).length ? h('ul', { class: 'reasons' }, r.server_errors.map((e) => h('li', { text: `${e.field}: ${e.message}` }))) : null,
        r.state === 'rejected' || r.state === 'conflict' ? h('a', { class: 'button', href: `#/edit/${r.id}`, text: 'Fix and resend' }) : null))));

  const sent = acked.sort((a, b) => (a.acked_at < b.acked_at ? 1 : -1)).slice(0, 20);
  const sentList = h('section', { class: 'card', 'aria-label': 'Sent' }, h('h2', { text: `Sent (${acked.length})` }),
    h('ul', { class: 'records' }, sent.map((r) => h('li', { 'data-id': r.id, 'data-state': 'sent' }, h('span', { class: 'badge sent', text: 'sent' }), ` ${r.title || r.site_id || r.id} · ${r.status} ${formatTime(r.acked_at)}`))));

  const focused = document.activeElement?.id; // a redraw must not take the keyboard away
  app.replaceChildren(status, start, draftList, outboxList, sentList);
  if (focused) document.getElementById(focused)?.focus();
  renderStatusLine(outbox);
  document.body.dataset.screen = 'home';
}

async function renderStatusLine(outbox) {
  const line = document.getElementById('status-line');
  if (!line) return;
  outbox = outbox || (await db.getAll('outbox'));
  const waiting = outbox.filter((r) => r.state === 'queued' || r.state === 'sending').length;
  const held = outbox.length - waiting;
  let text = `${waiting} waiting to send`;
  if (held) text += `, ${held} need attention`;
  if (state.syncing) text += ' · sending now…';
  else if (state.auth?.paused) text += ' · paused until you sign in again';
  else if (!navigator.onLine) text += ' · offline: they will be sent when a network is back';
  else if (state.busyElsewhere) text += ' · another tab is sending';
  else if (state.nextRetryAt) text += ` · could not send (${state.lastResult?.reason || 'no answer'}); next try at ${new Date(state.nextRetryAt).toLocaleTimeString()}`;
  else if (state.lastResult?.status === 'idle') text += ` · last sync ${formatTime(state.lastResult.at)}`;
  line.textContent = text;
  line.dataset.waiting = String(waiting);
}

function byUpdated(a, b) {
  return a.updated_at < b.updated_at ? 1 : -1;
}

function titleOf(record) {
  const d = record.data || {};
  return [d.site_id || 'New site', d.site_name, d.assessment_date].filter(Boolean).join(' · ');
}

function distanceKm(from, site) {
  if (site.lat == null || site.lon == null) return null;
  const rad = Math.PI / 180;
  const dLat = (site.lat - from.lat) * rad;
  const dLon = (site.lon - from.lon) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(from.lat * rad) * Math.cos(site.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(a));
}

function locate(output, redraw) {
  if (!('geolocation' in navigator)) {
    output.textContent = 'No GPS on this device.';
    return;
  }
  output.textContent = 'Finding your position…';
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      state.position = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy };
      output.textContent = `Sorted by distance from your position (±${Math.round(pos.coords.accuracy)} m).`;
      redraw();
    },
    (error) => {
      output.textContent = `No position: ${error.message}`;
    },
    { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 },
  );
}

async function exportRecords() {
  const body = { exported_at: new Date().toISOString(), drafts: await db.getAll('drafts'), outbox: await db.getAll('outbox') };
  const link = h('a', { href: URL.createObjectURL(new Blob([JSON.stringify(body, null, 1)], { type: 'application/json' })), download: `dtm-records-${Date.now()}.json` });
  document.body.append(link);
  link.click();
  link.remove();
}

// ---- drafts and the editor ----------------------------------------------------------------

async function startDraft(formKey, site) {
  const form = await db.get('forms', formKey);
  if (!form) return;
  const round = await db.getMeta('current_round');
  const now = new Date().toISOString();
  const data = { start: now, deviceid: await db.getMeta('device_id'), assessment_date: today() };
  if (round) data.round = round.number;
  if (site) {
    data.site_id = site.site_id;
    for (const [field, key] of [['site_name', 'name'], ['site_type', 'site_type'], ['site_status', 'status'], ['admin1_pcode', 'admin1_pcode'], ['admin2_pcode', 'admin2_pcode']]) {
      if (site[key] != null && site[key] !== '') data[field] = site[key];
    }
    if (site.lat != null && site.lon != null) data.location = { lat: site.lat, lon: site.lon };
  }
  // The id is made here, once, and never changes: it is what makes resending safe.
  const record = { id: crypto.randomUUID(), form_id: form.form_id, form_version: form.version, state: 'draft', data, created_at: now, updated_at: now, revision: 1 };
  await db.put('drafts', record);
  location.hash = `#/edit/${record.id}`;
}

function holdLock(name) {
  if (!('locks' in navigator)) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    navigator.locks.request(name, { ifAvailable: true }, (lock) => {
      if (!lock) return resolve(null);
      return new Promise((release) => resolve(release));
    });
  });
}

async function leaveEditor() {
  if (!state.editor) return;
  const editor = state.editor;
  state.editor = null;
  clearTimeout(editor.timer);
  await editor.save();
  editor.release?.();
}

async function openEditor(id) {
  if (state.editor?.record.id === id) return;
  await leaveEditor();
  let storeName = 'drafts';
  let record = await db.get('drafts', id);
  if (!record) {
    storeName = 'outbox';
    record = await db.get('outbox', id);
  }
  if (!record) {
    app.replaceChildren(h('p', { text: 'This record is not on this device (it may have been sent).' }), h('a', { class: 'button', href: '#/', text: 'Back' }));
    return;
  }
  if (storeName === 'outbox' && !['rejected', 'conflict'].includes(record.state)) {
    app.replaceChildren(h('p', { text: 'This record is finalized and waiting to be sent; it cannot be changed now.' }), h('a', { class: 'button', href: '#/', text: 'Back' }));
    return;
  }
  const release = await holdLock(`record:${id}`);
  if (!release) {
    app.replaceChildren(h('p', { text: 'This record is open in another tab or window: finish it there.' }), h('a', { class: 'button', href: '#/', text: 'Back' }));
    return;
  }
  const form = await db.get('forms', `${record.form_id}@${record.form_version}`);
  if (!form) {
    release();
    app.replaceChildren(h('p', { text: `Form ${record.form_id} version ${record.form_version} is not on this device; connect once to download it.` }), h('a', { class: 'button', href: '#/', text: 'Back' }));
    return;
  }
  const { byLevel, areas } = await knownPcodes();
  const savedLine = h('span', { class: 'saved', role: 'status', 'aria-live': 'polite', text: `Saved ${formatTime(record.updated_at)}` });
  const problemsLine = h('p', { class: 'error', role: 'alert' });
  const formBox = h('div', { class: 'form' });
  const definition = form.definition;
  state.language = state.language && definition.languages.some((l) => l.code === state.language) ? state.language : definition.default_language;
  const editor = {
    record,
    storeName,
    release,
    timer: null,
    dirty: false,
    save: async () => {
      if (!editor.dirty) return;
      editor.dirty = false;
      record.updated_at = new Date().toISOString();
      record.revision = (record.revision || 0) + 1;
      await db.put(editor.storeName, record);
      savedLine.textContent = `Saved ${formatTime(record.updated_at)}`;
      savedLine.dataset.revision = String(record.revision);
    },
  };
  const view = new FormView(formBox, definition, record, {
    language: state.language,
    pcodes: byLevel,
    onChange: () => {
      editor.dirty = true;
      savedLine.textContent = 'Saving…';
      clearTimeout(editor.timer);
      editor.timer = setTimeout(() => editor.save(), AUTOSAVE_MS);
    },
  });
  editor.view = view;
  state.editor = editor;
  const language = h('select', { id: 'language', onchange: () => {
    state.language = language.value;
    view.language = language.value;
    view.render();
  } }, definition.languages.map((l) => h('option', { value: l.code, text: l.name, selected: l.code === state.language })));
  const datalists = [1, 2, 3, 4].map((level) => h('datalist', { id: `pcodes-${level}` }, areas.filter((a) => a.level === level).map((a) => h('option', { value: a.pcode, text: a.name }))));
  const finalize = async () => {
    const problems = view.problems();
    if (problems.length) {
      problemsLine.textContent = `${problems.length} answer${problems.length === 1 ? ' needs' : 's need'} attention before finalizing.`;
      view.focusFirstProblem();
      return;
    }
    clearTimeout(editor.timer);
    const now = new Date().toISOString();
    record.data.end = now;
    record.submitted_data = view.submission();
    record.collected_at = now;
    record.finalized_at = now;
    record.updated_at = now;
    record.revision = (record.revision || 0) + 1;
    record.state = 'queued';
    record.server_errors = [];
    record.last_error = null;
    // Draft -> outbox in one transaction: the record is always in exactly one of them.
    await db.transact(['drafts', 'outbox'], 'readwrite', ({ drafts, outbox }) => {
      drafts.delete(record.id);
      outbox.put(record);
    });
    editor.dirty = false;
    db.announce({ type: 'outbox' });
    location.hash = '#/';
    registerBackgroundSync();
    syncNow('finalize');
  };
  app.replaceChildren(
    h('nav', {}, h('a', { href: '#/', class: 'button secondary', text: 'Back to list' })),
    h('h2', { text: `${definition.title} · ${record.data.site_id || 'new site'}` }),
    ...(record.state === 'conflict' ? [h('p', { class: 'banner alert', text: STATE_TEXT.conflict })] : []),
    h('div', { class: 'toolbar' }, h('label', { for: 'language', text: 'Language' }), language),
    ...datalists,
    formBox,
    h('div', { class: 'actions sticky' },
      h('button', { type: 'button', class: 'secondary', text: 'Save draft', onclick: async () => {
        editor.dirty = true;
        clearTimeout(editor.timer);
        await editor.save();
      } }),
      h('button', { type: 'button', text: 'Finalize', onclick: finalize }),
      savedLine),
    problemsLine,
  );
  view.render();
  document.body.dataset.screen = 'editor';
}

// Save a draft being typed when the page is hidden or closed (the autosave may be pending).
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden' && state.editor) state.editor.save();
});
window.addEventListener('pagehide', () => state.editor?.save());

start().catch((error) => {
  app.replaceChildren(h('p', { class: 'error', text: `The app could not start: ${error.message}` }));
  console.error(error);
});
