/**
 * The status page's script (served as /ui/app.js; plain browser JavaScript, no build step). Values
 * from the network are only ever set with textContent: host names and vendor classes come from
 * phones and may hold markup.
 */

export const PAGE_SCRIPT = `"use strict";
(function () {
  var state = null;
  var selected = null;
  var refreshTimer = null;
  var $ = function (id) { return document.getElementById(id); };

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function row(cells, className) {
    var tr = document.createElement("tr");
    if (className) tr.className = className;
    cells.forEach(function (c) {
      var td = document.createElement("td");
      if (c instanceof Node) td.appendChild(c);
      else td.textContent = c === undefined || c === null ? "" : String(c);
      tr.appendChild(td);
    });
    return tr;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren.apply(tbody, rows);
  }

  function time(value) {
    if (value === undefined || value === null) return "";
    var d = new Date(value);
    return isNaN(d.getTime()) ? String(value) : d.toLocaleString();
  }

  function renderHeader() {
    var status = state.status || {};
    $("site").textContent = status.site || "";
    var health = $("health");
    health.textContent = state.healthy ? "healthy" : "unhealthy";
    health.className = state.healthy ? "ok" : "bad";
    var items = Object.keys(status.services || {}).map(function (name) {
      var s = status.services[name];
      var li = el("li");
      li.appendChild(el("strong", name + ": "));
      li.appendChild(el("span", s, s === "running" ? "ok" : s === "disabled" ? "muted" : "bad"));
      return li;
    });
    fill($("services"), items);
  }

  function renderPools() {
    var rows = (state.pools || []).map(function (p) {
      var used = p.active + p.declined;
      var meter = el("meter");
      meter.min = 0;
      meter.max = p.size || 1;
      meter.value = used;
      meter.setAttribute("aria-label", p.subnet + " in use");
      var cell = el("span");
      cell.appendChild(meter);
      var pct = p.size ? Math.round((100 * used) / p.size) : 0;
      cell.appendChild(el("span", " " + pct + " %", pct >= 90 ? "bad" : ""));
      return row([p.subnet, cell, p.active, p.declined, p.size]);
    });
    fill(document.querySelector("#pools tbody"), rows);
  }

  function namesByMac() {
    var map = {};
    (state.names || []).forEach(function (n) { map[n.mac + " " + n.address] = n.name; });
    return map;
  }

  function renderLeases() {
    var query = $("search").value.trim().toLowerCase();
    var names = namesByMac();
    var all = state.leases || [];
    var shown = all.filter(function (l) {
      if (!query) return true;
      var dns = names[l.mac + " " + l.address] || "";
      return [l.address, l.mac, l.hostname, dns].some(function (v) {
        return typeof v === "string" && v.toLowerCase().indexOf(query) !== -1;
      });
    });
    var rows = shown.map(function (l) {
      var button = el("button", "show");
      button.type = "button";
      button.setAttribute("aria-label", "timeline of " + l.mac);
      button.addEventListener("click", function () { select(l.mac); });
      return row(
        [l.address, l.mac, l.hostname, names[l.mac + " " + l.address], l.vendorClass, l.state, time(l.expiresAt), button],
        l.mac === selected ? "selected" : "",
      );
    });
    fill(document.querySelector("#leases tbody"), rows);
    $("lease-count").textContent = shown.length + " of " + all.length + " leases";
  }

  function renderReloads() {
    var items = (state.reloads || []).slice().reverse().map(function (r) {
      var li = el("li");
      li.appendChild(el("span", time(r.at) + " "));
      li.appendChild(el("span", r.ok ? "reloaded" : "rejected", r.ok ? "ok" : "bad"));
      if (r.reason) li.appendChild(el("span", " (" + r.reason + ")", "muted"));
      if (r.errors && r.errors.length) {
        var ul = el("ul");
        r.errors.forEach(function (e) { ul.appendChild(el("li", e)); });
        li.appendChild(ul);
      }
      return li;
    });
    if (items.length === 0) items = [el("li", "no reload since start", "muted")];
    fill($("reloads"), items);
  }

  var KIND = { dhcp: "DHCP", lease: "lease", dns: "DNS", ntp: "NTP", provisioning: "provisioning" };

  function renderTimeline(entries) {
    var rows = entries.map(function (e) {
      var problem = /NXDOMAIN|REFUSED|SERVFAIL|NAK|no reply/.test(e.summary);
      var summary = problem ? el("span", "⚠ " + e.summary, "bad") : e.summary;
      return row([time(e.at), KIND[e.kind] || e.kind, summary], problem ? "bad" : "");
    });
    fill(document.querySelector("#timeline tbody"), rows);
    $("timeline-hint").textContent = rows.length ? "" : "Nothing recorded for this client yet.";
  }

  function loadTimeline() {
    if (!selected) return;
    getJson("/clients/" + encodeURIComponent(selected) + "/timeline")
      .then(renderTimeline)
      .catch(function () { renderTimeline([]); });
  }

  function select(mac) {
    selected = mac;
    $("timeline-client").textContent = mac;
    renderLeases();
    loadTimeline();
  }

  function refresh() {
    refreshTimer = null;
    return getJson("/ui/state").then(function (s) {
      state = s;
      renderHeader();
      renderPools();
      renderLeases();
      renderReloads();
      document.body.setAttribute("data-loaded", "true");
    }).catch(function (error) {
      $("live").textContent = "cannot load the state: " + error.message;
    });
  }

  function soon() {
    if (refreshTimer === null) refreshTimer = setTimeout(refresh, 200);
  }

  function listen() {
    var source = new EventSource("/events");
    source.addEventListener("open", function () { $("live").textContent = "live"; });
    source.addEventListener("error", function () { $("live").textContent = "reconnecting…"; });
    source.addEventListener("changes", function (message) {
      var changes = JSON.parse(message.data);
      var kinds = changes.kinds;
      if (kinds.some(function (k) { return k !== "dns" && k !== "ntp" && k !== "dhcp"; })) soon();
      if (selected) {
        var lease = (state && state.leases || []).filter(function (l) { return l.mac === selected; })[0];
        var mine = changes.more || changes.clients.indexOf(selected) !== -1 ||
          (lease && changes.clients.indexOf(lease.address) !== -1);
        if (mine) loadTimeline();
      }
    });
  }

  $("search").addEventListener("input", function () { if (state) renderLeases(); });
  refresh().then(listen);
})();
`;
