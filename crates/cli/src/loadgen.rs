//! `understudy loadgen`: fill a JetStream stream with acked publishes from
//! many clients, or drain it as a stand-in backend (`--consume`).

use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use understudy_core::Secret;
use understudy_loadgen::{
    ConsumeOptions, ConsumeSummary, ErrorGroup, NatsAuth, NatsConnect, NatsTls, Payload, Progress,
    PublishOptions, PublishSummary, run_consume, run_publish,
};

use crate::{human, output};

const EXAMPLES: &str = "\
Examples:
  # the talk's nats-queue-load.sh: 6000 requests from 60 clients
  understudy loadgen --server nats://127.0.0.1:4222 \\
      --stream MEMES --subject meme.request --messages 6000 --clients 60

  # paced at 200 msgs/s, with the backend's payload
  understudy loadgen --stream MEMES --subject meme.request \\
      --messages 6000 --clients 60 --rate 200 \\
      --payload-json '{\"prompt\":\"a cat\",\"fast_mode\":false}'

  # a stand-in backend: 10 workers, 50 ms a message, for 5 minutes
  understudy loadgen --consume --stream MEMES --consumer meme-generator \\
      --clients 10 --duration 5m

  # mutual TLS, the password from a file ([[source.nats]] auth.basic and tls)
  understudy loadgen --stream MEMES --subject meme.request --messages 100 \\
      --username loadgen --password-file /run/secrets/nats-password \\
      --tls-ca-file ca.pem --tls-cert-file client.pem \\
      --tls-key-file client-key.pem

Credentials come from flags or NATS_USER/NATS_PASSWORD/NATS_TOKEN/NATS_CREDS/NATS_NKEY;
prefer files or the environment for secrets (flags show in `ps`). Exit status 1 when the
run could not start or any message failed.";

/// Put load on a JetStream stream: publishers that await every ack, or
/// (`--consume`) workers that pull, work and ack like the backend.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The stream; it must exist.
    #[arg(long)]
    stream: String,
    /// Subject to publish to; it must go to --stream.
    #[arg(long, required_unless_present = "consume")]
    subject: Option<String>,
    /// Messages in all: to publish, or (with --consume) to ack, then stop.
    #[arg(long, value_name = "N", required_unless_present = "consume")]
    messages: Option<u64>,
    /// Concurrent clients, each with one message in flight (publishing)
    /// or in work (consuming).
    #[arg(long, value_name = "N", default_value_t = 1)]
    clients: usize,
    /// Connections the clients share; one per 16 clients by default (faster
    /// than one each; --connections N=--clients mimics N separate processes).
    #[arg(long, value_name = "N")]
    connections: Option<usize>,
    /// Messages a second over all clients; unpaced by default.
    #[arg(long, value_name = "MSGS_PER_S", conflicts_with = "consume")]
    rate: Option<f64>,
    /// The body of every message, a JSON document; by default
    /// {"seq":N,"prompt":"understudy loadgen","fast_mode":false}.
    #[arg(long, value_name = "JSON", conflicts_with = "consume")]
    payload_json: Option<String>,
    /// How long a PubAck may take before the message counts as failed.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration, conflicts_with = "consume")]
    ack_timeout: Duration,
    /// Consume instead: a durable pull consumer, created if missing.
    #[arg(long)]
    consume: bool,
    /// The durable pull consumer to work off (with --consume).
    #[arg(long, requires = "consume", required_if_eq("consume", "true"))]
    consumer: Option<String>,
    /// Milliseconds of "work" per message before its ack (with --consume).
    #[arg(long, value_name = "MS", default_value_t = 50, requires = "consume")]
    work_ms: u64,
    /// Stop consuming after this long (`30s`, `5m`); with neither this nor
    /// --messages, consume until Ctrl-C.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, requires = "consume")]
    duration: Option<Duration>,
    /// Print the summary as JSON (docs/loadgen.md) instead of text.
    #[arg(long)]
    json: bool,
}

/// How to reach the NATS server. Each flag is a key of `[[source.nats]]`
/// (docs/loadgen.md lists them side by side) and fills the same type,
/// `understudy_nats::NatsConnect`; the older flag names stay as aliases.
#[derive(clap::Args)]
pub struct ConnectArgs {
    /// NATS server URL; repeat or separate with commas for a cluster.
    #[arg(
        long = "server",
        value_name = "URL",
        env = "NATS_URL",
        value_delimiter = ',',
        default_value = "nats://127.0.0.1:4222"
    )]
    servers: Vec<String>,
    /// User name, with --password or --password-file (auth.basic.username).
    #[arg(long, visible_alias = "user", env = "NATS_USER")]
    username: Option<String>,
    /// Password of --username (auth.basic.password).
    #[arg(long, env = "NATS_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// A file holding the password of --username (auth.basic.password_file).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Authentication token (auth.bearer.token).
    #[arg(long, env = "NATS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// A file holding the token (auth.bearer.token_file).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// A .creds file, user JWT and nkey seed (auth.credentials.file).
    #[arg(long, visible_alias = "creds", value_name = "FILE", env = "NATS_CREDS")]
    credentials_file: Option<PathBuf>,
    /// A file holding an nkey seed (auth.nkey.seed_file).
    #[arg(long, visible_alias = "nkey", value_name = "FILE", env = "NATS_NKEY")]
    nkey_seed_file: Option<PathBuf>,
    /// Require TLS, trusting the system's roots unless --tls-ca-file says
    /// otherwise (a [source.nats.tls] table); the --tls-* files imply it.
    #[arg(long)]
    tls: bool,
    /// CA certificates (PEM) to trust (tls.ca_file).
    #[arg(long, visible_alias = "tls-ca", value_name = "FILE")]
    tls_ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS, with --tls-key-file
    /// (tls.cert_file).
    #[arg(long, visible_alias = "tls-cert", value_name = "FILE")]
    tls_cert_file: Option<PathBuf>,
    /// The client certificate's key (PEM) (tls.key_file).
    #[arg(long, visible_alias = "tls-key", value_name = "FILE")]
    tls_key_file: Option<PathBuf>,
    /// Give up connecting after this long.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    connect_timeout: Duration,
}

impl ConnectArgs {
    /// The settings the flags describe, or every problem with them, in
    /// flag names. The checks after that (`NatsConnect::problems`) are the
    /// ones `[[source.nats]]` gets.
    pub fn to_connect(&self) -> Result<NatsConnect> {
        Ok(NatsConnect {
            servers: self.servers.clone(),
            auth: self.auth()?,
            tls: self.tls(),
            timeout: self.connect_timeout,
            name: Some("understudy loadgen".to_owned()),
        })
    }

    fn auth(&self) -> Result<Option<NatsAuth>> {
        let basic =
            self.username.is_some() || self.password.is_some() || self.password_file.is_some();
        let bearer = self.token.is_some() || self.token_file.is_some();
        let ways = [
            (basic, "--username with --password or --password-file"),
            (bearer, "--token or --token-file"),
            (self.credentials_file.is_some(), "--credentials-file"),
            (self.nkey_seed_file.is_some(), "--nkey-seed-file"),
        ];
        let given: Vec<&str> = ways.iter().filter(|w| w.0).map(|w| w.1).collect();
        if given.len() > 1 {
            bail!(
                "give one way to log in, not {} (the NATS_* environment counts too)",
                given.join(" and ")
            );
        }
        let one = |inline: bool, file: bool, flags: &str| {
            if inline == file {
                bail!("give exactly one of {flags}");
            }
            Ok(())
        };
        Ok(if basic {
            let Some(username) = self.username.clone() else {
                bail!("--password and --password-file need --username");
            };
            one(
                self.password.is_some(),
                self.password_file.is_some(),
                "--password and --password-file",
            )?;
            Some(NatsAuth::Basic {
                username,
                password: self.password.clone().map(Secret::new),
                password_file: self.password_file.clone(),
            })
        } else if bearer {
            one(
                self.token.is_some(),
                self.token_file.is_some(),
                "--token and --token-file",
            )?;
            Some(NatsAuth::Bearer {
                token: self.token.clone().map(Secret::new),
                token_file: self.token_file.clone(),
            })
        } else if let Some(file) = &self.credentials_file {
            Some(NatsAuth::Credentials { file: file.clone() })
        } else {
            self.nkey_seed_file
                .clone()
                .map(|seed_file| NatsAuth::Nkey { seed_file })
        })
    }

    fn tls(&self) -> Option<NatsTls> {
        let tls = NatsTls {
            ca_file: self.tls_ca_file.clone(),
            cert_file: self.tls_cert_file.clone(),
            key_file: self.tls_key_file.clone(),
        };
        (self.tls || tls != NatsTls::default()).then_some(tls)
    }
}

/// Only what is safe to show: the flags go through `NatsConnect`'s `Debug`,
/// which hides secrets and URL passwords.
impl fmt::Debug for ConnectArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_connect() {
            Ok(c) => c.fmt(f),
            Err(e) => write!(f, "ConnectArgs({e})"),
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    let payload = match &args.payload_json {
        Some(text) => Payload::json(text).with_context(|| format!("--payload-json {text}"))?,
        None => Payload::Default,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?
        .block_on(async {
            if args.consume {
                consume(&args).await
            } else {
                publish(&args, payload).await
            }
        })
}

async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn publish(args: &Args, payload: Payload) -> Result<()> {
    let (Some(subject), Some(messages)) = (&args.subject, args.messages) else {
        bail!("publishing needs --subject and --messages");
    };
    let mut opts = PublishOptions::new(
        args.connect.to_connect()?,
        &args.stream,
        subject,
        messages,
        args.clients,
    );
    opts.connections = args.connections;
    opts.rate = args.rate;
    opts.payload = payload;
    opts.ack_timeout = args.ack_timeout;
    let bar = bar(Some(messages), "acked");
    let summary = run_publish(&opts, |p| show(&bar, p), ctrl_c())
        .await
        .context("understudy loadgen")?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let text = if args.json {
        serde_json::to_string_pretty(&summary)? + "\n"
    } else {
        publish_text(&summary)
    };
    // Failed messages decide the exit status even when nobody reads the summary.
    let printed = print(&text);
    if summary.failed > 0 {
        bail!(
            "{} of {} messages failed",
            human::count(summary.failed),
            human::count(summary.requested)
        );
    }
    printed
}

async fn consume(args: &Args) -> Result<()> {
    let Some(consumer) = &args.consumer else {
        bail!("--consume needs --consumer NAME");
    };
    let mut opts = ConsumeOptions::new(
        args.connect.to_connect()?,
        &args.stream,
        consumer,
        args.clients,
    );
    opts.connections = args.connections;
    opts.work = Duration::from_millis(args.work_ms);
    opts.duration = args.duration;
    opts.messages = args.messages;
    let bar = bar(args.messages, "consumed");
    let summary = run_consume(&opts, |p| show(&bar, p), ctrl_c())
        .await
        .context("understudy loadgen --consume")?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let text = if args.json {
        serde_json::to_string_pretty(&summary)? + "\n"
    } else {
        consume_text(&summary)
    };
    // Failed messages decide the exit status even when nobody reads the summary.
    let printed = print(&text);
    if summary.failed > 0 {
        bail!("{} pulls or acks failed", human::count(summary.failed));
    }
    printed
}

fn print(text: &str) -> Result<()> {
    let mut out = output::stdout();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// A bar on a terminal only; a spinner when there is no count to reach.
fn bar(total: Option<u64>, what: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let (bar, template) = match total {
        Some(n) => (
            ProgressBar::new(n),
            format!("{{bar:40}} {{human_pos}}/{{human_len}} {what} · {{per_sec}} · {{msg}}"),
        ),
        None => (
            ProgressBar::no_length(),
            format!("{{spinner}} {{human_pos}} {what} · {{per_sec}} · {{msg}}"),
        ),
    };
    bar.set_style(ProgressStyle::with_template(&template).expect("a valid template"));
    Some(bar)
}

fn show(bar: &Option<ProgressBar>, p: Progress) {
    if let Some(b) = bar {
        b.set_position(p.done);
        b.set_message(format!("{} failed", human::count(p.failed)));
    }
}

fn publish_text(s: &PublishSummary) -> String {
    let mut out = format!(
        "published {} of {} messages to {} ({}) on {} from {} over {}{}\n",
        human::count(s.published),
        human::count(s.requested),
        s.stream,
        s.subject,
        s.server,
        human::plural(s.clients as u64, "client"),
        human::plural(s.connections as u64, "connection"),
        s.rate_limit
            .map(|r| format!(", paced at {r} msgs/s"))
            .unwrap_or_default(),
    );
    if s.interrupted {
        out.push_str(&format!(
            "interrupted  {} not sent\n",
            human::count(s.unsent)
        ));
    }
    out.push_str(&format!("acked     {}\n", human::count(s.acked)));
    out.push_str(&format!("failed    {}\n", human::count(s.failed)));
    out.push_str(&errors_text(&s.errors));
    out.push_str(&format!("elapsed   {:.2} s\n", s.elapsed_s));
    out.push_str(&format!("rate      {} msgs/s\n", rate(s.msgs_per_s)));
    if let Some(l) = s.ack_latency_ms {
        out.push_str(&format!(
            "ack       p50 {:.2} ms · p90 {:.2} ms · p99 {:.2} ms · max {:.2} ms\n",
            l.p50, l.p90, l.p99, l.max
        ));
    }
    out
}

fn consume_text(s: &ConsumeSummary) -> String {
    let mut out = format!(
        "consumed {} from {} / {} on {} with {} of {} ms each ({}; {})\n",
        human::count(s.consumed),
        s.stream,
        s.consumer,
        s.server,
        human::plural(s.clients as u64, "worker"),
        s.work_ms,
        if s.created {
            "consumer created"
        } else {
            "existing consumer"
        },
        match s.stopped_by {
            understudy_loadgen::StopReason::Messages => "stopped at --messages",
            understudy_loadgen::StopReason::Duration => "stopped at --duration",
            understudy_loadgen::StopReason::Interrupted => "interrupted",
        }
    );
    out.push_str(&format!("redelivered {}\n", human::count(s.redelivered)));
    out.push_str(&format!("failed      {}\n", human::count(s.failed)));
    out.push_str(&errors_text(&s.errors));
    out.push_str(&format!("elapsed     {:.2} s\n", s.elapsed_s));
    out.push_str(&format!("rate        {} msgs/s\n", rate(s.msgs_per_s)));
    if let Some(c) = s.consumer_after {
        out.push_str(&format!(
            "consumer    {} pending, {} awaiting ack, ack floor at stream seq {}\n",
            human::count(c.num_pending),
            human::count(c.num_ack_pending),
            c.ack_floor_stream_seq
        ));
    }
    out
}

fn rate(per_s: f64) -> String {
    human::count(per_s.round() as u64)
}

fn errors_text(groups: &[ErrorGroup]) -> String {
    let mut out = String::new();
    for g in groups {
        out.push_str(&format!(
            "  {:<18} {:>8}  {}\n",
            g.kind,
            human::count(g.count),
            g.first.first().map(String::as_str).unwrap_or_default()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        connect: ConnectArgs,
    }

    fn flags(args: &[&str]) -> Result<NatsConnect> {
        let all = std::iter::once("loadgen").chain(args.iter().copied());
        Flags::try_parse_from(all)?.connect.to_connect()
    }

    /// What `[[source.nats]]` makes of the same settings.
    fn source(toml_text: &str) -> NatsConnect {
        let text = format!("servers = [\"nats://127.0.0.1:4222\"]\n{toml_text}");
        let config: understudy_source_nats::NatsConfig =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        understudy_source_nats::settings(&config)
    }

    #[test]
    fn each_flag_means_what_its_source_nats_key_means() {
        let cases: [(&[&str], &str); 5] = [
            (
                &[
                    "--username=u",
                    "--password-file=pw",
                    "--tls-ca-file=ca.pem",
                    "--tls-cert-file=c.pem",
                    "--tls-key-file=k.pem",
                ],
                "[auth.basic]\nusername = \"u\"\npassword_file = \"pw\"\n\
                 [tls]\nca_file = \"ca.pem\"\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"",
            ),
            (
                &["--user=u", "--password=p"],
                "[auth.basic]\nusername = \"u\"\npassword = \"p\"",
            ),
            (&["--token-file=t"], "[auth.bearer]\ntoken_file = \"t\""),
            (
                &["--creds=f.creds", "--tls"],
                "tls = {}\n[auth.credentials]\nfile = \"f.creds\"",
            ),
            (
                &["--nkey-seed-file=s.nk"],
                "[auth.nkey]\nseed_file = \"s.nk\"",
            ),
        ];
        for (args, keys) in cases {
            let by_flags = flags(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            let by_keys = source(keys);
            assert_eq!(
                (&by_flags.auth, &by_flags.tls),
                (&by_keys.auth, &by_keys.tls),
                "{args:?} and\n{keys}"
            );
            assert!(by_flags.auth.is_some() || by_flags.tls.is_some());
        }
    }

    #[test]
    fn a_bad_combination_of_flags_is_named_in_flags() {
        let error = |args: &[&str]| flags(args).err().map(|e| e.to_string());
        assert_eq!(
            error(&["--user=u", "--password=p", "--token=t"]).as_deref(),
            Some(
                "give one way to log in, not --username with --password or --password-file and --token or --token-file (the NATS_* environment counts too)"
            )
        );
        assert_eq!(
            error(&["--password=p"]).as_deref(),
            Some("--password and --password-file need --username")
        );
        assert_eq!(
            error(&["--username=u"]).as_deref(),
            Some("give exactly one of --password and --password-file")
        );
    }
}
