//! The replay's HTTP API over a real socket: Prometheus' shapes and errors,
//! the presenter's control API, and no future leaking into any endpoint.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use understudy_replay::{AppState, ReplayOptions, load, router, state};

fn recording() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../recordings/conflict")
}

struct Server {
    addr: String,
    state: Arc<AppState>,
    _rt: tokio::runtime::Runtime,
}

fn serve(opts: ReplayOptions) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let loaded = load(&recording()).expect("load");
    let state = state(loaded, &opts, understudy_core::now_ms());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let app = router(Arc::clone(&state));
    rt.spawn(async move { axum::serve(listener, app).await });
    Server {
        addr,
        state,
        _rt: rt,
    }
}

fn shifted() -> ReplayOptions {
    ReplayOptions {
        start_at_ms: 0,
        speed: 1.0,
        looping: false,
        no_shift: false,
        limits: understudy_replay::QueryLimits::default(),
    }
}

fn no_shift() -> ReplayOptions {
    ReplayOptions {
        no_shift: true,
        ..shifted()
    }
}

/// `METHOD path` → (status, body).
fn call(s: &Server, method: &str, path: &str) -> (u16, String) {
    let mut c = TcpStream::connect(&s.addr).expect("connect");
    write!(
        c,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut resp = String::new();
    c.read_to_string(&mut resp).expect("read");
    let code = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (code, body)
}

fn json(s: &Server, path: &str) -> (u16, Value) {
    let (code, body) = call(s, "GET", path);
    (
        code,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")),
    )
}

#[test]
fn static_endpoints_answer_as_prometheus_does() {
    let s = serve(no_shift());
    let (code, body) = call(&s, "GET", "/api/v1/status/buildinfo");
    assert_eq!(code, 200);
    assert!(
        body.starts_with("{\"status\":\"success\",\"data\":{\"version\":\"2.42.0\""),
        "{body}"
    );
    assert!(
        !body.contains("features"),
        "no features, or Grafana takes us for Mimir"
    );
    assert_eq!(
        call(&s, "GET", "/api/v1/metadata").1,
        r#"{"status":"success","data":{}}"#
    );
    assert_eq!(
        call(&s, "GET", "/api/v1/query_exemplars").1,
        r#"{"status":"success","data":[]}"#
    );
    assert_eq!(
        call(&s, "GET", "/api/v1/rules").1,
        r#"{"status":"success","data":{"groups":[]}}"#
    );
    assert_eq!(
        call(&s, "GET", "/api/v1/nope"),
        (404, "404 page not found\n".into())
    );
    let (code, body) = call(
        &s,
        "GET",
        "/api/v1/format_query?query=sum%20by(pod)(rate(x%5B5m%5D))",
    );
    assert_eq!(code, 200, "{body}");
}

#[test]
fn series_labels_and_values_come_sorted() {
    let s = serve(no_shift());
    let (code, v) = json(&s, "/api/v1/series?match[]=kube_deployment_spec_replicas");
    assert_eq!(code, 200, "{v}");
    assert_eq!(
        v["data"],
        serde_json::json!([{"__name__": "kube_deployment_spec_replicas", "deployment": "meme-backend", "job": "kube-state-metrics", "namespace": "meme-generator"}])
    );
    let (_, v) = json(&s, "/api/v1/labels?match[]=jetstream_consumer_num_pending");
    assert_eq!(
        v["data"],
        serde_json::json!([
            "__name__",
            "account",
            "consumer_name",
            "server_name",
            "stream_name"
        ])
    );
    let (_, v) = json(&s, "/api/v1/label/horizontalpodautoscaler/values");
    assert_eq!(
        v["data"],
        serde_json::json!(["keda-hpa-meme-backend", "meme-backend"])
    );
    let (code, v) = json(&s, "/api/v1/series");
    assert_eq!(
        (code, v["error"].as_str()),
        (400, Some("no match[] parameter provided"))
    );
}

#[test]
fn nothing_from_the_future_is_visible() {
    // Replay starts at the recording's start: one pod exists, replicas is 1.
    let s = serve(shifted());
    let (_, v) = json(&s, "/api/v1/label/pod/values");
    let live_pods = v["data"].as_array().expect("pods").len();
    let all = serve(no_shift());
    let (_, v) = json(&all, "/api/v1/label/pod/values");
    let all_pods = v["data"].as_array().expect("pods").len();
    assert!(
        live_pods <= 1 && all_pods > 10,
        "{live_pods} pods now, {all_pods} over the recording"
    );
    let (_, metrics) = call(&s, "GET", "/metrics");
    assert!(!metrics.contains("kube_deployment_spec_replicas{deployment=\"meme-backend\",job=\"kube-state-metrics\",namespace=\"meme-generator\"} 10"), "{metrics}");
    // Seek 5 minutes in: the scale-out has happened.
    assert_eq!(call(&s, "POST", "/-/replay/seek?to=5m").0, 200);
    let (_, metrics) = call(&s, "GET", "/metrics");
    assert!(metrics.contains("kube_deployment_spec_replicas{deployment=\"meme-backend\",job=\"kube-state-metrics\",namespace=\"meme-generator\"} 10"), "{metrics}");
}

#[test]
fn the_control_api_pauses_seeks_and_changes_speed() {
    let s = serve(shifted());
    let (_, v) = json(&s, "/-/replay");
    assert_eq!(v["data"]["paused"], false);
    assert_eq!(v["data"]["duration_ms"], 900_000);
    let (_, body) = call(&s, "POST", "/-/replay/pause");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["data"]["paused"], true);
    let (_, body) = call(&s, "POST", "/-/replay/seek?to=90s");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["data"]["offset_ms"], 90_000);
    let (_, body) = call(&s, "POST", "/-/replay/speed?value=4");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["data"]["speed"], 4.0);
    assert_eq!(call(&s, "POST", "/-/replay/speed?value=-1").0, 400);
    assert_eq!(call(&s, "POST", "/-/replay/seek?to=soon").0, 400);
    assert!(s.state.mapping().position > 0);
}

#[test]
fn bad_parameters_get_prometheus_errors() {
    let s = serve(no_shift());
    let cases = [
        (
            "/api/v1/query_range?query=up&start=10&end=5&step=1",
            "invalid parameter \"end\": end timestamp must not be before start time",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=5&step=0",
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=100000&step=1",
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ),
        (
            "/api/v1/query_range?query=up&start=yesterday&end=5&step=1",
            "invalid parameter \"start\": cannot parse \"yesterday\" to a valid timestamp",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=5&step=soon",
            "invalid parameter \"step\": cannot parse \"soon\" to a valid duration",
        ),
        (
            "/api/v1/query?query=up&time=never",
            "invalid parameter \"time\": cannot parse \"never\" to a valid timestamp",
        ),
        ("/api/v1/label/1bad/values", "invalid label name: \"1bad\""),
    ];
    for (path, want) in cases {
        let (code, v) = json(&s, path);
        assert_eq!(code, 400, "{path}: {v}");
        assert_eq!(v["status"], "error");
        assert_eq!(v["errorType"], "bad_data");
        assert_eq!(v["error"].as_str(), Some(want), "{path}");
    }
}

/// Issue 16: the limits of a query answer with Prometheus' errors over HTTP.
#[test]
fn issue_16_query_limits_answer_with_prometheus_errors() {
    let s = serve(ReplayOptions {
        limits: understudy_replay::QueryLimits {
            max_samples: 100,
            ..understudy_replay::QueryLimits::default()
        },
        ..no_shift()
    });
    let (code, v) = json(
        &s,
        "/api/v1/query?query=count_over_time(jetstream_consumer_num_pending[1h])&time=1761586500",
    );
    assert_eq!(code, 422, "{v}");
    assert_eq!(v["errorType"], "execution");
    assert_eq!(
        v["error"],
        "query processing would load too many samples into memory in query execution"
    );
    // As the issue sent it: a form POST of 100,000 nested parentheses.
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let mut c = TcpStream::connect(&s.addr).expect("connect");
    let body = format!("query={deep}");
    write!(
        c,
        "POST /api/v1/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut resp = String::new();
    c.read_to_string(&mut resp).expect("read");
    let code: u16 = resp[9..12].parse().expect("status");
    let v: Value =
        serde_json::from_str(resp.split_once("\r\n\r\n").expect("body").1).expect("json");
    assert_eq!(code, 400, "{v}");
    assert_eq!(v["errorType"], "bad_data");
    let message = v["error"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("invalid parameter \"query\": ") && message.contains("2000"),
        "{message}"
    );
    // And the server still answers.
    let (code, v) = json(&s, "/api/v1/query?query=1%2B1&time=4");
    assert_eq!((code, &v["data"]["result"][1]), (200, &Value::from("2")));
}
