//! What the servers answer: JSON bodies with their media types, `Status`
//! errors worded as the API server words them, `/version`, and watch
//! streams of one JSON event per line.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The media type of aggregated discovery; clients tell it from a plain
/// APIGroupList by the Content-Type alone.
pub const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// A JSON response.
pub fn respond(code: StatusCode, body: &Value) -> Response {
    respond_as(code, body, "application/json")
}

/// A JSON answer with its media type.
pub fn respond_as(code: StatusCode, body: &Value, content_type: &'static str) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = code;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A `Status` object, as the API server sends with an error.
pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        s["details"] = d;
    }
    s
}

/// An error response: `code` with its `Status` object as the body.
pub fn error(code: u16, reason: &str, message: &str, details: Option<Value>) -> Response {
    respond(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &status(code, reason, message, details),
    )
}

/// The API server's answer to a path it does not serve.
pub fn not_found_path() -> Response {
    error(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(
            json!({"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]}),
        ),
    )
}

/// `resource "name" not found`, with the group as the server qualifies it.
pub fn not_found_object(group: &str, resource: &str, name: &str) -> Response {
    let qualified = if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    };
    error(
        404,
        "NotFound",
        &format!("{qualified} \"{name}\" not found"),
        Some(json!({"name": name, "group": group, "kind": resource})),
    )
}

/// A 405 for anything but GET and HEAD: `why` says whose API is read-only.
pub fn read_only(method: &Method, path: &str, why: &str) -> Option<Response> {
    (method != Method::GET && method != Method::HEAD).then(|| {
        error(
            405,
            "MethodNotAllowed",
            &format!("{why}: {method} {path} cannot change it (read-only)"),
            None,
        )
    })
}

/// `/version`: the Kubernetes release whose API this speaks.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T00:00:00Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// One line of a watch stream.
pub fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut s = json!({"type": kind, "object": object}).to_string();
    s.push('\n');
    Bytes::from(s)
}

/// A chunked JSON stream fed by `rx`; an `Err` cuts the connection.
pub fn streaming(rx: mpsc::Receiver<Result<Bytes, std::io::Error>>) -> Response {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_refused_with_a_405_status() {
        let r = read_only(&Method::POST, "/api/v1/pods", "this is a test").expect("refused");
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(read_only(&Method::GET, "/api/v1/pods", "this is a test").is_none());
        assert!(read_only(&Method::HEAD, "/api/v1/pods", "this is a test").is_none());
    }

    #[test]
    fn not_found_names_the_group_as_the_api_server_does() {
        let s = status(404, "NotFound", "m", None);
        assert_eq!(s["kind"], "Status");
        assert!(s.get("details").is_none());
        let r = not_found_object("apps", "deployments", "web");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}
