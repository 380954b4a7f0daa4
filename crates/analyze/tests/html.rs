//! The HTML report in a real browser: a headless Chromium loads the file and
//! the tests read what the page's script left in the DOM (`data-rendered`,
//! `data-errors`, `data-points-run<i>`, see `assets/report.js`), its console
//! and a screenshot.

use understudy_analyze::html::{Chart, ChartSeries, Page, Table, render};
use understudy_testkit::chromium::{self, Options};

fn series(run: usize, label: &str, x: Vec<f64>, y: Vec<f64>, markers: bool) -> ChartSeries {
    ChartSeries {
        run,
        label: label.to_owned(),
        x,
        y,
        markers,
    }
}

/// `n` points `step` seconds apart from `start`, of `f(t)`.
fn curve(start: f64, step: f64, n: usize, f: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<f64>) {
    (0..n)
        .map(|i| {
            let t = start + step * i as f64;
            (t, f(t))
        })
        .unzip()
}

fn line(run: usize, label: &str, (x, y): (Vec<f64>, Vec<f64>)) -> ChartSeries {
    series(run, label, x, y, false)
}

/// Two runs whose series are sampled at different times: a replicas chart
/// with two series and rescale markers per run (one value not finite), a
/// pending chart, a chart with no series and one whose series has no
/// points.
fn synthetic() -> Page {
    let steps = |t: f64, at: f64| 2.0 + (t / at).floor().min(4.0);
    let mut backend0 = curve(0.0, 15.0, 41, |t| steps(t, 120.0));
    backend0.1[7] = f64::NAN;
    let replicas = vec![
        line(0, "conflict · Deployment meme-backend", backend0),
        line(
            0,
            "conflict · Deployment meme-frontend",
            curve(0.0, 15.0, 41, |t| 1.0 + (t / 200.0).floor()),
        ),
        series(
            0,
            "conflict · rescales",
            vec![120.0, 240.0, 360.0],
            vec![3.0, 4.0, 5.0],
            true,
        ),
        line(
            1,
            "harmony · Deployment meme-backend",
            curve(3.0, 10.0, 60, |t| steps(t, 150.0)),
        ),
        line(
            1,
            "harmony · Deployment meme-frontend",
            curve(3.0, 10.0, 60, |_| 2.0),
        ),
        series(
            1,
            "harmony · rescales",
            vec![153.0, 303.0],
            vec![3.0, 4.0],
            true,
        ),
    ];
    let pending = vec![
        line(
            0,
            "conflict",
            curve(0.0, 5.0, 120, |t| {
                (200.0 - (t - 150.0).abs()).max(0.0) * 12.5
            }),
        ),
        line(
            1,
            "harmony",
            curve(1.5, 5.0, 120, |t| {
                (120.0 - (t - 100.0).abs()).max(0.0) * 9.0
            }),
        ),
    ];
    Page {
        title: "understudy analyze: conflict vs harmony".to_owned(),
        runs: vec!["conflict".to_owned(), "harmony".to_owned()],
        summary: Some("harmony drained the queue 41 % sooner with 3 fewer rescales.".to_owned()),
        table: Table {
            headers: ["KPI", "conflict", "harmony", "difference", "better"]
                .map(str::to_owned)
                .to_vec(),
            rows: vec![
                ["rescales", "7", "4", "-3", "harmony"]
                    .map(str::to_owned)
                    .to_vec(),
                ["drain time", "9:12", "5:25", "-41 %", "harmony"]
                    .map(str::to_owned)
                    .to_vec(),
                [
                    "CPU-seconds",
                    "1,204.5",
                    "n/a",
                    "",
                    "not recorded in harmony",
                ]
                .map(str::to_owned)
                .to_vec(),
            ],
            notes: vec!["built in: SuccessfulRescale Events".to_owned()],
        },
        charts: vec![
            Chart {
                id: "replicas".to_owned(),
                title: "Replicas".to_owned(),
                unit: "replicas".to_owned(),
                series: replicas,
            },
            Chart {
                id: "pending".to_owned(),
                title: "Pending messages".to_owned(),
                unit: "messages".to_owned(),
                series: pending,
            },
            Chart {
                id: "cpu".to_owned(),
                title: "CPU".to_owned(),
                unit: "CPU cores".to_owned(),
                series: Vec::new(),
            },
            Chart {
                id: "throttling".to_owned(),
                title: "CPU throttling".to_owned(),
                unit: "%".to_owned(),
                series: vec![line(0, "conflict", (Vec::new(), Vec::new()))],
            },
        ],
    }
}

/// The finite values of `run`'s series in `chart`: what it should draw.
fn finite_points(chart: &Chart, run: usize) -> usize {
    chart
        .series
        .iter()
        .filter(|s| s.run == run)
        .map(|s| s.y.iter().filter(|v| v.is_finite()).count())
        .sum()
}

/// Renders `page` into a file and loads it.
fn load(page: &Page, opts: &Options) -> (String, chromium::Page) {
    let html = render(page);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.html");
    std::fs::write(&file, &html).expect("write the report");
    let shown = chromium::load(&chromium::file_url(&file), opts);
    (html, shown)
}

/// What every loaded report must show: no console message (Chromium logs
/// them all at one level, so any message counts), no recorded error, and
/// every chart drawn.
fn assert_clean(shown: &chromium::Page) {
    assert!(
        shown.console.is_empty(),
        "the page logged to the console:\n{}",
        shown
            .console
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let body = shown.body();
    assert_eq!(
        body.attr("data-errors"),
        None,
        "errors recorded by the page"
    );
    assert_eq!(
        body.attr("data-rendered"),
        Some("true"),
        "the charts were not all drawn; Chromium's log:\n{}",
        shown.log
    );
}

#[test]
fn report_draws_every_chart_in_a_browser() {
    let page = synthetic();
    let opts = Options {
        height: 1400,
        ..Options::default()
    };
    let (html, shown) = load(&page, &opts);
    assert_clean(&shown);

    for chart in &page.charts {
        let section = shown
            .by_id(&chart.id)
            .unwrap_or_else(|| panic!("no element #{}", chart.id));
        let inner = shown.inner_html(&section);
        let points: usize = (0..page.runs.len()).map(|r| finite_points(chart, r)).sum();
        if points == 0 {
            assert!(inner.contains("not recorded"), "#{}: {inner}", chart.id);
            assert!(!inner.contains("<canvas"), "#{}: {inner}", chart.id);
            continue;
        }
        assert!(inner.contains("<canvas"), "#{} has no canvas", chart.id);
        for run in 0..page.runs.len() {
            let attr = format!("data-points-run{run}");
            let drawn: usize = section
                .attr(&attr)
                .unwrap_or_else(|| panic!("#{} has no {attr}", chart.id))
                .parse()
                .expect("a count");
            assert!(drawn > 0, "#{}: {attr} = 0", chart.id);
            assert_eq!(drawn, finite_points(chart, run), "#{}: {attr}", chart.id);
        }
        // The legend names every series.
        for s in &chart.series {
            assert!(
                inner.contains(&s.label),
                "#{}: no legend for {}",
                chart.id,
                s.label
            );
        }
    }
    // The run names, the summary and the table are there, numbers
    // right-aligned.
    for run in &page.runs {
        assert!(shown.dom.contains(run.as_str()));
    }
    assert!(shown.dom.contains("41 % sooner"));
    assert!(shown.dom.contains(r#"<td class="num">1,204.5</td>"#));
    assert!(shown.dom.contains("<td>n/a</td>"));

    // Charts as wide as the page's column (1280 px window, less margins).
    let widths = chart_widths(&shown);
    assert!(
        widths.iter().all(|&w| (1000.0..=1280.0).contains(&w)),
        "charts do not fill a 1280 px window: {widths:?}"
    );

    let shot = shown.screenshot.as_deref().expect("a screenshot");
    let stats = chromium::png_stats(shot);
    assert!(stats.non_blank(), "the screenshot looks blank: {stats:?}");

    // Nothing outside the file: no attribute pointing anywhere, and the
    // only URL is the one in uPlot's banner comment.
    for needle in [
        "src=", "href=", "url(", "@import", "<link", "<img", "<iframe",
    ] {
        assert!(!html.contains(needle), "the report contains {needle:?}");
    }
    let without_banner = html.replace("/*! https://github.com/leeoniya/uPlot (v", "");
    for scheme in ["http://", "https://"] {
        assert!(
            !without_banner.contains(scheme),
            "the report refers to {scheme}…"
        );
    }
}

#[test]
fn markup_in_labels_is_text() {
    let evil = r#"</script><script>alert(1)</script><img src=x onerror="document.body.dataset.pwned=1"><!--<script>"#;
    let mut page = synthetic();
    page.title = format!("title {evil}");
    page.runs[1] = format!("run {evil}");
    page.summary = Some(format!("summary {evil}"));
    page.table.rows[0][0] = format!("cell {evil}");
    page.charts[0].title = format!("chart {evil}");
    page.charts[0].unit = format!("unit {evil}");
    page.charts[0].series[0].label = format!("label {evil}");
    page.charts[2].id = format!("id {evil}");
    // A narrow window: the charts follow it.
    let opts = Options {
        width: 700,
        height: 1600,
        screenshot: false,
        ..Options::default()
    };
    let (_, shown) = load(&page, &opts);
    assert_clean(&shown);
    assert_eq!(shown.body().attr("data-pwned"), None, "a label ran as code");

    let escaped = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x";
    for place in ["title ", "run ", "summary ", "cell ", "chart ", "label "] {
        assert!(
            shown.dom.contains(&format!("{place}{escaped}")),
            "{place:?} is not shown as text"
        );
    }
    assert!(shown.by_id(&page.charts[2].id).is_some());
    for e in shown.elements() {
        assert_ne!(e.tag, "img", "a label became an element");
    }
    let widths = chart_widths(&shown);
    assert_eq!(widths.len(), 2, "two charts drawn");
    assert!(
        widths.iter().all(|&w| (500.0..=700.0).contains(&w)),
        "charts do not fit a 700 px window: {widths:?}"
    );
}

/// The widths uPlot gave the charts it drew, in CSS pixels.
fn chart_widths(shown: &chromium::Page) -> Vec<f64> {
    shown
        .elements()
        .iter()
        .filter(|e| e.attr("class") == Some("u-wrap"))
        .map(|e| {
            let style = e.attr("style").unwrap_or_default();
            style
                .split_once("width:")
                .and_then(|(_, w)| w.trim_start().split_once("px"))
                .and_then(|(w, _)| w.parse().ok())
                .unwrap_or_else(|| panic!("no width in {style:?}"))
        })
        .collect()
}
