//! Checks before a run: the stream exists, the subject goes to it, the
//! consumer is a pull consumer; each failure names what exists instead.

use async_nats::jetstream::consumer::{AckPolicy, pull};
use async_nats::jetstream::context::{
    ConsumerInfoErrorKind, GetStreamErrorKind, RequestError, RequestErrorKind,
};
use async_nats::jetstream::response::Response;
use async_nats::jetstream::{self, ErrorCode};
use serde::Deserialize;

use crate::error::RunError;

/// The stream's info, or why it cannot be used.
pub(crate) async fn stream(
    js: &jetstream::Context,
    server: &str,
    name: &str,
) -> Result<jetstream::stream::Stream, RunError> {
    match js.get_stream(name).await {
        Ok(s) => Ok(s),
        Err(e) => match e.kind() {
            GetStreamErrorKind::JetStream(j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND => {
                Err(RunError::StreamNotFound {
                    stream: name.to_owned(),
                    server: server.to_owned(),
                    existing: stream_names(js, server, None).await?,
                })
            }
            GetStreamErrorKind::JetStream(j)
                if j.error_code() == ErrorCode::JETSTREAM_NOT_ENABLED
                    || j.error_code() == ErrorCode::JETSTREAM_NOT_ENABLED_FOR_ACCOUNT =>
            {
                Err(RunError::NoJetStream {
                    server: server.to_owned(),
                })
            }
            // Nobody answers the JetStream API: the server runs without -js.
            GetStreamErrorKind::Request if no_responders(&e) => Err(RunError::NoJetStream {
                server: server.to_owned(),
            }),
            GetStreamErrorKind::EmptyName | GetStreamErrorKind::InvalidStreamName => {
                Err(RunError::Options(format!(
                    "{name:?} is not a valid stream name (no spaces, dots, * or >)"
                )))
            }
            _ => Err(request_error(
                &format!("stream info of {name:?}"),
                server,
                &e,
            )),
        },
    }
}

/// Fails unless messages published to `subject` land in `stream`.
pub(crate) async fn check_subject(
    js: &jetstream::Context,
    server: &str,
    stream: &jetstream::stream::Stream,
    subject: &str,
) -> Result<(), RunError> {
    let name = &stream.cached_info().config.name;
    let capturing = stream_names(js, server, Some(subject)).await?;
    if capturing.iter().any(|s| s == name) {
        return Ok(());
    }
    Err(RunError::SubjectNotInStream {
        subject: subject.to_owned(),
        stream: name.clone(),
        server: server.to_owned(),
        subjects: stream.cached_info().config.subjects.clone(),
        captured_by: capturing.into_iter().next(),
    })
}

/// The durable pull consumer `name`, created (explicit ack) when missing;
/// `true` when it was created.
pub(crate) async fn pull_consumer(
    stream: &jetstream::stream::Stream,
    server: &str,
    name: &str,
) -> Result<bool, RunError> {
    let stream_name = stream.cached_info().config.name.clone();
    match stream.consumer_info(name).await {
        Ok(info) => match info.config.deliver_subject {
            Some(deliver_subject) if !deliver_subject.is_empty() => Err(RunError::PushConsumer {
                consumer: name.to_owned(),
                stream: stream_name,
                deliver_subject,
            }),
            _ => Ok(false),
        },
        Err(e) if e.kind() == ConsumerInfoErrorKind::InvalidName => Err(RunError::Options(
            format!("{name:?} is not a valid consumer name (no spaces, dots, * or >)"),
        )),
        Err(e) if e.kind() == ConsumerInfoErrorKind::NotFound => {
            stream
                .create_consumer(pull::Config {
                    durable_name: Some(name.to_owned()),
                    ack_policy: AckPolicy::Explicit,
                    ..Default::default()
                })
                .await
                .map_err(|e| {
                    request_error(
                        &format!("creating consumer {name:?} on stream {stream_name:?}"),
                        server,
                        &e,
                    )
                })?;
            Ok(true)
        }
        Err(e) => Err(request_error(
            &format!("consumer info of {name:?} on stream {stream_name:?}"),
            server,
            &e,
        )),
    }
}

#[derive(Deserialize)]
struct NamesPage {
    total: usize,
    streams: Option<Vec<String>>,
}

/// Every stream's name (that captures `subject`, if given), sorted.
pub(crate) async fn stream_names(
    js: &jetstream::Context,
    server: &str,
    subject: Option<&str>,
) -> Result<Vec<String>, RunError> {
    let mut names = Vec::new();
    loop {
        let mut body = serde_json::json!({ "offset": names.len() });
        if let Some(s) = subject {
            body["subject"] = s.into();
        }
        let page: Response<NamesPage> = js
            .request("STREAM.NAMES", &body)
            .await
            .map_err(|e| request_error("listing streams", server, &e))?;
        let page = match page {
            Response::Ok(p) => p,
            Response::Err { error } => {
                return Err(request_error("listing streams", server, &error));
            }
        };
        let got = page.streams.unwrap_or_default();
        let empty = got.is_empty();
        names.extend(got);
        if empty || names.len() >= page.total {
            break;
        }
    }
    names.sort();
    Ok(names)
}

fn no_responders(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(|e| {
        e.downcast_ref::<RequestError>()
            .is_some_and(|r| r.kind() == RequestErrorKind::NoResponders)
    })
}

pub(crate) fn request_error(op: &str, server: &str, e: &dyn std::fmt::Display) -> RunError {
    RunError::Request {
        op: op.to_owned(),
        server: server.to_owned(),
        reason: e.to_string(),
    }
}
