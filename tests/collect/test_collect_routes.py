"""The files that make up the enumerator app, as the server hands them out."""

import gzip
import json
import re

from dtm.collect import STATIC

# The app's own JavaScript and CSS must stay small on a slow link (issue budget).
BUDGET_BYTES = 150 * 1024


def get(client, url):
    """GET and close the response (file responses hold their file open until closed)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_shell_is_served_without_http_caching(client):
    response = get(client, "/collect/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"
    html = response.get_data(as_text=True)
    assert 'rel="manifest"' in html and 'type="module"' in html


def test_service_worker_precaches_every_asset_and_changes_version_with_them(client, app):
    response = client.get("/collect/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    source = response.get_data(as_text=True)
    precache = json.loads(re.search(r"const PRECACHE = (\[.*\]);", source)[1])
    assert "/collect/" in precache and "/collect/static/app.js" in precache
    for url in precache:
        assert get(client, url).status_code == 200, url
    version = re.search(r'const VERSION = "(\w+)"', source)[1]
    assert version == app.extensions["collect_assets"].version


def test_manifest_makes_it_installable(client):
    response = client.get("/collect/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    body = response.get_json(force=True)
    assert body["start_url"] == "/collect/" and body["scope"] == "/collect/"
    assert body["display"] == "standalone" and body["icons"]


def test_missing_static_file_is_a_json_404(client):
    response = get(client, "/collect/static/nothing.js")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_own_javascript_and_css_stay_under_the_budget():
    files = [p for p in STATIC.rglob("*") if p.suffix in {".js", ".css"}]
    assert {p.name for p in files} >= {"app.js", "outbox.js", "form.js", "app.css", "sw.js"}
    compressed = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in files)
    assert compressed < BUDGET_BYTES, f"{compressed} bytes gzip-compressed"
