//! A real `nats-server -js` (Debian's) on loopback ports, killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, get};

/// A NATS server with JetStream, its store in a directory of the test's.
#[derive(Debug)]
pub struct NatsServer {
    /// The client port on 127.0.0.1, chosen at start.
    pub port: u16,
    /// `nats://127.0.0.1:<port>`.
    pub url: String,
    /// The HTTP monitoring port (`/jsz`, `/varz`): the server's own answers.
    pub monitor_port: u16,
    store: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts `nats-server -js` with `args` added (e.g. `--user u --pass p`)
    /// and waits until it accepts connections.
    pub fn start(dir: &Path, args: &[&str]) -> NatsServer {
        let port = free_port();
        let mut s = NatsServer {
            port,
            url: format!("nats://127.0.0.1:{port}"),
            monitor_port: free_port(),
            store: dir.join("jetstream"),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            child: None,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.store.with_extension("log")).expect("log");
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1"])
            .args(["-p", &self.port.to_string()])
            .args(["-m", &self.monitor_port.to_string()])
            .arg("-sd")
            .arg(&self.store)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server is installed (scripts/setup.sh)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if get(self.monitor_port, "/healthz").is_some_and(|b| b.contains("ok")) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "nats-server on port {} did not get healthy in 20 s",
            self.port
        );
    }

    /// The server's process id, while it runs (to read its CPU time).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills it (as a crash would), keeping its store.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same ports and store.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// `/jsz?consumers=true`: JetStream as the server itself reports it.
    pub fn jsz(&self) -> serde_json::Value {
        let body = get(self.monitor_port, "/jsz?consumers=true&config=true").expect("jsz");
        serde_json::from_str(&body).expect("json")
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The talk's queue on the server at `url`: stream `MEMES` on
/// `meme.request` and its durable pull consumer `meme-generator` (explicit
/// acks), created if missing.
pub async fn memes(
    url: &str,
) -> (
    async_nats::jetstream::Context,
    async_nats::jetstream::consumer::PullConsumer,
) {
    use async_nats::jetstream::{self, consumer, stream};
    let client = async_nats::connect(url).await.expect("connect");
    let js = jetstream::new(client);
    let s = js
        .get_or_create_stream(stream::Config {
            name: "MEMES".into(),
            subjects: vec!["meme.request".into()],
            ..Default::default()
        })
        .await
        .expect("stream");
    let c = s
        .get_or_create_consumer(
            "meme-generator",
            consumer::pull::Config {
                durable_name: Some("meme-generator".into()),
                ack_policy: consumer::AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await
        .expect("consumer");
    (js, c)
}
