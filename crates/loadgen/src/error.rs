//! What can stop a run before it starts; failures of single messages are
//! counted in the summary instead.

use understudy_nats::ConnectError;

/// Why a publish or consume run could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(
        "stream {stream:?} not found on {server}; streams there: {}",
        list(existing)
    )]
    StreamNotFound {
        stream: String,
        server: String,
        existing: Vec<String>,
    },
    #[error(
        "JetStream is not enabled on {server} (nats-server needs -js, or the account JetStream)"
    )]
    NoJetStream { server: String },
    #[error(
        "subject {subject:?} does not go to stream {stream:?} on {server} ({}); its subjects: {}",
        match captured_by { Some(s) => format!("stream {s:?} captures it"), None => "no stream captures it".to_owned() },
        list(subjects)
    )]
    SubjectNotInStream {
        subject: String,
        stream: String,
        server: String,
        subjects: Vec<String>,
        captured_by: Option<String>,
    },
    #[error(
        "consumer {consumer:?} on stream {stream:?} is a push consumer (it delivers to {deliver_subject:?}); --consume needs a pull consumer: choose another --consumer"
    )]
    PushConsumer {
        consumer: String,
        stream: String,
        deliver_subject: String,
    },
    #[error("{op} on {server} failed: {reason}")]
    Request {
        op: String,
        server: String,
        reason: String,
    },
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
