// The stage dashboard. Reads /dashboard/spec.json (the panels and their
// PromQL, from a Grafana dashboard), then every refresh: the replay clock
// (/-/replay, replay mode only), each panel's query_range over the
// dashboard's time range ending at the replay's "now", and the scaling
// events. Charts are uPlot's.
//
// For tests and the benchmark, the page reports on itself in attributes:
// - each panel gets `data-points` (non-null points drawn), `data-sum`
//   (their sum: it changes when the picture does), `data-series` and
//   `data-last` (the last x drawn, ms);
// - <body> gets `data-rendered="true"` after the first complete update,
//   `data-updates` (updates done), `data-draws` (updates that drew: a
//   paused replay is not drawn again), `data-position` (the replay position,
//   ms), `data-errors` (script errors) and `data-fcp` (first contentful
//   paint, ms).
//
// The header clock is the time at the right edge of the graphs: it moves
// with the picture, so it stands still while the replay is paused.
"use strict";

(function () {
  const body = document.body;
  const $ = (id) => document.getElementById(id);

  function recordError(message) {
    const previous = body.getAttribute("data-errors");
    body.setAttribute("data-errors", previous ? previous + "\n" + message : String(message));
  }
  window.addEventListener("error", (e) => recordError(e.message || "error"));
  window.addEventListener("unhandledrejection", (e) => recordError("unhandled rejection: " + (e.reason && e.reason.message || e.reason)));

  const params = new URLSearchParams(location.search);
  // `?bench=1`: timings on the console as they happen, for the benchmark
  // (cargo bench --bench dashboard), which reads Chromium's log.
  const bench = params.get("bench") === "1";

  if (window.PerformanceObserver) {
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          if (e.name === "first-contentful-paint") {
            body.setAttribute("data-fcp", String(Math.round(e.startTime)));
            if (bench) console.info("understudy-bench fcp=" + Math.round(e.startTime));
          }
        }
      }).observe({ type: "paint", buffered: true });
    } catch (e) { /* no paint timing: nothing to report */ }
  }

  const state = {
    spec: null,
    status: null,
    panels: [],
    busy: false,
    updates: 0,
  };

  // Theme and badge: URL first (?theme=projector&badge=0), then what the
  // presenter chose last time.
  function applyPrefs() {
    const theme = params.get("theme") || localStorage.getItem("understudy.theme") || "";
    body.classList.toggle("projector", theme === "projector");
    const badge = params.get("badge") || localStorage.getItem("understudy.badge") || "1";
    body.classList.toggle("no-badge", badge === "0");
  }
  function toggleTheme() {
    const next = body.classList.contains("projector") ? "" : "projector";
    localStorage.setItem("understudy.theme", next);
    params.delete("theme");
    applyPrefs();
    state.panels.forEach((p) => { if (p.plot) { p.plot.destroy(); p.plot = null; p.keys = ""; } });
    update();
  }
  function toggleBadge() {
    localStorage.setItem("understudy.badge", body.classList.contains("no-badge") ? "1" : "0");
    params.delete("badge");
    applyPrefs();
  }

  const palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
  const projectorPalette = ["#4fc3f7", "#ff5252", "#69f0ae", "#ffd740", "#e040fb", "#ffab40", "#ff80ab", "#18ffff", "#eeff41", "#e0e0e0"];

  function formatValue(unit, v) {
    if (v == null || !isFinite(v)) return "–";
    switch (unit) {
      case "percentunit": return (v * 100).toFixed(Math.abs(v) < 0.1 ? 1 : 0) + "%";
      case "percent": return v.toFixed(0) + "%";
      case "mps": return fmtNumber(v) + "/s";
      default: return fmtNumber(v);
    }
  }
  function fmtNumber(v) {
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toFixed(a >= 10 ? 0 : 1).replace(/\.0$/, "");
    if (a === 0) return "0";
    return v.toPrecision(2);
  }
  function clock(ms) {
    const d = new Date(ms);
    return d.toLocaleTimeString([], { hour12: false });
  }
  function mmss(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }
  function legend(format, metric) {
    if (!format) {
      const keys = Object.keys(metric).filter((k) => k !== "__name__");
      return (metric.__name__ || "") + "{" + keys.map((k) => k + "=\"" + metric[k] + "\"").join(", ") + "}";
    }
    return format.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, k) => metric[k] || "");
  }

  async function getJSON(url, options) {
    const r = await fetch(url, Object.assign({ cache: "no-store" }, options || {}));
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* reported below */ }
    if (!r.ok || !json) throw new Error(url.split("?")[0] + ": " + r.status + " " + (json && json.error || text.slice(0, 120)));
    return json;
  }

  function buildPanels() {
    const host = $("panels");
    host.textContent = "";
    state.panels = state.spec.panels.map((spec) => {
      const section = document.createElement("article");
      section.className = "panel";
      section.id = "panel-" + spec.id;
      const h = document.createElement("h2");
      h.textContent = spec.title;
      const plot = document.createElement("div");
      plot.className = "plot";
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "waiting for data";
      section.append(h, plot, empty);
      host.append(section);
      return { spec, section, plotEl: plot, emptyEl: empty, plot: null, keys: "" };
    });
  }

  function plotSize(p) {
    const width = Math.max(240, p.section.clientWidth - 16);
    const projector = body.classList.contains("projector");
    return { width, height: projector ? 300 : 220 };
  }

  function draw(p, xs, series) {
    const keys = series.map((s) => s.label).join("\u0000");
    const projector = body.classList.contains("projector");
    const colours = projector ? projectorPalette : palette;
    const data = [xs].concat(series.map((s) => s.values));
    // Most refreshes bring the same points (they move on once per step):
    // drawing the same picture again is the page's main cost, so it is not.
    const signature = JSON.stringify(data);
    if (p.plot && p.keys === keys && p.signature === signature) return;
    p.signature = signature;
    if (!p.plot || p.keys !== keys) {
      if (p.plot) p.plot.destroy();
      const axisColour = projector ? "#ffffff" : "#1d1d1f";
      const gridColour = projector ? "#444444" : "#e4e4ea";
      const opts = Object.assign(plotSize(p), {
        legend: { show: true, live: false },
        cursor: { show: false },
        scales: { x: { time: true } },
        axes: [
          { stroke: axisColour, grid: { stroke: gridColour }, ticks: { stroke: gridColour }, values: (u, ticks) => ticks.map((t) => clock(t * 1000).slice(0, 5)) },
          { stroke: axisColour, grid: { stroke: gridColour }, ticks: { stroke: gridColour }, size: projector ? 80 : 60, values: (u, ticks) => ticks.map((t) => formatValue(p.spec.unit, t)) },
        ],
        series: [{}].concat(series.map((s, i) => ({
          label: s.label,
          stroke: colours[i % colours.length],
          width: projector ? 3 : 1.5,
          points: { show: false },
          spanGaps: false,
        }))),
      });
      p.plot = new uPlot(opts, data, p.plotEl);
      p.keys = keys;
    } else {
      p.plot.setData(data);
    }
    let points = 0;
    let sum = 0;
    for (const s of series) for (const v of s.values) if (v != null) { points++; sum += v; }
    p.section.setAttribute("data-points", String(points));
    p.section.setAttribute("data-sum", String(sum));
    p.section.setAttribute("data-series", String(series.length));
    p.section.setAttribute("data-last", xs.length ? String(Math.round(xs[xs.length - 1] * 1000)) : "");
  }

  // One panel: its queries over [end - range, end], joined on one x axis.
  async function updatePanel(p, end) {
    const range = state.spec.range_ms;
    // The scrape interval is the finest step with news in it; at 10× the
    // replay shows ten scrapes per display interval, so the step shrinks
    // with the speed (to a second at least).
    const speed = state.status ? state.status.speed : 1;
    const scrape = Math.max(1000, Math.round(state.spec.min_step_ms / Math.max(1, speed) / 1000) * 1000);
    const step = Math.max(scrape, Math.ceil(range / 240 / 1000) * 1000);
    // Aligned to the step, as Grafana does: the answer's timestamps are
    // start + k·step, and they stay put from one refresh to the next.
    const last = Math.floor(end / step) * step;
    const first = last - Math.floor(range / step) * step;
    // A replay's answer for these step times changes only when they move
    // or the clock's mapping does (a seek, a new speed): the points before
    // "now" are history. Live, late scrapes can still change them.
    const key = [first, last, step, state.mappingKey].join("|");
    if (state.spec.mode === "replay" && p.fetched === key) return;
    const results = await Promise.all(p.spec.queries.map((q) => {
      const qs = new URLSearchParams({ query: q.expr, start: String(first / 1000), end: String(last / 1000), step: String(step / 1000) });
      return getJSON("/api/v1/query_range?" + qs.toString()).then((r) => ({ q, r }));
    }));
    const xs = [];
    for (let t = first; t <= last; t += step) xs.push(t / 1000);
    const index = new Map(xs.map((x, i) => [Math.round(x * 1000), i]));
    const series = [];
    for (const { q, r } of results) {
      for (const m of (r.data && r.data.result) || []) {
        const values = new Array(xs.length).fill(null);
        for (const [t, v] of m.values || []) {
          const i = index.get(Math.round(t * 1000));
          const n = parseFloat(v);
          if (i !== undefined && isFinite(n)) values[i] = n;
        }
        series.push({ label: legend(q.legend, m.metric || {}), values });
      }
    }
    series.sort((a, b) => a.label.localeCompare(b.label));
    p.fetched = key;
    if (series.length === 0) {
      if (p.plot) { p.plot.destroy(); p.plot = null; p.keys = ""; }
      p.emptyEl.textContent = "no data";
      p.emptyEl.hidden = false;
      p.section.setAttribute("data-points", "0");
      return;
    }
    p.emptyEl.hidden = true;
    draw(p, xs, series);
  }

  // The list scrolls; newest first. Scrolled to the top, the newest stay
  // in view as events arrive; scrolled down (to read older ones), the line
  // at the top of the view stays where it is.
  function keepScroll(list, rebuild) {
    let anchor = null;
    if (list.scrollTop > 2) {
      for (const li of list.children) {
        if (li.offsetTop + li.offsetHeight > list.scrollTop) {
          anchor = { key: li.dataset.key, delta: li.offsetTop - list.scrollTop };
          break;
        }
      }
    }
    rebuild();
    if (!anchor) { list.scrollTop = 0; return; }
    const same = [...list.children].find((li) => li.dataset.key === anchor.key);
    if (same) list.scrollTop = same.offsetTop - anchor.delta;
  }

  async function updateEvents(end) {
    if (state.spec.mode !== "replay") return;
    const r = await getJSON("/dashboard/events?before=" + Math.round(end) + "&limit=200");
    const list = $("ticker");
    const signature = JSON.stringify(r.events.map((e) => [e.position_ms, e.text]));
    if (signature === state.tickerSignature) {
      // The same events: only how long ago they were changes.
      list.querySelectorAll(".ago").forEach((span, i) => {
        if (r.events[i]) span.textContent = mmss(end - r.events[i].time_ms) + " ago";
      });
      return;
    }
    state.tickerSignature = signature;
    keepScroll(list, () => {
      list.textContent = "";
      // Equal events at one moment (a folded Event's repeats) are told
      // apart by their rank among equals.
      const seen = new Map();
      for (const e of r.events) {
        const same = e.position_ms + "|" + e.text;
        const n = (seen.get(same) || 0) + 1;
        seen.set(same, n);
        const li = document.createElement("li");
        li.className = "kind-" + e.kind;
        li.dataset.key = same + "|" + n;
        const ago = document.createElement("span");
        ago.className = "ago";
        ago.textContent = mmss(end - e.time_ms) + " ago";
        li.append(ago, document.createTextNode(e.text));
        list.append(li);
      }
      if (!r.events.length) {
        const li = document.createElement("li");
        li.textContent = "none yet";
        list.append(li);
      }
    });
  }

  function showStatus(s) {
    const controls = $("controls");
    controls.hidden = false;
    $("play").textContent = s.paused ? "play ▶" : "pause ❚❚";
    const seek = $("seek");
    if (document.activeElement !== seek) seek.value = String(Math.round(1000 * s.offset_ms / Math.max(1, s.duration_ms)));
    $("offset").textContent = mmss(s.offset_ms) + " / " + mmss(s.duration_ms);
    const speed = $("speed");
    if (![...speed.options].some((o) => parseFloat(o.value) === s.speed)) {
      const o = document.createElement("option");
      o.value = String(s.speed);
      o.textContent = s.speed + "×";
      speed.append(o);
    }
    speed.value = String(s.speed);
    // Before the load arrives, how long the audience waits for it.
    const load = $("load");
    const until = state.spec.load_start_ms == null ? -1 : state.spec.load_start_ms - s.position_ms;
    load.hidden = until <= 0;
    if (until > 0) load.textContent = "load arrives in " + mmss(until / s.speed);
    body.setAttribute("data-position", String(s.position_ms));
    body.setAttribute("data-paused", String(s.paused));
  }

  async function update() {
    if (state.busy || !state.spec) return;
    state.busy = true;
    try {
      let end = Date.now();
      if (state.spec.mode === "replay") {
        const s = (await getJSON("/-/replay")).data;
        state.status = s;
        // Constant while the replay plays on: display time minus position
        // over speed (to the second).
        state.mappingKey = Math.round((s.now_ms - s.position_ms / s.speed) / 1000) + "/" + s.speed;
        showStatus(s);
        end = s.now_ms;
      }
      // Paused, the picture stands still: nothing is asked again until the
      // position or the speed changes.
      const key = state.status ? [state.status.position_ms, state.status.speed, state.status.paused].join("|") : "";
      const frozen = state.status && state.status.paused && key === state.drawn;
      if (!frozen) {
        $("clock").textContent = clock(end);
        await Promise.all(state.panels.map((p) => updatePanel(p, end)).concat([updateEvents(end)]));
        state.drawn = key;
        state.draws = (state.draws || 0) + 1;
        body.setAttribute("data-draws", String(state.draws));
      }
      $("status").textContent = "";
      state.updates++;
      body.setAttribute("data-updates", String(state.updates));
      if (bench) console.info("understudy-bench update=" + state.updates);
      body.setAttribute("data-rendered", "true");
    } catch (e) {
      // The server went away or refused a query: say so, keep the last
      // picture, try again at the next tick.
      $("status").textContent = String(e.message || e);
    } finally {
      state.busy = false;
    }
  }

  async function control(path) {
    try {
      state.status = (await getJSON(path, { method: "POST" })).data;
      showStatus(state.status);
      update();
    } catch (e) {
      $("status").textContent = String(e.message || e);
    }
  }
  const seekTo = (offsetMs) => control("/-/replay/seek?to=" + Math.max(0, Math.round(offsetMs)) + "ms");
  const playPause = () => state.status && control(state.status.paused ? "/-/replay/resume" : "/-/replay/pause");
  const speeds = [0.25, 0.5, 1, 2, 5, 10, 30, 60];
  function stepSpeed(dir) {
    if (!state.status) return;
    const cur = state.status.speed;
    const next = dir > 0 ? speeds.find((s) => s > cur) : speeds.slice().reverse().find((s) => s < cur);
    if (next) control("/-/replay/speed?value=" + next);
  }
  async function nextEvent() {
    if (!state.status) return;
    try {
      const r = await getJSON("/dashboard/events?after_position=" + state.status.position_ms + "&limit=1");
      if (r.events.length) seekTo(r.events[0].position_ms - state.status.recording_start_ms);
      else $("status").textContent = "no scaling event after this point";
    } catch (e) {
      $("status").textContent = String(e.message || e);
    }
  }

  function wire() {
    $("play").addEventListener("click", playPause);
    $("seek").addEventListener("change", (e) => {
      if (state.status) seekTo(state.status.duration_ms * Number(e.target.value) / 1000);
    });
    $("speed").addEventListener("change", (e) => control("/-/replay/speed?value=" + e.target.value));
    $("next").addEventListener("click", nextEvent);
    $("theme").addEventListener("click", toggleTheme);
    document.addEventListener("keydown", (e) => {
      if (e.target && (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") && e.key !== " ") return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const replay = state.spec && state.spec.mode === "replay";
      switch (e.key) {
        case " ": if (replay) { playPause(); e.preventDefault(); } break;
        case "ArrowLeft": if (replay && state.status) seekTo(state.status.offset_ms - 30000); break;
        case "ArrowRight": if (replay && state.status) seekTo(state.status.offset_ms + 30000); break;
        case "+": case "=": if (replay) stepSpeed(1); break;
        case "-": if (replay) stepSpeed(-1); break;
        case "n": if (replay) nextEvent(); break;
        case "t": toggleTheme(); break;
        case "b": toggleBadge(); break;
        default: return;
      }
    });
    let resize = 0;
    window.addEventListener("resize", () => {
      clearTimeout(resize);
      resize = setTimeout(() => state.panels.forEach((p) => p.plot && p.plot.setSize(plotSize(p))), 150);
    });
  }

  // The recording (or the Prometheus) in the title and the header: the
  // dashboard's own title is the same whatever plays.
  function nameThePage(spec) {
    const source = spec.source || {};
    let name = spec.title;
    let detail = "";
    if (source.kind === "recording") {
      name = source.name;
      const labels = Object.entries(source.labels || {}).map(([k, v]) => k + "=" + v).join(", ");
      detail = spec.title + (labels ? " · " + labels : "");
      document.title = source.name + " — understudy replay";
    } else if (source.kind === "prometheus") {
      detail = "live from " + source.url;
      document.title = spec.title + " — understudy dashboard";
    } else {
      document.title = spec.title;
    }
    $("title").textContent = name;
    $("source").textContent = detail;
  }

  async function start() {
    applyPrefs();
    try {
      state.spec = await getJSON("/dashboard/spec.json");
    } catch (e) {
      $("status").textContent = "cannot read the dashboard: " + (e.message || e);
      return;
    }
    nameThePage(state.spec);
    $("badge").hidden = state.spec.mode !== "replay";
    if (state.spec.mode !== "replay") {
      $("events").hidden = true;
      body.classList.add("live");
    }
    buildPanels();
    wire();
    await update();
    setInterval(update, state.spec.refresh_ms);
  }

  start();
})();
