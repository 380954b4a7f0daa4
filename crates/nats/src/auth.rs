//! How to log in and whether to use TLS: the `auth` and `tls` tables of
//! `[[source.nats]]`, and what `understudy loadgen`'s flags build.
//!
//! The keys are those of `[[source.prometheus]]` where the idea is the same
//! (`auth.basic`, `auth.bearer`, `password_file`, `token_file`, `ca_file`,
//! `cert_file`, `key_file`), so a user learns one shape; `credentials` and
//! `nkey` are NATS' own.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use understudy_core::Secret;

/// One way to log in. Secrets come inline or from a file (read at every
/// connect, so a rotated secret is picked up); they never appear in
/// `Debug` output, in the manifest or in messages.
///
/// ```toml
/// [auth.basic]
/// username = "recorder"
/// password_file = "/run/secrets/nats-password"   # or password = "…"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum NatsAuth {
    /// A user name and its password (`--username`, `--password`,
    /// `--password-file`). `user_password` and `user` are the older names.
    #[serde(alias = "user_password")]
    Basic {
        /// The NATS user, e.g. `username = "recorder"`.
        #[serde(alias = "user")]
        username: String,
        /// The password inline; give this or `password_file`, not both.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<Secret>,
        /// A file holding the password (surrounding whitespace trimmed),
        /// e.g. `password_file = "/run/secrets/nats-password"`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password_file: Option<PathBuf>,
    },
    /// An authentication token (`--token`, `--token-file`). `token` is the
    /// older name of this table.
    #[serde(alias = "token")]
    Bearer {
        /// The token inline; give this or `token_file`, not both.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<Secret>,
        /// A file holding the token (surrounding whitespace trimmed), e.g.
        /// `token_file = "/run/secrets/nats-token"`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token_file: Option<PathBuf>,
    },
    /// A `.creds` file (user JWT and nkey seed), as `nsc` writes them
    /// (`--credentials-file`).
    Credentials {
        /// The `.creds` file, e.g. `file = "/etc/nats/loadgen.creds"`.
        file: PathBuf,
    },
    /// A file holding an nkey seed, `SU…` (`--nkey-seed-file`).
    Nkey {
        /// The seed file; comment lines around the seed, as `nsc` writes
        /// them, are skipped.
        seed_file: PathBuf,
    },
}

/// TLS settings; their presence makes TLS required, as a `tls://` URL does.
/// Without `ca_file` the system's roots are trusted.
///
/// ```toml
/// [tls]
/// ca_file = "ca.pem"
/// cert_file = "client.pem"       # mutual TLS, with key_file
/// key_file = "client-key.pem"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NatsTls {
    /// PEM bundle of the CAs that sign the server's certificate
    /// (`--tls-ca-file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS, with `key_file`
    /// (`--tls-cert-file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM) (`--tls-key-file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
}

impl NatsAuth {
    /// What is wrong with these settings, each problem naming its key.
    pub fn problems(&self) -> Vec<String> {
        match self {
            NatsAuth::Basic {
                password,
                password_file,
                ..
            } if password.is_some() == password_file.is_some() => {
                vec!["auth.basic: give exactly one of password and password_file".to_owned()]
            }
            NatsAuth::Bearer { token, token_file } if token.is_some() == token_file.is_some() => {
                vec!["auth.bearer: give exactly one of token and token_file".to_owned()]
            }
            _ => Vec::new(),
        }
    }

    /// How this logs in, for messages; never the secret.
    pub fn describe(&self) -> String {
        match self {
            NatsAuth::Basic { username, .. } => {
                format!("user {username:?} with the given password")
            }
            NatsAuth::Bearer { .. } => "the given token".to_owned(),
            NatsAuth::Credentials { file } => format!("the credentials in {}", file.display()),
            NatsAuth::Nkey { seed_file } => format!("the nkey in {}", seed_file.display()),
        }
    }
}

impl NatsTls {
    /// What is wrong with these settings, each problem naming its key.
    pub fn problems(&self) -> Vec<String> {
        if self.cert_file.is_some() != self.key_file.is_some() {
            vec!["tls: cert_file and key_file go together".to_owned()]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(json: &str) -> Result<NatsAuth, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn the_older_names_still_read() {
        let old = auth(r#"{"user_password": {"user": "u", "password": "p"}}"#);
        let new = auth(r#"{"basic": {"username": "u", "password": "p"}}"#);
        assert_eq!(old, new);
        assert!(new.is_ok(), "{new:?}");
        let old = auth(r#"{"token": {"token": "t"}}"#);
        let new = auth(r#"{"bearer": {"token": "t"}}"#);
        assert_eq!(old, new);
        assert!(new.is_ok(), "{new:?}");
    }

    #[test]
    fn problems_name_their_key() {
        let both = auth(r#"{"basic": {"username": "u", "password": "p", "password_file": "f"}}"#);
        let neither = auth(r#"{"bearer": {}}"#);
        let p = [both, neither]
            .iter()
            .flatten()
            .flat_map(NatsAuth::problems)
            .collect::<Vec<_>>();
        assert_eq!(
            p,
            [
                "auth.basic: give exactly one of password and password_file",
                "auth.bearer: give exactly one of token and token_file"
            ]
        );
        let tls = NatsTls {
            cert_file: Some("c.pem".into()),
            ..NatsTls::default()
        };
        assert_eq!(tls.problems(), ["tls: cert_file and key_file go together"]);
        let e = auth(r#"{"basic": {"username": "u", "pasword": "p"}}"#).err();
        assert!(
            e.as_deref()
                .is_some_and(|e| e.starts_with("unknown field `pasword`")),
            "{e:?}"
        );
    }
}
