//! How understudy reaches and logs in to a NATS server, defined once for
//! every NATS client it has: the `[[source.nats]]` recorder source and
//! `understudy loadgen`.
//!
//! # Brief overview
//!
//! - [`NatsConnect`]: servers, login, TLS, timeout; [`NatsConnect::connect`]
//!   gives up after its timeout and says why in [`ConnectError`].
//! - [`NatsAuth`] and [`NatsTls`]: the `auth` and `tls` tables of
//!   `[[source.nats]]`, which `understudy loadgen`'s flags build as well
//!   (`auth.basic.password_file` is `--password-file`, `tls.ca_file` is
//!   `--tls-ca-file`). Their keys are `[[source.prometheus]]`'s wherever the
//!   idea is the same.
//! - [`redact_url`]: a server URL as it may be printed.
//!
//! ```no_run
//! # async fn f() -> Result<(), understudy_nats::ConnectError> {
//! use understudy_nats::{NatsAuth, NatsConnect};
//!
//! let mut c = NatsConnect::new("tls://nats.meme-generator:4222");
//! c.auth = Some(NatsAuth::Credentials { file: "/etc/nats/loadgen.creds".into() });
//! let client = c.connect().await?;
//! # drop(client); Ok(()) }
//! ```
//!
//! # The one decision
//!
//! A library does not choose the process' TLS crypto provider: rustls
//! needs exactly one, and only the binary knows which ones it links. The
//! `understudy` binary installs ring's before anything connects; a program
//! using this crate for TLS does the same
//! (`rustls::crypto::ring::default_provider().install_default()`).

mod auth;
mod connect;
mod url;

pub use auth::{NatsAuth, NatsTls};
pub use connect::{ConnectError, NatsConnect};
pub use url::redact_url;
