//! `[[source.nats]]`: which JetStream server, streams and consumers to record.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use understudy_core::Secret;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// Server URLs (`nats://127.0.0.1:4222`); the client fails over between them.
    pub servers: Vec<String>,
    /// How often stream and consumer info is polled.
    #[serde(default = "default_interval", with = "understudy_core::duration")]
    pub interval: Duration,
    /// Time budget of one request to the server.
    #[serde(default = "default_timeout", with = "understudy_core::duration")]
    pub timeout: Duration,
    /// Streams to record: names or patterns with `*` and `?`; empty = all.
    #[serde(default)]
    pub streams: Vec<String>,
    /// Streams to leave out (patterns), over `streams`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Record JetStream advisories (`$JS.EVENT.ADVISORY.>`) as events.
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
    /// credentials log into, `$G` without accounts.
    #[serde(default = "default_account")]
    pub account: String,
    #[serde(default)]
    pub auth: Option<NatsAuth>,
    #[serde(default)]
    pub tls: Option<NatsTls>,
}

/// How to log in. Secrets are never logged or written to the manifest.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum NatsAuth {
    UserPassword {
        user: String,
        password: Secret,
    },
    Token {
        token: Secret,
    },
    /// A `.creds` file (JWT and nkey seed).
    Credentials {
        file: PathBuf,
    },
    /// A file holding an nkey seed (`SU…`).
    Nkey {
        seed_file: PathBuf,
    },
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NatsTls {
    /// PEM bundle of the CAs that sign the server's certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Client certificate and key (PEM) for mutual TLS.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    #[serde(default)]
    pub key_file: Option<PathBuf>,
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
        if let Some(t) = &self.tls
            && t.cert_file.is_some() != t.key_file.is_some()
        {
            p.push("tls: cert_file and key_file go together".into());
        }
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
            "auth": {"user_password": {"user": "u", "password": "hunter2"}},
            "tls": {"cert_file": "c.pem"}
        }));
        let p = c.problems().join("\n");
        for says in ["servers[0]", "interval: at least 100ms", "tls: cert_file"] {
            assert!(p.contains(says), "{says}: {p}");
        }
        let shown = format!("{c:?} {}", serde_json::to_string(&c).unwrap_or_default());
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
