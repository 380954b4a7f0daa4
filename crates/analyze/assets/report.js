// The report's script: one uPlot chart per chart in the page data (the
// `<script type="application/json" id="data">` element).
//
// What the tests read from the DOM (crates/analyze/tests/html.rs):
// - each chart's <section> gets `data-points-run<i>`: the non-null points
//   drawn for run i;
// - <body> gets `data-rendered="true"` once every chart has drawn, and
//   `data-errors` with every error the page met (uncaught or caught here).
//
// It runs before uPlot's script, so that errors there are recorded too, and
// draws on DOMContentLoaded, when uPlot is defined.
(function () {
  "use strict";

  var HEIGHT = 320;
  // Tick steps on the time axis, in seconds: whole seconds, minutes, hours.
  var INCRS = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
  ];
  // Line dashes by run family, then by series within the run: run 0 solid
  // first, run 1 dashed, so that the runs are told apart without colour.
  var DASHES = [
    [null, [2, 3], [8, 3, 2, 3], [1, 2]],
    [[8, 4], [8, 3, 2, 3], [4, 4], [14, 4]],
    [[2, 2], [6, 2, 2, 2, 2, 2], [2, 5], [10, 2]],
    [[12, 3, 3, 3], [3, 3], [16, 4], [5, 2, 1, 2]],
  ];

  function recordError(message) {
    var body = document.body;
    if (!body) return;
    var previous = body.getAttribute("data-errors");
    body.setAttribute("data-errors", previous ? previous + "\n" + message : message);
  }

  // Capturing, so that failed loads of elements (which do not bubble) count.
  window.addEventListener(
    "error",
    function (e) {
      if (e.target && e.target !== window && e.target.tagName) {
        recordError("failed to load <" + e.target.tagName.toLowerCase() + ">");
        return;
      }
      var where = e.filename ? " (" + e.filename + ":" + e.lineno + ")" : "";
      recordError((e.message || String(e.error)) + where);
    },
    true
  );
  window.addEventListener("unhandledrejection", function (e) {
    recordError("unhandled rejection: " + e.reason);
  });

  // Seconds as [-][h:]m:ss, with tenths when asked and not whole.
  function clock(v, tenths) {
    if (v == null || !isFinite(v)) return "--";
    var sign = v < 0 ? "-" : "";
    var t = Math.abs(v);
    t = tenths ? Math.round(t * 10) / 10 : Math.round(t);
    var whole = Math.floor(t);
    var h = Math.floor(whole / 3600);
    var m = Math.floor((whole % 3600) / 60);
    var s = whole % 60;
    var out = (h > 0 ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (s < 10 ? "0" : "") + s;
    var tenth = Math.round((t - whole) * 10);
    if (tenths && tenth > 0) out += "." + tenth;
    return sign + out;
  }

  function number(v) {
    if (v == null || !isFinite(v)) return "--";
    if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en");
    return String(+v.toPrecision(3));
  }

  // The y axis as wide as its longest tick label.
  function axisSize(u, values, axisIdx, cycleNum) {
    var axis = u.axes[axisIdx];
    if (cycleNum > 1) return axis._size;
    var size = axis.ticks.size + axis.gap;
    var longest = (values || []).reduce(function (a, v) {
      return String(v).length > a.length ? String(v) : a;
    }, "");
    if (longest !== "") {
      u.ctx.font = axis.font[0];
      size += u.ctx.measureText(longest).width / uPlot.pxRatio;
    }
    return Math.ceil(size);
  }

  function colour(css, run, k) {
    var v = css.getPropertyValue("--run-" + (run % 4) + "-" + (k % 4)).trim();
    return v || "#555";
  }

  function seriesOpts(css, s, k, unit) {
    var stroke = colour(css, s.run, k);
    var value = function (u, v) {
      return v == null ? "--" : number(v) + (unit ? " " + unit : "");
    };
    if (s.markers) {
      // Points only: uPlot draws no path when the path builder returns null.
      return {
        label: s.label,
        stroke: stroke,
        width: 2,
        value: value,
        paths: function () {
          return null;
        },
        points: { show: true, size: 8, width: 2, stroke: stroke, fill: s.run % 2 ? "#fff" : stroke },
      };
    }
    var dash = DASHES[s.run % 4][k % 4];
    var opts = {
      label: s.label,
      stroke: stroke,
      width: 2,
      value: value,
      // uPlot.join leaves `undefined` where a series has no point at another
      // series' x, and lines span those; a recorded non-finite value is
      // `null` and stays a gap.
      spanGaps: false,
      points: { show: false },
    };
    if (dash) opts.dash = dash;
    return opts;
  }

  function legendDash(u, i) {
    var d = u.series[i].dash;
    if (!d || d.length === 0) return "solid";
    return d[0] <= 2 ? "dotted" : "dashed";
  }

  function note(section, text) {
    var p = document.createElement("p");
    p.className = "note";
    p.textContent = text;
    section.appendChild(p);
  }

  function draw() {
    var data = JSON.parse(document.getElementById("data").textContent);
    var css = getComputedStyle(document.documentElement);
    var sections = document.querySelectorAll("section.chart[data-chart]");
    var plots = [];
    var pending = sections.length;
    var failed = 0;

    function settled() {
      pending -= 1;
      if (pending === 0 && failed === 0) document.body.setAttribute("data-rendered", "true");
    }

    if (pending === 0) document.body.setAttribute("data-rendered", "true");
    Array.prototype.forEach.call(sections, function (section) {
      var chart = data.charts[+section.getAttribute("data-chart")];
      var counts = data.runs.map(function () {
        return 0;
      });
      var finish = function () {
        counts.forEach(function (n, run) {
          section.setAttribute("data-points-run" + run, String(n));
        });
        settled();
      };
      var el = section.querySelector(".plot");
      if (!chart || !el || chart.series.length === 0) {
        finish();
        return;
      }
      try {
        var tables = chart.series.map(function (s) {
          var xs = [];
          var ys = [];
          for (var i = 0; i < s.x.length && i < s.y.length; i++) {
            if (s.x[i] == null) continue;
            xs.push(s.x[i]);
            ys.push(s.y[i]);
          }
          return [xs, ys];
        });
        var joined = uPlot.join(tables);
        var total = 0;
        for (var i = 1; i < joined.length; i++) {
          var run = chart.series[i - 1].run;
          var n = joined[i].filter(function (v) {
            return v != null;
          }).length;
          if (run < counts.length) counts[run] += n;
          total += n;
        }
        if (total === 0) {
          el.remove();
          note(section, "not recorded");
          finish();
          return;
        }
        var shade = {};
        var series = chart.series.map(function (s) {
          var k = shade[s.run] || 0;
          shade[s.run] = k + 1;
          return seriesOpts(css, s, k, chart.unit);
        });
        var drawn = false;
        var opts = {
          width: el.clientWidth || 800,
          height: HEIGHT,
          scales: { x: { time: false } },
          series: [
            {
              label: "time",
              value: function (u, v) {
                return clock(v, true);
              },
            },
          ].concat(series),
          axes: [
            {
              label: "time since the experiment start (m:ss)",
              incrs: INCRS,
              space: 60,
              values: function (u, splits) {
                return splits.map(function (v) {
                  return clock(v, false);
                });
              },
            },
            { label: chart.unit, size: axisSize },
          ],
          // The legend's boxes drawn in their line's dash, for print.
          legend: { live: true, markers: { dash: legendDash } },
          hooks: {
            draw: [
              function () {
                if (drawn) return;
                drawn = true;
                finish();
              },
            ],
          },
        };
        plots.push({ el: el, plot: new uPlot(opts, joined, el) });
      } catch (e) {
        failed += 1;
        recordError("chart " + chart.id + ": " + (e && e.stack ? e.stack : e));
        note(section, "could not be drawn: " + e);
        finish();
      }
    });

    // Charts follow the width of the page: on resize, before printing, and
    // once after the first layout (a scrollbar may have appeared).
    var scheduled = false;
    function resize() {
      scheduled = false;
      plots.forEach(function (p) {
        var width = p.el.clientWidth;
        if (width > 0 && width !== p.plot.width) p.plot.setSize({ width: width, height: HEIGHT });
      });
    }
    function schedule() {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(resize);
    }
    window.addEventListener("resize", schedule);
    window.addEventListener("beforeprint", resize);
    window.addEventListener("afterprint", resize);
    if (window.matchMedia) window.matchMedia("print").addEventListener("change", resize);
    schedule();
  }

  document.addEventListener("DOMContentLoaded", function () {
    try {
      draw();
    } catch (e) {
      recordError("report: " + (e && e.stack ? e.stack : e));
    }
  });
})();
