// HWMS maps (Leaflet, vendored by django-leaflet; clustering by Leaflet.markercluster).
// Every map is a <div data-map="sites|choropleth|flows|manifest|picker">; its data comes from a json_script
// element (data-source) or from the endpoints, the configuration from the "map-config" json_script.
// The province layer is drawn from the project's own GeoJSON, so a map works with no tile server at all.
(function () {
  "use strict";

  function readJSON(id) {
    var element = id && document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  var config = readJSON("map-config");
  if (!config || typeof L === "undefined") return;
  var words = config.words;
  var layerRequest = null;

  function provinces() {
    if (!layerRequest) {
      layerRequest = fetch(config.province_layer_url, { credentials: "same-origin" }).then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      });
    }
    return layerRequest;
  }

  function baseMap(element) {
    var map = L.map(element, { center: config.center, zoom: config.zoom, minZoom: 4, maxZoom: 18 });
    if (config.tiles.url) {
      // Without internet the tiles fail quietly; the province layer below is the map.
      L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(map);
    }
    map.attributionControl.addAttribution(config.layer_attribution);
    element.hwmsMap = map;  // for the browser tests and the console
    return map;
  }

  function provinceLayer(map, style, each) {
    return provinces().then(function (geojson) {
      return L.geoJSON(geojson, {
        style: function (feature) {
          return L.extend({ className: "hwms-province", color: "#58708a", weight: 1, fillColor: "#e8eef4", fillOpacity: 0.7 },
            style ? style(feature) : {});
        },
        onEachFeature: each
      }).addTo(map);
    });
  }

  function formatKg(value) {
    return Number(value).toLocaleString(document.documentElement.lang || "vi", { maximumFractionDigits: 2 }) + " " + words.kg;
  }

  function text(tag, content, className) {
    var element = document.createElement(tag);
    element.textContent = content;
    if (className) element.className = className;
    return element;
  }

  function dot(kind, extra) {
    return L.divIcon({ className: "site-marker site-marker-" + kind + (extra || ""), iconSize: [14, 14] });
  }

  function fitVietnam(map, layer) {
    // The mainland and near islands: the archipelagos are drawn but do not pull the view out to sea.
    map.fitBounds([[8.4, 102.1], [23.4, 109.5]]);
    return layer;
  }

  // --- sites -----------------------------------------------------------------------------------------------
  function primaryKind(kinds) {
    return kinds.indexOf("f") >= 0 ? "f" : kinds.indexOf("t") >= 0 ? "t" : "g";
  }

  function sitePopup(feature, organisations, data) {
    var p = feature.properties, box = document.createElement("div");
    box.appendChild(text("strong", p.name));
    box.appendChild(text("div", organisations[p.org] || ""));
    box.appendChild(text("div", p.kinds.split("").map(function (k) { return words[k]; }).join(", ")));
    if (p.kinds.indexOf("f") >= 0 || p.permit !== "none") box.appendChild(text("div", words[p.permit]));
    if (p.link) {
      var link = text("a", words.open);
      link.href = data.organisation_url.replace(data.placeholder, String(p.org));
      box.appendChild(link);
    }
    return box;
  }

  function sitesMap(element, data) {
    var map = baseMap(element), status = document.querySelector("[data-map-status]");
    provinceLayer(map).then(function (layer) { fitVietnam(map, layer); });
    var clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false }).addTo(map);
    element.hwmsClusters = clusters;
    if (status) status.textContent = words.loading;
    fetch(data.sites_url + "?" + new URLSearchParams(data.query).toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (collection) {
        var markers = collection.features.map(function (feature) {
          var c = feature.geometry.coordinates;
          var marker = L.marker([c[1], c[0]], { icon: dot(primaryKind(feature.properties.kinds)), title: feature.properties.name });
          marker.bindPopup(function () { return sitePopup(feature, collection.organisations, data); });
          return marker;
        });
        clusters.addLayers(markers);
        element.setAttribute("data-markers", String(markers.length));
        if (status) status.textContent = words.loaded.replace("%(count)s", markers.length.toLocaleString());
      })
      .catch(function () { if (status) status.textContent = words.failed; });
  }

  // --- choropleth --------------------------------------------------------------------------------------------
  var PALETTE = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];

  function classOf(value, breaks) {
    for (var i = 0; i < breaks.length; i++) if (value <= Number(breaks[i])) return i;
    return breaks.length - 1;
  }

  function colour(value, breaks) {
    if (!value) return "#f4f4f4";
    var offset = PALETTE.length - breaks.length;  // fewer classes use the darker end
    return PALETTE[offset + classOf(value, breaks)];
  }

  function legend(map, breaks) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "map-legend-box");
      box.appendChild(text("strong", words.legend));
      var low = 0;
      breaks.forEach(function (bound) {
        var row = document.createElement("div"), swatch = text("span", "", "swatch");
        swatch.style.background = colour(Number(bound), breaks);
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(" " + Number(low).toLocaleString() + " – " + Number(bound).toLocaleString()));
        box.appendChild(row);
        low = bound;
      });
      var none = document.createElement("div"), swatch = text("span", "", "swatch");
      swatch.style.background = colour(0, breaks);
      none.appendChild(swatch);
      none.appendChild(document.createTextNode(" " + words.no_data));
      box.appendChild(none);
      return box;
    };
    control.addTo(map);
  }

  function choroplethMap(element, data) {
    var map = baseMap(element);
    provinceLayer(map, function (feature) {
      var value = Number(data.totals[String(feature.properties.code)] || 0);
      return { fillColor: colour(value, data.breaks), fillOpacity: 0.85 };
    }, function (feature, layer) {
      var code = String(feature.properties.code), value = data.totals[code];
      layer.bindTooltip(feature.properties.name + ": " + (value ? formatKg(value) : words.no_data), { sticky: true });
      if (data.urls[code]) layer.on("click", function () { window.location.href = data.urls[code]; });
    }).then(function (layer) { fitVietnam(map, layer); element.setAttribute("data-provinces", String(layer.getLayers().length)); });
    legend(map, data.breaks);
  }

  // --- flows -------------------------------------------------------------------------------------------------
  function flowsMap(element, data) {
    var map = baseMap(element);
    provinceLayer(map, null, function (feature, layer) { layer.bindTooltip(feature.properties.name, { sticky: true }); })
      .then(function (layer) {
        fitVietnam(map, layer);
        element.setAttribute("data-provinces", String(layer.getLayers().length));
        var centres = {};
        layer.getLayers().forEach(function (l) { centres[l.feature.properties.code] = l.feature.properties.center; });
        var maximum = Number(data.max) || 1, drawn = 0;
        data.lines.forEach(function (line) {
          var from = centres[line.from];
          if (!from) return;
          L.polyline([from, line.to], { className: "hwms-flow", color: "#7a3b9a", opacity: 0.7,
            weight: 2 + 10 * Number(line.kg) / maximum })
            .bindTooltip(line.label + ": " + formatKg(line.kg), { sticky: true }).addTo(map);
          L.marker(line.to, { icon: dot("f"), title: line.label }).addTo(map);
          drawn++;
        });
        element.setAttribute("data-markers", String(drawn));
      });
  }

  // --- a manifest's route ------------------------------------------------------------------------------------
  var ROUTE_KIND = { generator: "g", pickup: "p", delivery: "d", facility: "f" };

  function manifestMap(element, data) {
    var map = baseMap(element), points = [];
    provinceLayer(map).then(function (layer) { element.setAttribute("data-provinces", String(layer.getLayers().length)); });
    data.markers.forEach(function (marker) {
      points.push(marker.point);
      L.marker(marker.point, { icon: dot(ROUTE_KIND[marker.kind], marker.warning ? " site-marker-warning" : ""), title: marker.label })
        .bindPopup(text("div", marker.label)).addTo(map);
    });
    element.setAttribute("data-markers", String(points.length));
    if (points.length > 1) L.polyline(points, { className: "hwms-route", color: "#33475b", weight: 2, dashArray: "6 6" }).addTo(map);
    if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.3), { maxZoom: 14 });
  }

  // --- the location picker of the site form ------------------------------------------------------------------
  function inRing(x, y, ring) {
    var inside = false, x1 = ring[ring.length - 1][0], y1 = ring[ring.length - 1][1];
    ring.forEach(function (point) {
      var x2 = point[0], y2 = point[1];
      if ((y1 > y) !== (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1)) inside = !inside;
      x1 = x2; y1 = y2;
    });
    return inside;
  }

  function nearRing(x, y, ring, limit) {
    var x1 = ring[ring.length - 1][0], y1 = ring[ring.length - 1][1];
    return ring.some(function (point) {
      var x2 = point[0], y2 = point[1], dx = x2 - x1, dy = y2 - y1, length = dx * dx + dy * dy;
      var t = length ? Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / length)) : 0;
      var px = x1 + t * dx - x, py = y1 + t * dy - y;
      x1 = x2; y1 = y2;
      return px * px + py * py <= limit * limit;
    });
  }

  // The same test as gis.geometry.point_in_province: inside, or within the tolerance of the border.
  function inFeature(feature, lat, lng) {
    return feature.geometry.coordinates.some(function (polygon) {
      var crossings = polygon.filter(function (ring) { return inRing(lng, lat, ring); }).length;
      return crossings % 2 === 1 || polygon.some(function (ring) { return nearRing(lng, lat, ring, config.tolerance); });
    });
  }

  function pickerMap(element) {
    var form = element.closest("form"), map = baseMap(element);
    var lat = form.querySelector("[name=latitude]"), lng = form.querySelector("[name=longitude]");
    var province = form.querySelector("[data-province-select]"), ward = form.querySelector("[data-ward-select]");
    var warning = form.querySelector("[data-picker-warning]"), features = {}, layer = null, marker = null;

    function number(input) {
      var value = parseFloat(String(input.value).replace(",", "."));
      return isFinite(value) ? value : null;
    }

    function check() {
      var la = number(lat), ln = number(lng), feature = province && features[province.value];
      var message = "";
      if (la !== null && ln !== null && layer) {
        var anywhere = Object.keys(features).some(function (code) { return inFeature(features[code], la, ln); });
        if (!anywhere) message = words.outside_vietnam;
        else if (feature && !inFeature(feature, la, ln)) message = words.outside;
      }
      warning.textContent = message;
      warning.hidden = !message;
    }

    function place(latlng, write) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, title: words.marker, keyboard: true }).addTo(map);
        marker.on("dragend", function () { place(marker.getLatLng(), true); });
      } else {
        marker.setLatLng(latlng);
      }
      if (write) {
        lat.value = latlng.lat.toFixed(6);
        lng.value = latlng.lng.toFixed(6);
      }
      check();
    }

    function frameProvince() {
      var feature = province && features[province.value];
      if (feature && layer) {
        layer.eachLayer(function (l) { if (l.feature === feature) map.fitBounds(l.getBounds(), { maxZoom: 11 }); });
      }
    }

    function fromFields() {
      var la = number(lat), ln = number(lng);
      if (la !== null && ln !== null) place(L.latLng(la, ln), false);
      else check();
    }

    provinceLayer(map, null, function (feature) { features[String(feature.properties.code)] = feature; }).then(function (l) {
      layer = l;
      element.setAttribute("data-provinces", String(l.getLayers().length));
      fitVietnam(map, l);
      if (number(lat) !== null && number(lng) !== null) {
        fromFields();
        map.setView(marker.getLatLng(), 12);
      } else {
        frameProvince();
      }
    });
    map.on("click", function (event) { place(event.latlng, true); });
    [lat, lng].forEach(function (input) { input.addEventListener("change", fromFields); });
    if (province) province.addEventListener("change", function () { frameProvince(); check(); });

    // Ward search: the wards have no coordinates; choosing one sets the province and ward and frames the province.
    var search = form.querySelector("[data-ward-search]"), results = form.querySelector("[data-ward-results]");
    var pendingWard = null, timer = null;
    if (ward) {
      new MutationObserver(function () {
        if (pendingWard && ward.querySelector('option[value="' + pendingWard + '"]')) { ward.value = pendingWard; pendingWard = null; }
      }).observe(ward, { childList: true });
    }
    function choose(result) {
      results.textContent = "";
      search.value = result.name + ", " + result.province_name;
      pendingWard = String(result.code);
      if (province && province.value !== String(result.province)) {
        province.value = String(result.province);
        province.dispatchEvent(new Event("change", { bubbles: true }));
      } else if (ward) {
        ward.value = pendingWard;
        pendingWard = null;
      }
      frameProvince();
    }
    if (search) {
      search.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var query = search.value.trim();
          if (query.length < 2) { results.textContent = ""; return; }
          fetch(search.dataset.url + "?" + new URLSearchParams({ q: query }).toString(), { credentials: "same-origin" })
            .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
            .then(function (payload) {
              results.textContent = "";
              if (!payload.results.length) results.appendChild(text("li", words.no_results));
              payload.results.forEach(function (result) {
                var item = document.createElement("li"), button = text("button", result.name + ", " + result.province_name, "link-button");
                button.type = "button";
                button.addEventListener("click", function () { choose(result); });
                item.appendChild(button);
                results.appendChild(item);
              });
            })
            .catch(function () { results.textContent = ""; });
        }, 250);
      });
    }
  }

  var builders = { sites: sitesMap, choropleth: choroplethMap, flows: flowsMap, manifest: manifestMap, picker: pickerMap };

  function start() {
    document.querySelectorAll("[data-map]").forEach(function (element) {
      var build = builders[element.dataset.map];
      if (build && !element.dataset.mapReady) {
        element.dataset.mapReady = "1";
        build(element, readJSON(element.dataset.source));
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
