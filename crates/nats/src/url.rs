//! Server URLs as users write them: passwords masked for messages, and
//! percent-escapes decoded where URLs carry credentials.

/// `nats://user:***@host:4222` for `nats://user:secret@host:4222`, and
/// `nats://***@host` for a token in the URL.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let userinfo = match rest[..at].split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => "***".to_owned(),
    };
    format!("{scheme}{userinfo}{}", &rest[at..])
}

/// `%40` → `@`, as URLs carry user names and passwords.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_secrets() {
        assert_eq!(redact_url("nats://u:pw@h:4222"), "nats://u:***@h:4222");
        assert_eq!(redact_url("nats://tok@h"), "nats://***@h");
        assert_eq!(redact_url("h:4222"), "h:4222");
        assert_eq!(redact_url("u:pw@h:4222/x@y"), "u:***@h:4222/x@y");
    }

    #[test]
    fn url_credentials_are_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%3Aw"), "p@ss:w");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
