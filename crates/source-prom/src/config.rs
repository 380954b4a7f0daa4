//! `[[source.prometheus]]`: what to record from one Prometheus.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
pub use understudy_core::Secret;

/// One `[[source.prometheus]]` section: one Prometheus to record. Only
/// `url` is required:
///
/// ```toml
/// [[source.prometheus]]
/// url = "http://127.0.0.1:9090"
/// selectors = ['{namespace="meme-generator"}']
/// ```
///
/// Check it with [`PromConfig::problems`] before building a source.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PromConfig {
    /// Base URL of the Prometheus HTTP API, e.g. `http://127.0.0.1:9090`.
    pub url: String,
    /// How often selectors are fetched and queries evaluated; default
    /// `"15s"`, at least `"1s"`.
    #[serde(default = "default_interval", with = "understudy_core::duration")]
    pub interval: Duration,
    /// Time budget of one HTTP request (also sent as the query timeout);
    /// default `"10s"`.
    #[serde(default = "default_timeout", with = "understudy_core::duration")]
    pub timeout: Duration,
    /// Series selectors whose raw samples are recorded with their original
    /// timestamps (`{namespace="meme-generator"}`, `up`); default none.
    #[serde(default)]
    pub selectors: Vec<String>,
    /// Named PromQL expressions evaluated every interval; each answer is
    /// stored with the expression, so replay serves what was shown live,
    /// e.g. `queries.replicas = 'sum(kube_deployment_status_replicas)'`.
    #[serde(default)]
    pub queries: BTreeMap<String, String>,
    /// Grafana dashboards whose Prometheus panel targets are recorded as
    /// queries (and whose selectors are added to `selectors`), e.g.
    /// `["deploy/grafana/dashboards/autoscaling.json"]`.
    #[serde(default)]
    pub dashboards: Vec<PathBuf>,
    /// Template variable values for the dashboards, over their saved ones,
    /// e.g. `dashboard_vars.namespace = "meme-generator"`.
    #[serde(default)]
    pub dashboard_vars: BTreeMap<String, String>,
    /// The time range the dashboards are looked at with (sets Grafana's
    /// `$__interval` and `$__range`); default `"15m"`.
    #[serde(
        default = "default_dashboard_range",
        with = "understudy_core::duration"
    )]
    pub dashboard_range: Duration,
    /// The Prometheus scrape interval (Grafana's `$__rate_interval` needs
    /// it); default `"15s"`.
    #[serde(
        default = "default_scrape_interval",
        with = "understudy_core::duration"
    )]
    pub scrape_interval: Duration,
    /// Series one selector may bring; beyond it the rest is left out, a
    /// warning logged and the truncation recorded; default 10000.
    #[serde(default = "default_max_series")]
    pub max_series_per_selector: usize,
    /// How to log in (`basic` or `bearer`); the keys are `[[source.nats]]`'s
    /// too.
    #[serde(default)]
    pub auth: Option<PromAuth>,
    /// TLS settings for an `https://` URL; the keys are `[[source.nats]]`'s
    /// too, with `insecure_skip_verify` besides. Default: the system's
    /// roots, no client certificate.
    #[serde(default)]
    pub tls: PromTls,
    /// Receive Prometheus remote write as well, as a second source with
    /// its own gaps; default off.
    #[serde(default)]
    pub remote_write: Option<RemoteWrite>,
}

/// How to authenticate to Prometheus, with the keys of Prometheus' own
/// `basic_auth` and bearer token settings. Secrets come from files or
/// inline values; they are never logged or written to the manifest.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum PromAuth {
    /// HTTP basic authentication (`[auth.basic]`).
    Basic {
        /// The user name, e.g. `username = "recorder"`.
        username: String,
        /// The password inline; give this or `password_file`, not both.
        #[serde(default)]
        password: Option<Secret>,
        /// A file holding the password, e.g.
        /// `password_file = "/run/secrets/prometheus-password"`.
        #[serde(default)]
        password_file: Option<PathBuf>,
    },
    /// An `Authorization: Bearer` token (`[auth.bearer]`).
    Bearer {
        /// The token inline; give this or `token_file`, not both.
        #[serde(default)]
        token: Option<Secret>,
        /// A file holding the token, e.g.
        /// `token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token"`.
        #[serde(default)]
        token_file: Option<PathBuf>,
    },
}

/// The `tls` table of `[[source.prometheus]]`, for an `https://` URL;
/// every key is optional.
///
/// ```toml
/// [source.prometheus.tls]
/// ca_file = "ca.pem"
/// ```
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PromTls {
    /// PEM bundle of the CAs that sign Prometheus' certificate (else the
    /// system's).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS, with `key_file`.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM), with `cert_file`.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Accept any certificate; default `false`. For a lab only.
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// The `remote_write` table of `[[source.prometheus]]`: where to receive
/// Prometheus remote write.
///
/// ```toml
/// [source.prometheus.remote_write]
/// listen = "127.0.0.1:9201"
/// ```
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteWrite {
    /// Where to listen for `POST /api/v1/write` (required), e.g.
    /// `"127.0.0.1:9201"`; `0.0.0.0` opens it to the network.
    pub listen: SocketAddr,
    /// Largest request body accepted (compressed), in bytes; default
    /// 33554432 (32 MiB).
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
}

fn default_interval() -> Duration {
    Duration::from_secs(15)
}

fn default_timeout() -> Duration {
    Duration::from_secs(10)
}

fn default_dashboard_range() -> Duration {
    Duration::from_secs(15 * 60)
}

fn default_scrape_interval() -> Duration {
    Duration::from_secs(15)
}

fn default_max_series() -> usize {
    10_000
}

fn default_max_body() -> usize {
    32 << 20
}

impl PromConfig {
    /// Every problem of the section, each naming its field.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        match reqwest::Url::parse(&self.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            Ok(u) => p.push(format!(
                "url = {:?}: scheme {:?} is not http or https",
                self.url,
                u.scheme()
            )),
            Err(e) => p.push(format!("url = {:?}: {e}", self.url)),
        }
        if self.interval < Duration::from_secs(1) {
            p.push("interval: at least 1s".into());
        }
        if self.timeout.is_zero() {
            p.push("timeout: must be more than 0s".into());
        }
        for (i, s) in self.selectors.iter().enumerate() {
            if let Err(e) = check_selector(s) {
                p.push(format!("selectors[{i}] = {s:?}: {e}"));
            }
        }
        for (name, expr) in &self.queries {
            if let Err(e) = promql_parser::parser::parse(expr) {
                p.push(format!("queries.{name} = {expr:?}: {e}"));
            }
        }
        if self.max_series_per_selector == 0 {
            p.push("max_series_per_selector: at least 1".into());
        }
        match &self.auth {
            Some(PromAuth::Basic {
                password,
                password_file,
                ..
            }) if password.is_some() == password_file.is_some() => {
                p.push("auth.basic: give exactly one of password and password_file".into());
            }
            Some(PromAuth::Bearer { token, token_file })
                if token.is_some() == token_file.is_some() =>
            {
                p.push("auth.bearer: give exactly one of token and token_file".into());
            }
            _ => {}
        }
        if self.tls.cert_file.is_some() != self.tls.key_file.is_some() {
            p.push("tls: cert_file and key_file go together".into());
        }
        p
    }
}

/// A selector is a PromQL expression that is a plain vector selector.
pub fn check_selector(s: &str) -> Result<(), String> {
    match promql_parser::parser::parse(s) {
        Ok(promql_parser::parser::Expr::VectorSelector(v))
            if v.offset.is_none() && v.at.is_none() =>
        {
            Ok(())
        }
        Ok(_) => Err("not a series selector (write `metric{label=\"value\"}`)".into()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> PromConfig {
        match serde_json::from_str(text) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn defaults_and_problems() {
        let c = parse(r#"{"url": "http://127.0.0.1:9090"}"#);
        assert_eq!(c.interval, Duration::from_secs(15));
        assert!(c.problems().is_empty());
        let c = parse(
            r#"{"url": "ftp://x", "interval": "10ms", "selectors": ["up", "rate(x[1m])", "{"],
                "queries": {"bad": "sum("}, "auth": {"basic": {"username": "u"}},
                "tls": {"cert_file": "c.pem"}}"#,
        );
        let p = c.problems().join("\n");
        for says in [
            "url = \"ftp://x\": scheme",
            "interval: at least 1s",
            "selectors[1]",
            "selectors[2]",
            "queries.bad",
            "auth.basic: give exactly one",
            "tls: cert_file and key_file",
        ] {
            assert!(p.contains(says), "{says} missing from:\n{p}");
        }
        assert!(!p.contains("selectors[0]"), "{p}");
    }

    #[test]
    fn secrets_never_show() {
        let c = parse(r#"{"url": "http://p:9090", "auth": {"bearer": {"token": "s3cr3t"}}}"#);
        let shown = format!("{c:?} {}", serde_json::to_string(&c).unwrap_or_default());
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
