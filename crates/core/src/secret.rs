//! A secret from a config file (a password, a token): usable, never shown.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// A secret value: `Debug` and serialization (the manifest) show
/// `<redacted>`; only [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value read from a file or the environment; from here on
    /// only [`Secret::expose`] shows it.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

/// An inline secret or the trimmed contents of its file; `what` names the
/// setting in errors (`auth.bearer.token_file`).
pub fn read_secret(
    inline: Option<&Secret>,
    file: Option<&std::path::Path>,
    what: &str,
) -> Result<String, String> {
    match (inline, file) {
        (Some(s), _) => Ok(s.expose().to_owned()),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|t| t.trim().to_owned())
            .map_err(|e| format!("{what} {}: {e}", path.display())),
        (None, None) => Err(format!("{what}: no secret given")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shown() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(
            serde_json::to_string(&s).ok().as_deref(),
            Some("\"<redacted>\"")
        );
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(read_secret(Some(&s), None, "x"), Ok("hunter2".into()));
        assert!(read_secret(None, None, "auth.token").is_err_and(|m| m.contains("auth.token")));
    }
}
