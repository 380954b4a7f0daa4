//! What can stop a run before it starts; failures of single messages are
//! counted in the summary instead.

use understudy_nats::ConnectError;

/// Why a publish or consume run could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No server could be reached or logged in to; the error says which and why.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The stream does not exist on the server.
    #[error(
        "stream {stream:?} not found on {server}; streams there: {}",
        list(existing)
    )]
    StreamNotFound {
        /// The stream asked for.
        stream: String,
        /// The server(s), passwords redacted.
        server: String,
        /// The streams that do exist, sorted.
        existing: Vec<String>,
    },
    /// The server (or the account logged in to) has no JetStream.
    #[error(
        "JetStream is not enabled on {server} (nats-server needs -js, or the account JetStream)"
    )]
    NoJetStream {
        /// The server(s), passwords redacted.
        server: String,
    },
    /// Publishing: the stream does not capture the subject, so no message
    /// would be acked by it.
    #[error(
        "subject {subject:?} does not go to stream {stream:?} on {server} ({}); its subjects: {}",
        match captured_by { Some(s) => format!("stream {s:?} captures it"), None => "no stream captures it".to_owned() },
        list(subjects)
    )]
    SubjectNotInStream {
        /// The subject asked for.
        subject: String,
        /// The stream asked for.
        stream: String,
        /// The server(s), passwords redacted.
        server: String,
        /// The stream's subjects.
        subjects: Vec<String>,
        /// Another stream that captures the subject, if one does.
        captured_by: Option<String>,
    },
    /// Consuming: the consumer exists and pushes to a subject; only pull
    /// consumers can be worked one message at a time.
    #[error(
        "consumer {consumer:?} on stream {stream:?} is a push consumer (it delivers to {deliver_subject:?}); --consume needs a pull consumer: choose another --consumer"
    )]
    PushConsumer {
        /// The consumer asked for.
        consumer: String,
        /// Its stream.
        stream: String,
        /// Where it delivers.
        deliver_subject: String,
    },
    /// A JetStream API request made before the run (stream info, creating
    /// the consumer, …) failed or was refused.
    #[error("{op} on {server} failed: {reason}")]
    Request {
        /// What was asked: `listing streams`, `stream info of "MEMES"`, …
        op: String,
        /// The server(s), passwords redacted.
        server: String,
        /// The client's error or the server's answer.
        reason: String,
    },
    /// The options cannot make a run (no clients, a rate that is not a
    /// positive number, a stream or consumer name the server refuses); the
    /// message names the flag.
    #[error("invalid options: {0}")]
    Options(String),
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}
