//! `[[source.nats]]`: which JetStream server, streams and consumers to record.

use std::time::Duration;

use serde::{Deserialize, Serialize};
pub use understudy_nats::{NatsAuth, NatsTls};

/// One `[[source.nats]]` section. Only `servers` is required:
///
/// ```toml
/// [[source.nats]]
/// servers = ["nats://nats.meme-generator:4222"]
/// streams = ["memes*"]
/// ```
///
/// Check it with [`NatsConfig::problems`] before handing it to
/// [`NatsSource`](crate::NatsSource).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// Server URLs (`nats://127.0.0.1:4222`); the client fails over between them.
    pub servers: Vec<String>,
    /// How often stream and consumer info is polled; default `"1s"`.
    #[serde(default = "default_interval", with = "understudy_core::duration")]
    pub interval: Duration,
    /// Time budget of one request to the server, and of connecting;
    /// default `"5s"`.
    #[serde(default = "default_timeout", with = "understudy_core::duration")]
    pub timeout: Duration,
    /// Streams to record: names or patterns with `*` and `?`, e.g.
    /// `["memes", "orders-*"]`; default empty, which records them all.
    #[serde(default)]
    pub streams: Vec<String>,
    /// Streams to leave out (patterns), over `streams`, e.g. `["KV_*"]`;
    /// default none.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Record JetStream advisories (`$JS.EVENT.ADVISORY.>`) as events;
    /// default `true`.
    #[serde(default = "yes")]
    pub advisories: bool,
    /// Also record the API audit advisories (`$JS.EVENT.ADVISORY.API`). The
    /// server sends one for every JetStream API request on the account, the
    /// recorder's own polls included (three a poll with one stream), so they
    /// would bury the few advisories that tell what the queue did. Off by
    /// default; turn on to see who called the JetStream API when.
    #[serde(default)]
    pub api_audit: bool,
    /// The `account` label (prometheus-nats-exporter's); the account the
    /// credentials log into; default `"$G"`, the account of a server
    /// without accounts.
    #[serde(default = "default_account")]
    pub account: String,
    /// How to log in (`basic`, `bearer`, `credentials` or `nkey`), the
    /// type `understudy loadgen`'s flags build too. Secrets are never
    /// logged or written to the manifest.
    #[serde(default)]
    pub auth: Option<NatsAuth>,
    /// TLS settings (`ca_file`, `cert_file`, `key_file`); given, TLS is
    /// required. Default none: TLS only for a `tls://` URL.
    #[serde(default)]
    pub tls: Option<NatsTls>,
}

fn default_interval() -> Duration {
    Duration::from_secs(1)
}

fn default_timeout() -> Duration {
    Duration::from_secs(5)
}

fn default_account() -> String {
    "$G".into()
}

fn yes() -> bool {
    true
}

impl NatsConfig {
    /// Every problem of the section, each naming its field.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.servers.is_empty() {
            p.push("servers: give at least one (nats://127.0.0.1:4222)".into());
        }
        for (i, s) in self.servers.iter().enumerate() {
            let ok = ["nats://", "tls://", "ws://", "wss://"]
                .iter()
                .any(|scheme| s.starts_with(scheme) && s.len() > scheme.len());
            if !ok {
                p.push(format!(
                    "servers[{i}] = {s:?}: not a server URL (nats://host:port)"
                ));
            }
        }
        if self.interval < Duration::from_millis(100) {
            p.push("interval: at least 100ms".into());
        }
        if self.timeout.is_zero() {
            p.push("timeout: must be more than 0s".into());
        }
        p.extend(
            self.auth
                .as_ref()
                .map(NatsAuth::problems)
                .unwrap_or_default(),
        );
        p.extend(self.tls.as_ref().map(NatsTls::problems).unwrap_or_default());
        p
    }

    /// Whether stream `name` is recorded.
    pub fn wants(&self, name: &str) -> bool {
        (self.streams.is_empty() || self.streams.iter().any(|p| glob(p, name)))
            && !self.exclude.iter().any(|p| glob(p, name))
    }
}

/// `*` (any run) and `?` (any one character) patterns.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: serde_json::Value) -> NatsConfig {
        serde_json::from_value(json).expect("config")
    }

    #[test]
    fn patterns_choose_streams() {
        let c = parse(serde_json::json!({
            "servers": ["nats://127.0.0.1:4222"],
            "streams": ["MEMES", "ORDERS_*"],
            "exclude": ["*_TEST"]
        }));
        assert!(c.wants("MEMES") && c.wants("ORDERS_EU"));
        assert!(!c.wants("ORDERS_TEST") && !c.wants("OTHER"));
        let all = parse(serde_json::json!({"servers": ["nats://h:1"]}));
        assert!(all.wants("ANYTHING"));
        assert!(glob("a?c*", "abcdef") && !glob("a?c", "abcd") && glob("*", ""));
    }

    #[test]
    fn problems_name_their_field_and_secrets_are_redacted() {
        let c = parse(serde_json::json!({
            "servers": ["127.0.0.1:4222"],
            "interval": "10ms",
            "auth": {"basic": {"username": "u", "password": "hunter2", "password_file": "p"}},
            "tls": {"cert_file": "c.pem"}
        }));
        let p = c.problems().join("\n");
        for says in [
            "servers[0]",
            "interval: at least 100ms",
            "auth.basic: give exactly one of password and password_file",
            "tls: cert_file",
        ] {
            assert!(p.contains(says), "{says}: {p}");
        }
        let shown = format!("{c:?} {}", serde_json::to_string(&c).unwrap_or_default());
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
