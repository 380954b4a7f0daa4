//! What a request says: its path segments and query parameters, decoded
//! as the API server (Go's net/url) decodes them.

use std::collections::HashMap;

use percent_encoding::percent_decode_str;

/// Query parameters, decoded (`+` is a space, as in Go's url.ParseQuery).
pub fn query(q: Option<&str>) -> HashMap<String, String> {
    q.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// One query component, percent-decoded with `+` as a space.
pub fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// A path's segments, percent-decoded (`/api/v1/namespaces/ns/pods` →
/// `api`, `v1`, …), for matching on the API server's path grammar.
pub fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect()
}

/// Whether a boolean query parameter is set.
pub fn flag(q: &HashMap<String, String>, name: &str) -> bool {
    q.get(name).is_some_and(|v| v == "true" || v == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_like_go() {
        let q = query(Some(
            "labelSelector=scaledobject.keda.sh%2Fname%3Dmeme-backend&x=a+b&watch=1",
        ));
        assert_eq!(q["labelSelector"], "scaledobject.keda.sh/name=meme-backend");
        assert_eq!(q["x"], "a b");
        assert!(flag(&q, "watch"));
        assert!(!flag(&q, "x"));
    }

    #[test]
    fn path_segments_are_decoded() {
        assert_eq!(
            segments("/api/v1/namespaces/my%2Dns/pods/"),
            ["api", "v1", "namespaces", "my-ns", "pods"]
        );
    }
}
