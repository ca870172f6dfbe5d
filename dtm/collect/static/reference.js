// Reference data for offline work: sites changed since the sync cursor (tombstones remove
// them), admin areas (only when their ETag changed), the current round, and every published
// form version (fetched once, revalidated by ETag). Each page of sites is written together
// with its cursor in one transaction, so an interrupted refresh resumes where it stopped.
import { done, get, getMeta, put, transact } from './db.js';

export class AuthRequired extends Error {}

async function request(url, token, headers = {}) {
  const response = await fetch(url, {
    headers: { Authorization: `Bearer ${token}`, ...headers },
    cache: 'no-store',
  });
  if (response.status === 401 || response.status === 403) {
    throw new AuthRequired(`sign in again (${response.status})`);
  }
  if (!response.ok && response.status !== 304) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

export async function refreshReference(token) {
  for (;;) {
    const cursor = (await getMeta('cursor')) || 0;
    const etag = await getMeta('admin_areas_etag');
    let url = `/api/v1/sync/reference?since=${cursor}`;
    if (etag) url += `&admin_areas_etag=${encodeURIComponent(etag)}`;
    const body = await (await request(url, token)).json();
    await transact(['sites', 'areas', 'meta'], 'readwrite', ({ sites, areas, meta }) => {
      for (const site of body.sites) {
        if (site.deleted) sites.delete(site.site_id);
        else sites.put(site);
      }
      if (body.admin_areas) {
        areas.clear();
        for (const area of body.admin_areas) areas.put(area);
        meta.put(body.admin_areas_etag, 'admin_areas_etag');
      }
      meta.put(body.cursor, 'cursor');
      meta.put(body.forms, 'forms');
      meta.put(body.current_round, 'current_round');
      meta.put(body.server_time, 'reference_at');
    });
    if (!body.has_more) break;
  }
  const forms = (await getMeta('forms')) || [];
  for (const form of forms) {
    for (const version of form.versions) {
      const key = `${form.form_id}@${version.version}`;
      const have = await get('forms', key);
      if (have && have.etag === version.etag) continue;
      const url = `/api/v1/forms/${encodeURIComponent(form.form_id)}/versions/${encodeURIComponent(version.version)}`;
      const response = await request(url, token, have ? { 'If-None-Match': `"${have.etag}"` } : {});
      if (response.status === 304) continue;
      const etag = (response.headers.get('ETag') || '').replace(/^W\//, '').replaceAll('"', '');
      await put('forms', {
        key,
        form_id: form.form_id,
        version: version.version,
        title: version.title,
        etag: etag || version.etag,
        definition: await response.json(),
      });
    }
  }
}

export async function knownPcodes() {
  const areas = await transact('areas', 'readonly', ({ areas }) => done(areas.getAll()));
  const byLevel = {};
  for (const area of areas) (byLevel[area.level] = byLevel[area.level] || new Set()).add(area.pcode);
  return { byLevel, areas };
}
