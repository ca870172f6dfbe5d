// The small map on a site page: the site's point over its district's outline (no tiles
// needed; an online tile layer only if the operation configured one).
const L = window.L;
const element = document.getElementById("site-map");
if (element && L) {
  const point = [Number(element.dataset.lat), Number(element.dataset.lon)];
  const map = L.map(element, { scrollWheelZoom: false, maxZoom: 18 }).setView(point, 9);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution }).addTo(map);
  }
  const area = JSON.parse(document.getElementById("site-area").textContent);
  if (area) {
    const layer = L.geoJSON(area, { style: { color: "#4a5a6a", weight: 1, fillColor: "#c6dbef", fillOpacity: 0.6 } }).addTo(map);
    map.fitBounds(layer.getBounds().extend(point));
  }
  L.circleMarker(point, { radius: 8, color: "#333", weight: 1, fillColor: "#e34a33", fillOpacity: 0.9 }).addTo(map);
  element.dataset.state = "ready";
}
