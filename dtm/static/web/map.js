// The site map: every site of a round as clustered markers over the admin areas shaded by
// displaced individuals. Data comes compact from the server (GET /api/v1/map/sites: one
// array per site); filters run here on those arrays, so changing one never refetches.
// Leaflet and Leaflet.markercluster are loaded as classic scripts (window.L).

const L = window.L;
const element = document.getElementById("map");
const statusLine = document.getElementById("map-status");
const form = document.getElementById("map-filters");

// Marker size and colour by population: a few shared icons, not one per site.
const SIZES = [
  { max: 0, size: 10, colour: "#9aa5b1", label: "not assessed this round" },
  { max: 500, size: 12, colour: "#fdd49e", label: "up to 500 people" },
  { max: 2000, size: 16, colour: "#fc8d59", label: "500 – 2,000" },
  { max: 10000, size: 22, colour: "#e34a33", label: "2,000 – 10,000" },
  { max: Infinity, size: 28, colour: "#b30000", label: "over 10,000" },
];
const SHADES = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];
const number = new Intl.NumberFormat("en");

function sizeClass(individuals) {
  if (!individuals) return SIZES[0];
  return SIZES.find((s) => individuals <= s.max);
}

const icons = new Map(
  SIZES.map((s) => [
    s,
    L.divIcon({
      className: "",
      html: `<div class="site-marker" style="width:${s.size}px;height:${s.size}px;background:${s.colour}"></div>`,
      iconSize: [s.size, s.size],
      iconAnchor: [s.size / 2, s.size / 2],
    }),
  ]),
);

function escape(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function getJSON(request) {
  const response = await request;
  const body = await response.json();
  if (!response.ok) throw new Error(body?.error?.message || `HTTP ${response.status}`);
  return body;
}

function setStatus(text, state) {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function popupHtml(site, column) {
  const get = (name) => site[column[name]];
  const flags = get("flags");
  const link = element.dataset.siteUrl.replace("SITE_ID", encodeURIComponent(get("site_id")));
  return `<strong>${escape(get("name") || get("site_id"))}</strong><br>
    <span class="muted">${escape(get("site_id"))} · ${escape((get("site_type") || "").replace("_", " "))}</span><br>
    Individuals: ${get("individuals") == null ? "not assessed" : number.format(get("individuals"))}<br>
    Households: ${get("households") == null ? "–" : number.format(get("households"))}<br>
    ${flags.length ? `Flags: ${flags.map((f) => `<span class="flag">${escape(f)}</span>`).join(" ")}<br>` : ""}
    <a href="${link}">Open the site page</a>`;
}

function legend(breaks) {
  const control = L.control({ position: "bottomright" });
  control.onAdd = () => {
    const div = L.DomUtil.create("div", "legend");
    div.setAttribute("aria-label", "Legend");
    const sizes = SIZES.map(
      (s) => `<div><i class="dot" style="background:${s.colour};width:${Math.min(s.size, 16)}px;height:${Math.min(s.size, 16)}px"></i>${s.label}</div>`,
    ).join("");
    const shades = breaks
      .map((b, i) => `<div><i style="background:${SHADES[i]}"></i>${b}</div>`)
      .join("");
    div.innerHTML = `<strong>Sites (people)</strong>${sizes}<strong>Displaced individuals per area</strong>${shades}`;
    return div;
  };
  return control;
}

// Five classes of the areas' figures: 0, then quartiles of the areas with people.
function classify(values) {
  const positive = values.filter((v) => v > 0).sort((a, b) => a - b);
  const cut = [0.25, 0.5, 0.75].map((q) => positive[Math.floor(q * (positive.length - 1))] || 0);
  const edges = [...new Set(cut)];
  const shade = (v) => (v <= 0 ? SHADES[0] : SHADES[1 + edges.filter((e) => v > e).length]);
  const labels = ["none"];
  let low = 1;
  for (const e of edges) {
    labels.push(`${number.format(low)} – ${number.format(e)}`);
    low = e + 1;
  }
  labels.push(`over ${number.format(edges.at(-1) || 0)}`);
  return { shade, labels: labels.slice(0, SHADES.length) };
}

async function main() {
  const started = performance.now();
  // No tile layer by default, so the map sets its own zoom range (markercluster needs one).
  // Clusters are built for every zoom level from the least to the first one drawn
  // unclustered, so that span is what 50,000 sites cost: country view to district.
  const map = L.map(element, { preferCanvas: true, minZoom: 4, maxZoom: 16 }).setView([5, 45], 5);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution, maxZoom: 18 }).addTo(map);
  }
  // Started by the page's head (map.html), before Leaflet's scripts loaded.
  const [sitesRequest, areasRequest] = window.dtmMapRequests;
  const [data, areas] = await Promise.all([
    getJSON(sitesRequest),
    getJSON(areasRequest).catch((error) => {
      console.warn("admin areas", error);
      return { features: [] };
    }),
  ]);
  const fetched = performance.now() - started;
  const column = Object.fromEntries(data.columns.map((name, i) => [name, i]));

  // The base map: admin areas shaded by displaced individuals.
  const { shade, labels } = classify(areas.features.map((f) => f.properties.individuals));
  const areaLayer = L.geoJSON(areas, {
    style: (f) => ({ color: "#4a5a6a", weight: 1, fillOpacity: 0.75, fillColor: shade(f.properties.individuals) }),
    onEachFeature: (f, layer) =>
      layer.bindTooltip(`${escape(f.properties.name)} (${escape(f.properties.pcode)}): ${number.format(f.properties.individuals)} individuals, ${f.properties.sites_assessed} sites`, { sticky: true }),
  }).addTo(map);
  if (areas.features.length) map.fitBounds(areaLayer.getBounds());
  legend(labels).addTo(map);

  // One marker per located site, made once; filters choose which go into the clusters.
  const markers = [];
  for (const site of data.sites) {
    const lat = site[column.lat];
    const lon = site[column.lon];
    if (lat == null || lon == null) continue;
    const marker = L.marker([lat, lon], { icon: icons.get(sizeClass(site[column.individuals])), keyboard: false, title: site[column.name] || site[column.site_id] });
    marker.site = site;
    markers.push(marker);
  }
  const made = performance.now() - started;
  const clusters = L.markerClusterGroup({
    chunkedLoading: false, // one pass is faster than chunks with pauses between them
    disableClusteringAtZoom: 12,
    showCoverageOnHover: false,
    maxClusterRadius: 60,
  });
  clusters.on("click", (event) => {
    const marker = event.layer;
    marker.bindPopup(popupHtml(marker.site, column)).openPopup();
  });
  map.addLayer(clusters);

  function chosen() {
    return {
      type: form.elements.type.value,
      admin: form.elements.admin.value,
      flag: form.elements.flag.value,
    };
  }

  function matches(site, filter) {
    if (filter.type && site[column.site_type] !== filter.type) return false;
    if (filter.admin && site[column.admin1_pcode] !== filter.admin && site[column.admin2_pcode] !== filter.admin) return false;
    const flags = site[column.flags];
    if (filter.flag === "*" && !flags.length) return false;
    if (filter.flag && filter.flag !== "*" && !flags.includes(filter.flag)) return false;
    return true;
  }

  function apply() {
    const filter = chosen();
    const shown = markers.filter((m) => matches(m.site, filter));
    const listed = data.sites.filter((s) => matches(s, filter)).length;
    element.dataset.state = "clustering";
    setStatus(`Placing ${number.format(shown.length)} sites…`, "loading");
    clusters.clearLayers();
    const done = () => {
      const unplaced = listed - shown.length;
      element.dataset.shown = String(shown.length);
      element.dataset.listed = String(listed);
      element.dataset.state = "ready";
      setStatus(
        `Round ${data.round}: ${number.format(shown.length)} sites on the map` +
          (unplaced ? `, ${number.format(unplaced)} without a location` : "") +
          (listed !== data.total ? ` (${number.format(data.total)} in the round before filters)` : "") +
          ".",
        "ready",
      );
      window.dtmMapReady = {
        shown: shown.length,
        listed,
        total: data.total,
        // where the time went, in ms since the module started (benchmarks/web_map.py)
        fetched: Math.round(fetched),
        made: Math.round(made),
        ms: Math.round(performance.now() - started),
      };
    };
    clusters.addLayers(shown); // synchronous: every marker is in the cluster tree after it
    done();
    const params = new URLSearchParams(new FormData(form));
    for (const [key, value] of [...params]) if (!value) params.delete(key);
    history.replaceState(null, "", `?${params}`);
  }

  form.addEventListener("change", (event) => {
    // Round and shading level change what the server sends: load the page for them.
    if (event.target.name === "round" || event.target.name === "level") {
      form.submit();
      return;
    }
    apply();
  });
  apply();
}

if (element) {
  main().catch((error) => {
    console.error(error);
    setStatus(`The map could not load: ${error?.message ?? error}`, "error");
  });
}
