//! `understudy dashboard`: the replay's stage dashboard, live. The same
//! page, its queries proxied to a real Prometheus, so the speaker rehearses
//! with the page they will fall back to.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tracing::info;
use understudy_replay::dashboard;

use crate::replay::dashboard_spec;

const EXAMPLES: &str = "\
Examples:
  kubectl -n monitoring port-forward svc/prometheus-operated 9091:9090 &
  understudy dashboard --prometheus http://127.0.0.1:9091
  understudy dashboard --prometheus http://127.0.0.1:9091 \\
      --dashboard my-dashboard.json --listen 127.0.0.1:8080";

/// Show the stage dashboard live, over a real Prometheus (the same page as
/// `understudy replay` serves at /).
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    /// The Prometheus to query (its base URL).
    #[arg(long)]
    prometheus: String,
    /// The Grafana dashboard JSON to show (default: the talk's, built in).
    #[arg(long, value_name = "FILE")]
    dashboard: Option<PathBuf>,
    /// Address of the page; loopback unless told otherwise.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:9092", value_parser = crate::listen::parse)]
    listen: SocketAddr,
}

#[derive(Debug)]
struct Proxy {
    base: reqwest::Url,
    client: reqwest::Client,
}

pub fn run(args: Args) -> Result<()> {
    let base = reqwest::Url::parse(args.prometheus.trim_end_matches('/')).with_context(|| {
        format!(
            "--prometheus {:?} is not a URL; write e.g. http://127.0.0.1:9090",
            args.prometheus
        )
    })?;
    if !matches!(base.scheme(), "http" | "https") {
        bail!(
            "--prometheus {}: only http and https are supported",
            args.prometheus
        );
    }
    let spec = dashboard_spec(args.dashboard.as_deref(), dashboard::Mode::Live)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .context("failed to build the HTTP client")?;
    let proxy = Arc::new(Proxy { base, client });
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| {
                    format!(
                        "failed to listen on {}; choose another with --listen",
                        args.listen
                    )
                })?;
            let addr = listener
                .local_addr()
                .context("failed to read the listening address")?;
            let app = Router::new()
                .route("/api/v1/query", get(forward))
                .route("/api/v1/query_range", get(forward))
                .with_state(Arc::clone(&proxy))
                .merge(dashboard::router(Arc::new(dashboard::DashboardState::live(
                    spec,
                    shown(&proxy.base),
                ))));
            info!("dashboard of {} on http://{addr}/", shown(&proxy.base));
            tokio::select! {
                r = understudy_serve::serve(listener, app) => r.context("the dashboard server stopped")?,
                _ = tokio::signal::ctrl_c() => info!("interrupted"),
            }
            Ok(())
        })
}

/// The Prometheus URL as the page names it: without credentials, which
/// would otherwise be on the projector.
fn shown(base: &reqwest::Url) -> String {
    let mut url = base.clone();
    // Both fail only for URLs that cannot carry credentials at all.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// A query, read-only, passed on as asked; the answer passed back as given.
async fn forward(
    State(p): State<Arc<Proxy>>,
    uri: axum::http::Uri,
    RawQuery(q): RawQuery,
) -> Response {
    let mut url = p.base.clone();
    url.set_path(&format!(
        "{}{}",
        p.base.path().trim_end_matches('/'),
        uri.path()
    ));
    url.set_query(q.as_deref());
    let unavailable = |e: String| {
        let body = serde_json::json!({"status": "error", "errorType": "unavailable", "error": e});
        (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    };
    let answer = match p.client.get(url).send().await {
        Ok(a) => a,
        Err(e) => return unavailable(format!("Prometheus at {} did not answer: {e}", p.base)),
    };
    let code = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    match answer.bytes().await {
        Ok(body) => {
            let mut r = (code, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => unavailable(format!(
            "Prometheus at {} broke off its answer: {e}",
            p.base
        )),
    }
}
