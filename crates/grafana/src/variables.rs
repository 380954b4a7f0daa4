//! Dashboard variables (`templating.list`) and their current values.

use serde_json::{Map, Value};

use crate::json::{Reader, join, type_name};

/// A dashboard variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// `name`: what `$name` refers to.
    pub name: String,
    /// `type`.
    pub kind: VariableKind,
    /// `label`.
    pub label: Option<String>,
    /// `query` as text: the values of a custom variable, a constant's value,
    /// a data source variable's plugin id, a query variable's query (from
    /// `query.query` when the query is an object).
    pub query: Option<String>,
    /// `multi`: several values may be selected.
    pub multi: bool,
    /// `includeAll`: an "All" option exists.
    pub include_all: bool,
    /// `allValue`: what "All" stands for, when set (e.g. `.*`).
    pub all_value: Option<String>,
    /// `current.value` (`$__all` for All) and `current.text`.
    pub current: Option<Current>,
    /// `options` as saved (query variables refreshed on load save none);
    /// for custom variables without saved options, parsed from `query`.
    pub options: Vec<VarOption>,
    /// Interval variables with `auto: true`: `auto_count` and `auto_min`.
    pub auto: Option<AutoInterval>,
}

/// The type of a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariableKind {
    /// Values from a data source query, which is not run here: the saved
    /// `current` (or first saved option) stands in.
    Query,
    /// Values listed in `query` (`a,b,c` or `text : value`).
    Custom,
    /// A fixed value, `query`; used when nothing else is saved.
    Constant,
    /// Durations (`1m,5m`); `$__auto_interval_*` values follow the time
    /// range as [`AutoInterval`] says.
    Interval,
    /// A data source name; `query` is the plugin type it selects from,
    /// which decides whether a panel that uses it is Prometheus.
    Datasource,
    /// Free text typed by the user; `query` is its default.
    Textbox,
    /// Ad hoc filters: Grafana adds them to every query of the data source;
    /// not applied here (see [`Dashboard::notes`](crate::Dashboard::notes)).
    Adhoc,
    /// Any other type, e.g. `groupby` or `switch`.
    Other(String),
}

/// One value or several, as in the JSON (`"a"` or `["a", "b"]`); Grafana
/// formats the two differently even with one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    /// A bare string: a single-value variable.
    One(String),
    /// An array: a multi-value variable, even with one element.
    Many(Vec<String>),
}

impl Values {
    /// The values as a list.
    pub fn as_slice(&self) -> &[String] {
        match self {
            Values::One(v) => std::slice::from_ref(v),
            Values::Many(v) => v,
        }
    }

    /// `$__all`, alone or first (Grafana's `isAllValue`).
    pub fn is_all(&self) -> bool {
        self.as_slice().first().is_some_and(|v| v == ALL_VALUE)
    }
}

/// The value Grafana stores for "All".
pub const ALL_VALUE: &str = "$__all";

/// `current` of a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// What queries are given (`$__all` for All).
    pub value: Values,
    /// What the picker shows; `${var:text}` substitutes this.
    pub text: Values,
}

/// One `options` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarOption {
    /// The label shown in the picker.
    pub text: String,
    /// What queries are given when this option is picked.
    pub value: String,
}

/// The auto setting of an interval variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoInterval {
    /// `auto_count`: the number of steps over the time range (default 30).
    pub count: i64,
    /// `auto_min`: the smallest interval (default `10s`).
    pub min: String,
}

impl VariableKind {
    fn parse(s: &str) -> VariableKind {
        match s {
            "query" => VariableKind::Query,
            "custom" => VariableKind::Custom,
            "constant" => VariableKind::Constant,
            "interval" => VariableKind::Interval,
            "datasource" => VariableKind::Datasource,
            "textbox" => VariableKind::Textbox,
            "adhoc" => VariableKind::Adhoc,
            other => VariableKind::Other(other.to_string()),
        }
    }
}

pub(crate) fn read_variables(
    r: &mut Reader,
    list: &[Value],
    path: &str,
    notes: &mut Vec<String>,
) -> Vec<Variable> {
    let mut out = Vec::new();
    for (vpath, v) in r.objects(list, path) {
        let Some(name) = r.string(v, "name", &vpath) else {
            r.problem(join(&vpath, "name"), "a variable needs a name");
            continue;
        };
        let kind = VariableKind::parse(&r.string(v, "type", &vpath).unwrap_or_default());
        let query = match v.get("query") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => o.get("query").and_then(Value::as_str).map(str::to_string),
            _ => None,
        };
        let mut var = Variable {
            label: r.string(v, "label", &vpath),
            multi: r.bool(v, "multi", &vpath).unwrap_or(false),
            include_all: r.bool(v, "includeAll", &vpath).unwrap_or(false),
            all_value: r.string(v, "allValue", &vpath).filter(|s| !s.is_empty()),
            current: read_current(r, v, &vpath),
            options: read_options(r, v, &vpath),
            auto: None,
            name,
            kind,
            query,
        };
        if var.kind == VariableKind::Custom && var.options.is_empty() {
            var.options = custom_options(var.query.as_deref().unwrap_or(""));
        }
        if var.kind == VariableKind::Interval && r.bool(v, "auto", &vpath).unwrap_or(false) {
            var.auto = Some(AutoInterval {
                count: r.int(v, "auto_count", &vpath).unwrap_or(30),
                min: r
                    .string(v, "auto_min", &vpath)
                    .unwrap_or_else(|| "10s".to_string()),
            });
        }
        if var.kind == VariableKind::Adhoc {
            let filters = v
                .get("filters")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            notes.push(format!(
                "{vpath}: ad hoc variable ${} ignored; Grafana would add its {filters} \
                 filter(s) to every query of its data source",
                var.name
            ));
        }
        out.push(var);
    }
    out
}

fn read_values(r: &mut Reader, obj: &Map<String, Value>, key: &str, path: &str) -> Option<Values> {
    match obj.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(Values::One(s.clone())),
        // Booleans and numbers appear in `switch` variables and old exports.
        Value::Bool(b) => Some(Values::One(b.to_string())),
        Value::Number(n) => Some(Values::One(n.to_string())),
        Value::Array(items) => {
            let mut vals = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => vals.push(s.clone()),
                    Value::Number(n) => vals.push(n.to_string()),
                    other => r.problem(
                        format!("{}[{i}]", join(path, key)),
                        format!("expected a string, found {}", type_name(other)),
                    ),
                }
            }
            Some(Values::Many(vals))
        }
        Value::Object(_) => {
            r.problem(
                join(path, key),
                "expected a string or an array, found an object",
            );
            None
        }
    }
}

fn read_current(r: &mut Reader, v: &Map<String, Value>, path: &str) -> Option<Current> {
    let cur = r.object(v, "current", path)?;
    let cpath = join(path, "current");
    let value = read_values(r, cur, "value", &cpath)?;
    let text = read_values(r, cur, "text", &cpath).unwrap_or_else(|| value.clone());
    Some(Current { value, text })
}

fn read_options(r: &mut Reader, v: &Map<String, Value>, path: &str) -> Vec<VarOption> {
    let Some(options) = r.array(v, "options", path) else {
        return Vec::new();
    };
    let opath = join(path, "options");
    let mut out = Vec::new();
    for (p, o) in r.objects(options, &opath) {
        let value = match read_values(r, o, "value", &p) {
            Some(Values::One(s)) => s,
            Some(Values::Many(mut m)) if m.len() == 1 => m.remove(0),
            _ => continue,
        };
        let text = match read_values(r, o, "text", &p) {
            Some(Values::One(s)) => s,
            _ => value.clone(),
        };
        out.push(VarOption { text, value });
    }
    out
}

/// A custom variable's options from its query, as Grafana 10 splits it:
/// on commas not preceded by a backslash (`\,` is a literal comma), each
/// item trimmed, `key : value` giving text `key` and value `value`.
pub fn custom_options(query: &str) -> Vec<VarOption> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                cur.push(',');
                chars.next();
            }
            ',' => {
                if !cur.is_empty() {
                    items.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        items.push(cur);
    }
    items
        .into_iter()
        .map(|item| {
            // `/^(.+)\s:\s(.+)$/`: the last ` : ` with something on both sides.
            let split = item
                .char_indices()
                .rev()
                .filter(|&(i, c)| c == ':' && i > 0)
                .find_map(|(i, _)| {
                    let before = item[..i].chars().next_back()?;
                    let after = item[i + 1..].chars().next()?;
                    (before.is_whitespace()
                        && after.is_whitespace()
                        && i > before.len_utf8()
                        && item.len() > i + 1 + after.len_utf8())
                    .then_some(i)
                });
            match split {
                Some(i) => VarOption {
                    text: item[..i].trim().to_string(),
                    value: item[i + 1..].trim().to_string(),
                },
                None => VarOption {
                    text: item.trim().to_string(),
                    value: item.trim().to_string(),
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(text: &str, value: &str) -> VarOption {
        VarOption {
            text: text.into(),
            value: value.into(),
        }
    }

    #[test]
    fn custom_options_split_like_grafana() {
        assert_eq!(
            custom_options("a, b,c"),
            vec![opt("a", "a"), opt("b", "b"), opt("c", "c")]
        );
        assert_eq!(
            custom_options(r"x\,y,prod : production"),
            vec![opt("x,y", "x,y"), opt("prod", "production")]
        );
        assert_eq!(custom_options(""), vec![]);
    }
}
