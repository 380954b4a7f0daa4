//! Reading `serde_json::Value`s with JSON paths in every complaint.
//!
//! Grafana itself reads dashboards leniently, so this reader only complains
//! about fields it uses, and keeps going to report every problem at once.

use serde_json::{Map, Value};

use crate::error::Problem;

/// Collects problems while fields are read.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    pub problems: Vec<Problem>,
}

/// `null` counts as absent, as it does for Grafana.
fn present<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Reader {
    pub fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn wrong(&mut self, path: &str, key: &str, expected: &str, got: &Value) {
        self.problem(
            join(path, key),
            format!("expected {expected}, found {}", type_name(got)),
        );
    }

    pub fn string(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match present(obj, key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong(path, key, "a string", other);
                None
            }
        }
    }

    /// A string, or a number written as one (Grafana accepts both for
    /// `interval`-like fields).
    pub fn string_or_number(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        match present(obj, key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            other => {
                self.wrong(path, key, "a string", other);
                None
            }
        }
    }

    pub fn bool(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<bool> {
        match present(obj, key)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong(path, key, "a boolean", other);
                None
            }
        }
    }

    pub fn int(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<i64> {
        match present(obj, key)? {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Some(i),
                // Grafana writes whole numbers; accept 12.0 but not 12.5.
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Some(f as i64),
                    _ => {
                        self.problem(join(path, key), format!("expected an integer, found {n}"));
                        None
                    }
                },
            },
            other => {
                self.wrong(path, key, "a number", other);
                None
            }
        }
    }

    pub fn object<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'a Map<String, Value>> {
        match present(obj, key)? {
            Value::Object(o) => Some(o),
            other => {
                self.wrong(path, key, "an object", other);
                None
            }
        }
    }

    pub fn array<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'a [Value]> {
        match present(obj, key)? {
            Value::Array(a) => Some(a),
            other => {
                self.wrong(path, key, "an array", other);
                None
            }
        }
    }

    /// The objects of an array, with their paths; other elements are problems.
    pub fn objects<'a>(
        &mut self,
        items: &'a [Value],
        path: &str,
    ) -> Vec<(String, &'a Map<String, Value>)> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            match item {
                Value::Object(o) => out.push((item_path, o)),
                other => self.problem(
                    item_path,
                    format!("expected an object, found {}", type_name(other)),
                ),
            }
        }
        out
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
