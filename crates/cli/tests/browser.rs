//! The stage dashboard in a browser a presenter would use: Playwright
//! (`tests/browser`, installed by scripts/setup.sh) drives Debian's chromium
//! through the page's keys and buttons against the real `understudy replay`
//! and `understudy dashboard`, and reports what it saw as JSON. The
//! assertions are here, beside the control API's answers the driver read at
//! each step.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Server, http_get, understudy};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `node tests/browser/SCRIPT URL` and returns its report. In CI a
/// missing node or Playwright fails the test, with the fix.
fn drive(script: &str, url: &str) -> Value {
    let node = common::require("node");
    let browser = repo().join("tests/browser");
    assert!(
        browser
            .join("node_modules/playwright-core/package.json")
            .is_file(),
        "playwright-core is not installed in tests/browser: run scripts/setup.sh"
    );
    common::require("chromium");
    let out = Command::new(node)
        .arg(browser.join(script))
        .arg(url)
        .current_dir(&browser)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let seen: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{script} printed no report ({e}):\n{stdout}\n{stderr}"));
    assert_eq!(seen["problems"], serde_json::json!([]), "{seen:#}");
    assert_eq!(seen["errors_attribute"], Value::Null, "{seen:#}");
    seen
}

fn replay(extra: &[&str]) -> Server {
    let mut cmd = understudy();
    cmd.arg("replay")
        .arg(repo().join("recordings/conflict"))
        .args(["--listen", "127.0.0.1:0"])
        .args(extra);
    Server::start(cmd, "replaying")
}

fn ms(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_presenter_drives_the_replay_page_with_its_keys_and_buttons() {
    // 30 s in, at 1×: the load of `conflict` arrives at about 1:00.
    let r = replay(&["--start-at", "30s"]);
    let seen = drive("replay.mjs", &format!("http://{}/", r.addr));
    let step = |name: &str| -> &Value {
        let s = &seen[name];
        assert!(s.is_object(), "no step {name} in {seen:#}");
        s
    };

    // The page names the recording, whatever the dashboard's title.
    assert_eq!(seen["title"], "conflict — understudy replay", "{seen:#}");
    assert_eq!(seen["heading"], "conflict");
    let source = seen["source"].as_str().expect("source");
    assert!(source.contains("scenario=conflict"), "{source}");
    // Before the load, the header counts down to it.
    let load = ms(&seen["spec"]["load_start_ms"]);
    let opened = &step("opened")["server"];
    let start = ms(&opened["recording_start_ms"]);
    assert!(
        (start + 50_000..=start + 70_000).contains(&load),
        "the load of conflict arrives near 1:00, not at {}",
        load - start
    );
    let countdown = step("opened")["page"]["load"]
        .as_str()
        .expect("a countdown before the load");
    assert!(countdown.starts_with("load arrives in 0:"), "{countdown}");

    // The clock moves while playing and stands still while paused.
    let playing = &seen["clock_playing"];
    assert_ne!(playing[0], playing[1], "{seen:#}");
    assert_eq!(step("space_pauses")["server"]["paused"], true);
    assert_eq!(step("space_pauses")["page"]["play"], "play ▶");
    let paused = &seen["clock_paused"];
    assert_eq!(paused[0], paused[1], "the clock ticks while paused");
    let at = &seen["position_paused"];
    assert!(at[0] == at[1] && at[1] == at[2], "{at}");

    // ←/→ 30 s, +/=/- speed: in the page and on the server.
    let p0 = ms(&step("arrow_left")["server"]["position_ms"]);
    assert_eq!(
        ms(&step("arrow_right")["server"]["position_ms"]),
        p0 + 30_000
    );
    assert_eq!(ms(&step("arrow_right")["page"]["position_ms"]), p0 + 30_000);
    assert_eq!(step("plus")["server"]["speed"], 2.0);
    assert_eq!(step("minus")["server"]["speed"], 1.0);
    assert_eq!(step("equals")["page"]["speed"], 2.0);

    // n and the button: to the next event the ticker's API lists; from
    // before the load, that is the load.
    let expected = &seen["next_expected"];
    assert_eq!(expected["kind"], "load", "{expected}");
    assert_eq!(
        step("n")["server"]["position_ms"],
        expected["position_ms"],
        "{seen:#}"
    );
    assert_eq!(step("n")["page"]["load"], Value::Null, "no countdown after");
    assert_eq!(
        step("next_button")["server"]["position_ms"],
        seen["next_button_expected"]["position_ms"]
    );

    // The play button, and space while it has the focus (once, not twice).
    assert_eq!(step("play_button_resumes")["server"]["paused"], false);
    assert_eq!(step("play_button_resumes")["page"]["play"], "pause ❚❚");
    assert_eq!(step("space_after_button")["server"]["paused"], true);
    assert_eq!(seen["space_after_button_stays"]["paused"], true);
    assert_eq!(step("play_button_again")["server"]["paused"], false);

    assert_eq!(step("speed_select")["server"]["speed"], 5.0);
    let half = step("seek_bar");
    assert!(
        (ms(&half["server"]["offset_ms"]) - 450_000).abs() <= 1000,
        "{half}"
    );
    assert_eq!(seen["t"]["projector"], true);
    assert_eq!(seen["theme_button"]["projector"], false);
    assert_eq!(seen["b"]["badge"], false);

    // The event list scrolls; scrolled down, new events do not move what
    // the reader looks at; at the top, the newest stay in view.
    let open = &seen["ticker_open"];
    assert!(
        ms(&open["scroll_height"]) > ms(&open["client_height"]),
        "{open}"
    );
    let scrolled = &seen["ticker_scrolled"];
    let after = &seen["ticker_after_new_events"];
    assert!(ms(&after["scroll_top"]) > 0, "{after}");
    assert_eq!(
        after["in_view"], scrolled["in_view"],
        "the line in view moved"
    );
    let top = &seen["ticker_at_top_after_new_events"];
    assert_eq!(ms(&top["scroll_top"]), 0, "{top}");

    // What the page left is what the server says.
    let (code, status) = http_get(&r.addr, "/-/replay");
    assert_eq!(code, 200);
    let status: Value = serde_json::from_str(&status).expect("status JSON");
    assert_eq!(status["data"]["paused"], seen["final"]["page"]["paused"]);
}

#[test]
fn the_live_dashboard_fills_its_width_and_names_its_prometheus() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Scraping a port nobody listens on still gives `up` (0) every second.
    let prometheus =
        understudy_testkit::Prometheus::start(dir.path(), understudy_testkit::free_port(), "");
    let dashboard = common::write(
        &dir.path().join("dashboard.json"),
        r#"{"title": "Rehearsal", "time": {"from": "now-5m", "to": "now"},
            "panels": [{"id": 3, "type": "timeseries", "title": "Targets up", "interval": "1s",
                        "targets": [{"refId": "A", "expr": "up", "legendFormat": "{{job}}"}]},
                       {"id": 5, "type": "timeseries", "title": "Scrape time", "interval": "1s",
                        "targets": [{"refId": "A", "expr": "scrape_duration_seconds"}]}]}"#,
    );
    let server = Server::dashboard(&prometheus.url, &dashboard);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !http_get(&server.addr, "/api/v1/query?query=up")
        .1
        .contains("\"job\":\"exporter\"")
    {
        assert!(std::time::Instant::now() < deadline, "no scrape yet");
        std::thread::sleep(Duration::from_millis(300));
    }

    let seen = drive("live.mjs", &format!("http://{}/", server.addr));
    assert_eq!(seen["title"], "Rehearsal — understudy dashboard");
    assert_eq!(seen["heading"], "Rehearsal");
    let source = seen["source"].as_str().expect("source");
    assert!(source.contains(&prometheus.url), "{source}");
    // No column kept for the event list, which only a replay has: the
    // panels reach the right edge of the page's content.
    let layout = &seen["layout"];
    let f = |v: &Value| v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert_eq!(layout["columns"], 1, "{layout:#}");
    assert_eq!(f(&layout["events"]["width"]), 0.0, "{layout:#}");
    let content_right = f(&layout["main"]["right"]) - f(&layout["main_padding_right"]);
    assert!(
        f(&layout["panels"]["right"]) >= content_right - 1.0,
        "an empty column on the right: {layout:#}"
    );
    let rightmost = layout["each_panel"]
        .as_array()
        .expect("panels")
        .iter()
        .map(|p| f(&p["right"]))
        .fold(0.0, f64::max);
    assert!(rightmost >= content_right - 1.0, "{layout:#}");
}
