//! Variable substitution as Grafana's browser does it (`TemplateSrv.replace`,
//! `public/app/features/templating/template_srv.ts`, Grafana 10), with the
//! Prometheus data source's formatter (`interpolateQueryExpr` in
//! `public/app/plugins/datasource/prometheus/datasource.ts`).
//!
//! Syntax (Grafana's `variableRegex`, matched left to right):
//! `$name` (`\$(\w+)`, the longest word), `[[name]]` / `[[name:format]]`,
//! `${name}` / `${name.field}` / `${name:format}` / `${name:format:args}`.
//!
//! For each reference, in Grafana's order:
//! 1. `__interval`, `__interval_ms`: the Prometheus data source maps them to
//!    themselves (`$__interval`), to be replaced by the backend with the step.
//! 2. `__dashboard` (the title; `${__dashboard.uid}` the uid), `__from` and
//!    `__to` (milliseconds, only for an absolute range).
//! 3. A dashboard variable: `queryparam` gives `var-name=value` (`&`-joined);
//!    an interval variable on `auto` gives the auto interval; `$__all` gives
//!    `allValue` unformatted (unless the format is `text` or `percentencode`),
//!    or else every option value as a list; then the value is formatted.
//! 4. Anything else stays as written. It is reported as unresolved unless it
//!    is one the Prometheus backend replaces afterwards (see
//!    [`crate::query`]).
//!
//! Formatting without an explicit format, in a Prometheus `expr`: a variable
//! that is neither multi-value nor has "All" gets `prometheusRegularEscape`
//! (`\` → `\\`, `'` → `\\'`); otherwise each value gets
//! `prometheusSpecialRegexEscape` (`\` → `\\\\`, each of `$^*{}[]+?.()|` →
//! `\\` + itself) and several values become `(a|b)`. Elsewhere (legend
//! format, intervals) the default is `glob`. Explicit formats: `raw`,
//! `regex`, `pipe`, `csv`, `json`, `glob`, `text`, `queryparam`,
//! `percentencode`, `singlequote`, `doublequote`, `sqlstring`,
//! `distributed`. Not implemented: `lucene`, `html`, `date`, `customqueryparam`
//! (reported; Grafana's fallback for unknown formats, `glob`, is used).
//!
//! The escapes are Grafana 10's "classic" behaviour (feature toggle
//! `prometheusSpecialCharsInLabelValues` off; Grafana 9 also escaped `'`
//! inside regex values).

use std::collections::BTreeMap;

use crate::interval;
use crate::variables::{ALL_VALUE, Values, Variable, VariableKind};

/// The formatter used when a reference names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultFormat {
    /// `interpolateQueryExpr` of the Prometheus data source (for `expr`).
    Prometheus,
    /// `glob`, TemplateSrv's own default (legend format, intervals).
    Glob,
}

/// Everything a substitution may need.
#[derive(Debug)]
pub(crate) struct Scope<'a> {
    pub variables: &'a [Variable],
    /// Values given by the caller, replacing `current`.
    pub overrides: &'a BTreeMap<String, Vec<String>>,
    pub dashboard_title: &'a str,
    pub dashboard_uid: &'a str,
    /// The time range in milliseconds since the epoch, when absolute.
    pub from_to: Option<(i64, i64)>,
    /// The time range's length in milliseconds (for auto interval variables).
    pub range_ms: f64,
}

/// Result of a substitution.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub text: String,
    /// References left as written that nothing will replace later.
    pub unresolved: Vec<String>,
    pub warnings: Vec<String>,
}

/// The names the Prometheus backend replaces after the browser is done, in the
/// exact forms it looks for.
pub(crate) const BACKEND_BUILTINS: &[&str] = &[
    "$__interval",
    "$__interval_ms",
    "$__range",
    "$__range_s",
    "$__range_ms",
    "$__rate_interval",
    "$__rate_interval_ms",
    "${__interval}",
    "${__interval_ms}",
    "${__range}",
    "${__range_s}",
    "${__range_ms}",
    "${__rate_interval}",
    "${__rate_interval_ms}",
];

/// One variable reference found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference<'t> {
    pub start: usize,
    pub end: usize,
    pub name: &'t str,
    pub field: Option<&'t str>,
    pub format: Option<&'t str>,
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn word_len(s: &[u8], at: usize) -> usize {
    s[at.min(s.len())..]
        .iter()
        .take_while(|&&b| is_word(b))
        .count()
}

/// Grafana's `variableRegex`, tried at byte `at`.
fn reference_at(text: &str, at: usize) -> Option<Reference<'_>> {
    let s = text.as_bytes();
    match s[at] {
        b'$' if s.get(at + 1) == Some(&b'{') => {
            let name_start = at + 2;
            let n = word_len(s, name_start);
            if n == 0 {
                return None;
            }
            let mut p = name_start + n;
            let name = &text[name_start..p];
            let mut field = None;
            if s.get(p) == Some(&b'.') {
                let f = s[p + 1..]
                    .iter()
                    .take_while(|&&b| b != b':' && b != b'^' && b != b'}')
                    .count();
                if f == 0 {
                    return None;
                }
                field = Some(&text[p + 1..p + 1 + f]);
                p += 1 + f;
            }
            let mut format = None;
            if s.get(p) == Some(&b':') {
                let f = s[p + 1..].iter().take_while(|&&b| b != b'}').count();
                if f == 0 {
                    return None;
                }
                format = Some(&text[p + 1..p + 1 + f]);
                p += 1 + f;
            }
            (s.get(p) == Some(&b'}')).then_some(Reference {
                start: at,
                end: p + 1,
                name,
                field,
                format,
            })
        }
        b'$' => {
            let n = word_len(s, at + 1);
            (n > 0).then(|| Reference {
                start: at,
                end: at + 1 + n,
                name: &text[at + 1..at + 1 + n],
                field: None,
                format: None,
            })
        }
        b'[' if s.get(at + 1) == Some(&b'[') => {
            let name_start = at + 2;
            let n = word_len(s, name_start);
            if n == 0 {
                return None;
            }
            let mut p = name_start + n;
            let mut format = None;
            if s.get(p) == Some(&b':') {
                let f = word_len(s, p + 1);
                if f == 0 {
                    return None;
                }
                format = Some(&text[p + 1..p + 1 + f]);
                p += 1 + f;
            }
            (s.get(p) == Some(&b']') && s.get(p + 1) == Some(&b']')).then_some(Reference {
                start: at,
                end: p + 2,
                name: &text[name_start..name_start + n],
                field: None,
                format,
            })
        }
        _ => None,
    }
}

/// Every reference in `text`, left to right, not overlapping.
pub(crate) fn references(text: &str) -> Vec<Reference<'_>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        match reference_at(text, at) {
            Some(r) => {
                at = r.end;
                out.push(r);
            }
            None => at += 1,
        }
    }
    out
}

/// The variable name when `text` is exactly one reference (`$ds`, `${ds}`).
pub(crate) fn sole_variable_name(text: &str) -> Option<&str> {
    match references(text).as_slice() {
        [r] if r.start == 0 && r.end == text.len() => Some(r.name),
        _ => None,
    }
}

/// `TemplateSrv.replace(text, scopedVars, format)`.
pub(crate) fn replace(text: &str, scope: &Scope<'_>, default: DefaultFormat) -> Outcome {
    let mut out = Outcome::default();
    out.text = replace_inner(text, scope, default, &mut out, 0);
    out.unresolved.dedup();
    out
}

fn replace_inner(
    text: &str,
    scope: &Scope<'_>,
    default: DefaultFormat,
    out: &mut Outcome,
    depth: usize,
) -> String {
    let mut result = String::with_capacity(text.len());
    let mut last = 0;
    for r in references(text) {
        result.push_str(&text[last..r.start]);
        last = r.end;
        let whole = &text[r.start..r.end];
        match evaluate(&r, scope, default, out, depth) {
            Some(value) => result.push_str(&value),
            None => {
                if !BACKEND_BUILTINS.contains(&whole) && !out.unresolved.iter().any(|u| u == whole)
                {
                    out.unresolved.push(whole.to_string());
                }
                result.push_str(whole);
            }
        }
    }
    result.push_str(&text[last..]);
    result
}

/// How a variable wants its values formatted (the bits of the model
/// `interpolateQueryExpr` and `distributed` look at).
#[derive(Debug, Clone, Copy)]
struct Shape<'a> {
    name: &'a str,
    multi_or_all: bool,
}

fn evaluate(
    r: &Reference<'_>,
    scope: &Scope<'_>,
    default: DefaultFormat,
    out: &mut Outcome,
    depth: usize,
) -> Option<String> {
    let plain = Shape {
        name: r.name,
        multi_or_all: false,
    };
    match r.name {
        "__interval" | "__interval_ms" => {
            let own = format!("${}", r.name);
            return format_value(
                &Values::One(own.clone()),
                &Values::One(own),
                r.format,
                plain,
                default,
                out,
            );
        }
        "__dashboard" => {
            let v = match r.field {
                Some("uid") => scope.dashboard_uid,
                _ => scope.dashboard_title,
            };
            let v = Values::One(v.to_string());
            return format_value(&v, &v, r.format, plain, default, out);
        }
        "__from" | "__to" => {
            let (from, to) = scope.from_to?;
            if r.format.is_some() {
                out.warnings.push(format!(
                    "${{{}:{}}}: date formats are not supported",
                    r.name,
                    r.format.unwrap_or("")
                ));
                return None;
            }
            return Some(if r.name == "__from" { from } else { to }.to_string());
        }
        _ => {}
    }
    let var = scope.variables.iter().find(|v| v.name == r.name)?;
    let shape = Shape {
        name: &var.name,
        multi_or_all: var.multi || var.include_all,
    };
    let (mut value, mut text) = match scope.overrides.get(&var.name) {
        Some(vals) => {
            let v = match vals.as_slice() {
                [one] if !var.multi => Values::One(one.clone()),
                [one] if one == ALL_VALUE || (one == "All" && var.include_all) => {
                    Values::One(ALL_VALUE.to_string())
                }
                many => Values::Many(many.to_vec()),
            };
            (v.clone(), v)
        }
        None => match (&var.current, var.kind.clone()) {
            (Some(c), _) => (c.value.clone(), c.text.clone()),
            (None, VariableKind::Constant | VariableKind::Textbox) => {
                let q = Values::One(var.query.clone().unwrap_or_default());
                (q.clone(), q)
            }
            (None, _) => match var.options.first() {
                Some(o) => (Values::One(o.value.clone()), Values::One(o.text.clone())),
                None => {
                    out.warnings.push(format!(
                        "${}: no current value saved; pass a value for it",
                        var.name
                    ));
                    return None;
                }
            },
        },
    };
    if var.kind == VariableKind::Adhoc {
        return (r.format == Some("queryparam")).then(String::new);
    }
    if r.format == Some("queryparam") {
        return Some(query_param(&var.name, &value));
    }
    if let Values::One(v) = &value
        && v.starts_with("$__auto_interval")
    {
        let auto = var.auto.clone().unwrap_or(crate::variables::AutoInterval {
            count: 30,
            min: "10s".to_string(),
        });
        let low = interval::browser_interval_to_ms(&auto.min).unwrap_or(1.0);
        let ms = interval::browser_calculate_interval_ms(scope.range_ms, auto.count as f64, low);
        let v = Values::One(interval::seconds_to_hms(ms / 1000.0));
        return format_value(&v, &v, r.format, shape, default, out);
    }
    if value.is_all() {
        text = Values::One("All".to_string());
        match &var.all_value {
            Some(all) if !matches!(r.format, Some("text" | "percentencode")) => {
                if depth > 4 {
                    out.warnings
                        .push(format!("${}: allValue refers to itself", var.name));
                    return None;
                }
                return Some(replace_inner(
                    all,
                    scope,
                    DefaultFormat::Glob,
                    out,
                    depth + 1,
                ));
            }
            Some(all) => value = Values::One(all.clone()),
            None => {
                let all: Vec<String> = var
                    .options
                    .iter()
                    .filter(|o| o.value != ALL_VALUE)
                    .map(|o| o.value.clone())
                    .collect();
                if all.is_empty() {
                    out.warnings.push(format!(
                        "${}: \"All\" is selected but the options are not saved in the \
                         dashboard (they are queried on load) and there is no allValue; \
                         pass the values for it",
                        var.name
                    ));
                    return None;
                }
                value = Values::Many(all);
            }
        }
    }
    if r.field.is_some() {
        out.warnings.push(format!(
            "${{{}.{}}}: field paths are only supported for __dashboard",
            r.name,
            r.field.unwrap_or("")
        ));
        return None;
    }
    format_value(&value, &text, r.format, shape, default, out)
}

/// `String(value)` in JavaScript: arrays join with commas.
fn js_string(v: &Values) -> String {
    v.as_slice().join(",")
}

fn format_value(
    value: &Values,
    text: &Values,
    format: Option<&str>,
    shape: Shape<'_>,
    default: DefaultFormat,
    out: &mut Outcome,
) -> Option<String> {
    let Some(format) = format else {
        return Some(match default {
            DefaultFormat::Prometheus => interpolate_query_expr(value, shape),
            DefaultFormat::Glob => glob(value),
        });
    };
    // Formats may carry arguments after a colon (`date:iso`).
    let name = format.split(':').next().unwrap_or(format);
    let each = |f: &dyn Fn(&str) -> String, sep: &str| -> String {
        value
            .as_slice()
            .iter()
            .map(|v| f(v))
            .collect::<Vec<_>>()
            .join(sep)
    };
    Some(match name {
        "raw" => js_string(value),
        "regex" => match value {
            Values::One(v) => regex_escape(v),
            Values::Many(m) if m.len() == 1 => regex_escape(&m[0]),
            Values::Many(m) => {
                let parts: Vec<String> = m.iter().map(|v| regex_escape(v)).collect();
                format!("({})", parts.join("|"))
            }
        },
        "pipe" => value.as_slice().join("|"),
        "csv" => value.as_slice().join(","),
        "json" => match value {
            Values::One(v) => serde_json::Value::String(v.clone()).to_string(),
            Values::Many(m) => serde_json::Value::from(m.clone()).to_string(),
        },
        "glob" => glob(value),
        "text" => match text {
            Values::One(t) => t.clone(),
            Values::Many(m) => m.join(" + "),
        },
        "queryparam" => query_param(shape.name, value),
        "percentencode" => match value {
            Values::One(v) => encode_uri_component_strict(v),
            Values::Many(m) => encode_uri_component_strict(&format!("{{{}}}", m.join(","))),
        },
        "singlequote" => each(&|v| format!("'{}'", v.replace('\'', "\\'")), ","),
        "doublequote" => each(&|v| format!("\"{}\"", v.replace('"', "\\\"")), ","),
        "sqlstring" => each(&|v| format!("'{}'", v.replace('\'', "''")), ","),
        "distributed" => match value {
            Values::One(v) => v.clone(),
            Values::Many(m) => m
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if i == 0 {
                        v.clone()
                    } else {
                        format!("{}={v}", shape.name)
                    }
                })
                .collect::<Vec<_>>()
                .join(","),
        },
        other => {
            out.warnings.push(format!(
                "${{{}:{format}}}: format {other:?} is not supported; formatted as glob \
                 (Grafana's fallback for unknown formats)",
                shape.name
            ));
            glob(value)
        }
    })
}

/// The `glob` format: several values as `{a,b}`.
fn glob(value: &Values) -> String {
    match value {
        Values::Many(m) if m.len() > 1 => format!("{{{}}}", m.join(",")),
        other => js_string(other),
    }
}

/// The Prometheus data source's `interpolateQueryExpr`.
fn interpolate_query_expr(value: &Values, shape: Shape<'_>) -> String {
    if !shape.multi_or_all {
        return match value {
            Values::One(v) => prometheus_regular_escape(v),
            // `prometheusRegularEscape` leaves non-strings alone: `String(array)`.
            many => js_string(many),
        };
    }
    match value {
        Values::One(v) => prometheus_special_regex_escape(v),
        Values::Many(m) if m.len() == 1 => prometheus_special_regex_escape(&m[0]),
        Values::Many(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|v| prometheus_special_regex_escape(v))
                .collect();
            format!("({})", parts.join("|"))
        }
    }
}

/// `prometheusRegularEscape` (classic): `\` → `\\`, `'` → `\\'`.
pub(crate) fn prometheus_regular_escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\'', "\\\\'")
}

/// `prometheusSpecialRegexEscape` (classic): `\` → `\\\\`, and a regex
/// metacharacter `c` of `$^*{}[]+?.()|` → `\\c` (two backslashes: one is
/// eaten by the PromQL string, one escapes `c` in the regex).
pub(crate) fn prometheus_special_regex_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 8);
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\\\\\"),
            '$' | '^' | '*' | '{' | '}' | '[' | ']' | '+' | '?' | '.' | '(' | ')' | '|' => {
                out.push_str("\\\\");
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `kbn.regexEscape`, the `regex` format: one backslash before each of
/// `\^$*+?.()|[]{}/`.
fn regex_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 8);
    for c in v.chars() {
        if "\\^$*+?.()|[]{}/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `var-name=value` per value, `&`-joined, values percent-encoded.
fn query_param(name: &str, value: &Values) -> String {
    value
        .as_slice()
        .iter()
        .map(|v| format!("var-{name}={}", encode_uri_component_strict(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `encodeURIComponentStrict`: everything but `A-Za-z0-9-_.~` percent-encoded.
fn encode_uri_component_strict(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(&str, Option<&str>, Option<&str>)> {
        references(text)
            .into_iter()
            .map(|r| (r.name, r.field, r.format))
            .collect()
    }

    #[test]
    fn finds_references_like_grafanas_regex() {
        assert_eq!(
            names(
                "a{x=\"$ns\"} [[job]] [[job:csv]] ${ns} ${ns:regex} ${__dashboard.uid} ${a:date:iso}"
            ),
            vec![
                ("ns", None, None),
                ("job", None, None),
                ("job", None, Some("csv")),
                ("ns", None, None),
                ("ns", None, Some("regex")),
                ("__dashboard", Some("uid"), None),
                ("a", None, Some("date:iso")),
            ]
        );
        // The longest word wins: `$ns_x` is `ns_x`, not `ns` followed by `_x`.
        assert_eq!(names("$ns_x"), vec![("ns_x", None, None)]);
        // Not references.
        assert!(names("$ ${} ${a [[]] [[a ${a.} ${a:} x[5m] \"a$\"").is_empty());
        // Multi-byte text around references is kept.
        assert_eq!(names("é$aé"), vec![("a", None, None)]);
    }

    #[test]
    fn escapes_like_the_prometheus_data_source() {
        assert_eq!(prometheus_regular_escape(r"a\b'c.d"), r"a\\b\\'c.d");
        assert_eq!(
            prometheus_special_regex_escape(r"a.b\c|(d)"),
            r"a\\.b\\\\c\\|\\(d\\)"
        );
        assert_eq!(regex_escape("a.b/c"), r"a\.b\/c");
        assert_eq!(encode_uri_component_strict("a b/(c)~"), "a%20b%2F%28c%29~");
    }
}
