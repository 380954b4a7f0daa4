//! The stage dashboard of `understudy replay`, in a real headless
//! Chromium: it draws every panel of the talk's dashboard from the replay,
//! follows the clock, stops when paused, moves when seeking, and is served
//! with a restrictive Content-Security-Policy.

mod common;

use std::time::Duration;

use common::{Server, http_get, http_post, understudy};
use understudy_testkit::chromium::{self, Options, Page};

fn replay(extra: &[&str]) -> Server {
    let conflict =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict");
    let mut cmd = understudy();
    cmd.arg("replay")
        .arg(conflict)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra);
    Server::start(cmd, "replaying")
}

fn load(addr: &str) -> Page {
    let opts = Options {
        width: 1600,
        height: 1100,
        virtual_time_budget: Duration::from_secs(3),
        ..Options::default()
    };
    let page = chromium::load(&format!("http://{addr}/"), &opts);
    assert!(
        page.console.is_empty(),
        "console: {:?}\n{}",
        page.console,
        page.log
    );
    let body = page.body();
    assert_eq!(body.attr("data-errors"), None, "{}", page.dom);
    assert_eq!(body.attr("data-rendered"), Some("true"), "{}", page.dom);
    page
}

fn attr(page: &Page, id: &str, name: &str) -> String {
    page.by_id(id)
        .unwrap_or_else(|| panic!("no #{id}"))
        .attr(name)
        .unwrap_or_else(|| panic!("#{id} has no {name}"))
        .to_owned()
}

fn position(page: &Page) -> i64 {
    page.body()
        .attr("data-position")
        .and_then(|p| p.parse().ok())
        .expect("data-position")
}

#[test]
fn every_panel_draws_and_the_page_follows_pauses_and_seeks_the_replay() {
    // At 10× from 5m30s: the HPAs start fighting at 5m50s.
    let r = replay(&["--start-at", "5m30s", "--speed", "10"]);

    let first = load(&r.addr);
    // The talk's dashboard: seven panels, every one with data.
    let panels: Vec<String> = first
        .elements()
        .into_iter()
        .filter(|e| e.attr("class") == Some("panel"))
        .filter_map(|e| e.attr("id").map(str::to_owned))
        .collect();
    assert_eq!(panels.len(), 7, "{panels:?}");
    for id in &panels {
        let n: usize = attr(&first, id, "data-points").parse().expect("number");
        assert!(n > 0, "{id} has no data");
    }
    assert!(
        first.dom.contains("SuccessfulRescale") || first.dom.contains("New size:"),
        "the ticker shows rescales"
    );
    let shot = first.screenshot.as_deref().expect("screenshot");
    assert!(chromium::non_blank(shot), "blank screenshot");

    // The clock runs: 5 s later at 10× the picture is 50 s further on.
    std::thread::sleep(Duration::from_secs(5));
    let later = load(&r.addr);
    assert!(
        position(&later) > position(&first) + 40_000,
        "{} {}",
        position(&first),
        position(&later)
    );
    assert_ne!(
        attr(&later, "panel-1", "data-sum"),
        attr(&first, "panel-1", "data-sum"),
        "the replica chart moved"
    );

    // Paused, it stands still: the clock does not move, and the page,
    // updating every second, draws once.
    http_post(&r.addr, "/-/replay/pause");
    let paused = load(&r.addr);
    std::thread::sleep(Duration::from_secs(2));
    let still = load(&r.addr);
    assert_eq!(position(&still), position(&paused));
    assert_eq!(still.body().attr("data-paused"), Some("true"));
    let number =
        |p: &Page, a: &str| -> u32 { p.body().attr(a).and_then(|v| v.parse().ok()).unwrap_or(0) };
    assert!(number(&still, "data-updates") >= 2, "{}", still.dom);
    assert_eq!(number(&still, "data-draws"), 1);
    // Playing, every update draws.
    assert_eq!(number(&later, "data-draws"), number(&later, "data-updates"));

    // A seek moves it back to 1 min into the run.
    http_post(&r.addr, "/-/replay/seek?to=1m");
    let back = load(&r.addr);
    assert!(position(&back) < position(&still) - 60_000);
    assert_ne!(
        attr(&back, "panel-1", "data-sum"),
        attr(&still, "panel-1", "data-sum")
    );
}

#[test]
fn the_page_is_served_with_a_restrictive_content_security_policy() {
    let r = replay(&["--paused"]);
    let mut s = std::net::TcpStream::connect(&r.addr).expect("connect");
    use std::io::{Read as _, Write as _};
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        r.addr
    )
    .expect("send");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("response");
    let csp = head
        .lines()
        .find_map(|l| l.strip_prefix("content-security-policy: "))
        .unwrap_or_else(|| panic!("no CSP in\n{head}"));
    for must in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(must), "{csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    // Nothing from elsewhere: every script and style is this server's.
    assert!(
        !body.contains("http://") && !body.contains("https://"),
        "{body}"
    );
    let (code, js) = http_get(&r.addr, "/dashboard/uplot.js");
    assert_eq!(code, 200);
    assert!(js.contains("uPlot"));
    let (code, spec) = http_get(&r.addr, "/dashboard/spec.json");
    assert_eq!(code, 200);
    assert!(spec.contains("\"mode\":\"replay\""), "{spec}");
}

#[test]
fn the_same_page_works_live_over_a_real_prometheus() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Scraping a port nobody listens on still gives `up` (0) every second.
    let mut prometheus =
        understudy_testkit::Prometheus::start(dir.path(), understudy_testkit::free_port(), "");
    let dashboard = common::write(
        &dir.path().join("dashboard.json"),
        r#"{"title": "Rehearsal", "time": {"from": "now-5m", "to": "now"},
            "panels": [{"id": 3, "type": "timeseries", "title": "Targets up", "interval": "1s",
                        "targets": [{"refId": "A", "expr": "up", "legendFormat": "{{job}}"}]},
                       {"id": 4, "type": "text", "title": "Notes"}]}"#,
    );
    let server = Server::dashboard(&prometheus.url, &dashboard);
    let addr = server.addr.clone();
    // Wait for a few scrapes.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !http_get(&addr, "/api/v1/query?query=up")
        .1
        .contains("\"job\":\"exporter\"")
    {
        assert!(std::time::Instant::now() < deadline, "no scrape yet");
        std::thread::sleep(Duration::from_millis(300));
    }

    let page = load(&addr);
    assert_eq!(attr(&page, "title", "id"), "title");
    assert!(page.dom.contains(">Rehearsal<"), "the dashboard's title");
    let n: usize = attr(&page, "panel-3", "data-points")
        .parse()
        .expect("points");
    assert!(n > 0, "{}", page.dom);
    assert!(
        page.by_id("panel-4").is_none(),
        "a text panel has nothing to draw"
    );
    assert!(
        page.by_id("controls")
            .and_then(|c| c.attr("hidden").map(str::to_owned))
            .is_some(),
        "no replay controls live"
    );

    // Prometheus gone: the page says so and keeps running.
    prometheus.kill();
    let opts = Options {
        virtual_time_budget: Duration::from_secs(2),
        ..Options::default()
    };
    let down = chromium::load(&format!("http://{addr}/"), &opts);
    assert!(down.console.is_empty(), "{:?}", down.console);
    assert_eq!(down.body().attr("data-errors"), None);
    let status = down.by_id("status").expect("status line");
    let text = down.inner_html(&status);
    assert!(text.contains("did not answer"), "{text}");
}
