//! Label and field selectors, read and checked as the API server reads
//! them, and the [`Filter`] a list or watch request asks for.

use std::collections::HashMap;

use serde_json::Value;

/// A selector the API server would refuse; the message is the 400's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A `(` inside a set that is already open: `a in ((x))`.
    #[error("nested parentheses in selector {0:?}")]
    NestedParentheses(String),
    /// A `)` with no `(` open before it.
    #[error("unbalanced ')' in selector {0:?}")]
    UnbalancedParenthesis(String),
    /// A set that the selector ends inside of: `a in (x`.
    #[error("unclosed '(' in selector {0:?}")]
    UnclosedParenthesis(String),
    /// An empty term among others (`a,,b`): a typo, not "everything".
    #[error("empty requirement in selector {0:?}")]
    EmptyRequirement(String),
    /// `in` or `notin` followed by bare values: `a in x`.
    #[error("unable to parse requirement {term:?}: a set of values must be in parentheses: (a, b)")]
    SetWithoutParentheses {
        /// The requirement as written, trimmed.
        term: String,
    },
    #[error(
        "unable to parse requirement {term:?}: {key:?} is not a label name: a name of up to 63 \
         letters, digits, '-', '_' or '.', beginning and ending with a letter or digit, \
         optionally after a DNS prefix and '/'"
    )]
    /// A `labelSelector` key that is not a label name (too long, a bad
    /// character, or a bad DNS prefix).
    LabelName {
        /// The requirement as written, trimmed.
        term: String,
        /// The key that failed, prefix included.
        key: String,
    },
    #[error(
        "unable to parse requirement {term:?}: {value:?} is not a label value: up to 63 \
         letters, digits, '-', '_' or '.', beginning and ending with a letter or digit"
    )]
    /// A `labelSelector` value that is not a label value (over 63
    /// characters, or a character labels may not hold).
    LabelValue {
        /// The requirement as written, trimmed.
        term: String,
        /// The value that failed.
        value: String,
    },
    /// A `fieldSelector` term using a set or existence operator (`in`,
    /// `notin`, `a`, `!a`), which the API server accepts only for labels.
    #[error("invalid selector: {term:?}; field selectors take only =, == and !=")]
    FieldOperator {
        /// The requirement as written, trimmed.
        term: String,
    },
    /// A `fieldSelector` key that is not a dotted path of names
    /// (`status.phase`): empty, or with an empty or bad segment.
    #[error("invalid field selector {term:?}: {path:?} is not a field path")]
    FieldPath {
        /// The requirement as written, trimmed.
        term: String,
        /// The key that failed.
        path: String,
    },
}

/// A `labelSelector` or `fieldSelector`: `a=b`, `a==b`, `a!=b`, `a`, `!a`,
/// `a in (x,y)`, `a notin (x,y)`.
#[derive(Debug, Clone, Default)]
pub struct Selector(Vec<(String, Op)>);

#[derive(Debug, Clone)]
enum Op {
    Eq(String),
    Ne(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    Absent,
}

impl Selector {
    /// A `labelSelector`, checked as the API server checks it: keys are
    /// label names (`[prefix/]name`), values label values, sets in
    /// parentheses. A selector it cannot read is a 400 there, so here too,
    /// never a list filtered by a guess.
    pub fn labels(s: &str) -> Result<Selector, SelectorError> {
        split_terms(s)?
            .iter()
            .map(|t| label_term(t))
            .collect::<Result<_, _>>()
            .map(Selector)
    }

    /// A `fieldSelector`: `path=value`, `path==value` or `path!=value`.
    pub fn fields(s: &str) -> Result<Selector, SelectorError> {
        split_terms(s)?
            .iter()
            .map(|t| {
                let (k, op) = if let Some((k, v)) = t.split_once("!=") {
                    (k, Op::Ne(v.trim().to_owned()))
                } else if let Some((k, v)) = t.split_once("==") {
                    (k, Op::Eq(v.trim().to_owned()))
                } else if let Some((k, v)) = t.split_once('=') {
                    (k, Op::Eq(v.trim().to_owned()))
                } else {
                    return Err(SelectorError::FieldOperator { term: t.clone() });
                };
                let k = k.trim();
                let path_ok = !k.is_empty()
                    && k.split('.').all(|part| {
                        !part.is_empty()
                            && part
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
                    });
                if !path_ok {
                    return Err(SelectorError::FieldPath {
                        term: t.clone(),
                        path: k.to_owned(),
                    });
                }
                Ok((k.to_owned(), op))
            })
            .collect::<Result<_, _>>()
            .map(Selector)
    }

    /// Whether an object with these values (`get(key)`) is selected.
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|(k, op)| {
            let v = get(k);
            match op {
                Op::Eq(want) => v.as_deref() == Some(want.as_str()),
                // Kubernetes: `a!=b` and `a notin (b)` also match objects without `a`.
                Op::Ne(want) => v.as_deref() != Some(want.as_str()),
                Op::In(set) => v.is_some_and(|v| set.contains(&v)),
                Op::NotIn(set) => v.is_none_or(|v| !set.contains(&v)),
                Op::Exists => v.is_some(),
                Op::Absent => v.is_none(),
            }
        })
    }
}

/// Terms split at commas outside parentheses.
fn split_terms(s: &str) -> Result<Vec<String>, SelectorError> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0u32);
    for c in s.chars() {
        match c {
            '(' if depth > 0 => return Err(SelectorError::NestedParentheses(s.to_owned())),
            '(' => depth = 1,
            ')' if depth == 0 => return Err(SelectorError::UnbalancedParenthesis(s.to_owned())),
            ')' => depth = 0,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if depth > 0 {
        return Err(SelectorError::UnclosedParenthesis(s.to_owned()));
    }
    out.push(cur);
    let terms: Vec<String> = out.into_iter().map(|t| t.trim().to_owned()).collect();
    // An empty selector selects everything; an empty term among others is a typo.
    if terms.len() > 1 && terms.iter().any(String::is_empty) {
        return Err(SelectorError::EmptyRequirement(s.to_owned()));
    }
    Ok(terms.into_iter().filter(|t| !t.is_empty()).collect())
}

fn label_term(t: &str) -> Result<(String, Op), SelectorError> {
    let value = |v: &str| -> Result<String, SelectorError> {
        if v.is_empty() || is_name(v) {
            Ok(v.to_owned())
        } else {
            Err(SelectorError::LabelValue {
                term: t.to_owned(),
                value: v.to_owned(),
            })
        }
    };
    let set = |rest: &str| -> Result<Vec<String>, SelectorError> {
        let inner = rest
            .trim()
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| SelectorError::SetWithoutParentheses { term: t.to_owned() })?;
        inner.split(',').map(|v| value(v.trim())).collect()
    };
    let (k, op) = if let Some((k, rest)) = t.split_once(" notin ") {
        (k, Op::NotIn(set(rest)?))
    } else if let Some((k, rest)) = t.split_once(" in ") {
        (k, Op::In(set(rest)?))
    } else if let Some((k, v)) = t.split_once("!=") {
        (k, Op::Ne(value(v.trim())?))
    } else if let Some((k, v)) = t.split_once("==") {
        (k, Op::Eq(value(v.trim())?))
    } else if let Some((k, v)) = t.split_once('=') {
        (k, Op::Eq(value(v.trim())?))
    } else if let Some(k) = t.strip_prefix('!') {
        (k, Op::Absent)
    } else {
        (t, Op::Exists)
    };
    let k = k.trim();
    if !is_label_key(k) {
        return Err(SelectorError::LabelName {
            term: t.to_owned(),
            key: k.to_owned(),
        });
    }
    Ok((k.to_owned(), op))
}

/// A label name: `[prefix/]name`, the prefix a DNS subdomain.
fn is_label_key(k: &str) -> bool {
    let (prefix, name) = k.rsplit_once('/').unwrap_or(("", k));
    let prefix_ok = prefix.len() <= 253
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    prefix_ok && k.rsplit_once('/').is_none_or(|(p, _)| !p.is_empty()) && is_name(name)
}

fn is_name(s: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !s.is_empty()
        && s.len() <= 63
        && alnum(s.chars().next())
        && alnum(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Which objects of one resource a list or watch asks for.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The resource, as an index into the serving side's own table of
    /// resources (each server has its own; the protocol needs only
    /// "the same one or not").
    pub resource: usize,
    /// The namespace of a namespaced request's path; `None` lists across
    /// all namespaces (and for cluster-scoped resources).
    pub namespace: Option<String>,
    /// The `labelSelector`; empty selects every object.
    pub labels: Selector,
    /// The `fieldSelector`, over dotted paths into the object's JSON
    /// (`metadata.name`, `status.phase`); empty selects every object.
    pub fields: Selector,
}

impl Filter {
    /// The filter a request's query (`labelSelector`, `fieldSelector`)
    /// asks for; the error is the 400's message.
    pub fn new(
        resource: usize,
        namespace: Option<&str>,
        q: &HashMap<String, String>,
    ) -> Result<Filter, SelectorError> {
        Ok(Filter {
            resource,
            namespace: namespace.map(str::to_owned),
            labels: Selector::labels(q.get("labelSelector").map_or("", String::as_str))?,
            fields: Selector::fields(q.get("fieldSelector").map_or("", String::as_str))?,
        })
    }

    /// Whether `obj`, an object of `resource`, is selected.
    pub fn matches(&self, resource: usize, obj: &Value) -> bool {
        resource == self.resource
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| obj["metadata"]["namespace"].as_str() == Some(ns))
            && self
                .labels
                .matches(|k| obj["metadata"]["labels"][k].as_str().map(str::to_owned))
            && self.fields.matches(|path| {
                let mut v = obj;
                for part in path.split('.') {
                    v = &v[part];
                }
                match v {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn sel(s: &str) -> Selector {
        Selector::labels(s).expect("a valid selector")
    }

    #[test]
    fn selectors_as_kubectl_writes_them() {
        let l = labels(&[("app", "meme-backend"), ("tier", "api")]);
        assert!(sel("app=meme-backend").matches(&l));
        assert!(sel("app==meme-backend,tier").matches(&l));
        assert!(sel("tier in (api, web),!gone").matches(&l));
        assert!(sel("app notin (x),missing!=y").matches(&l));
        assert!(!sel("tier notin (api)").matches(&l));
        assert!(!sel("app,missing").matches(&l));
        assert!(sel("").matches(&l));
        assert!(!sel("scaledobject.keda.sh/name=meme-backend").matches(|_: &str| None));
        let f = Selector::fields("status.phase=Running,metadata.name!=x").expect("valid");
        assert!(f.matches(|k| (k == "status.phase").then(|| "Running".to_owned())));
    }

    /// Issue 16: a selector the API server refuses is a 400 here too, not
    /// a list filtered by a guess.
    #[test]
    fn issue_16_bad_selectors_are_refused() {
        for bad in [
            "a b",
            "app=(x",
            "app in x",
            "app in (x",
            "app)",
            "app=a b",
            "=x",
            "app,,tier",
            "-app",
            "app=-x",
            "Example.com/app=x",
            "/app",
            &"a".repeat(64),
        ] {
            assert!(Selector::labels(bad).is_err(), "{bad:?}");
        }
        for bad in ["status.phase", "status.phase in (Running)", "a..b=c", "=x"] {
            assert!(Selector::fields(bad).is_err(), "{bad:?}");
        }
    }

    /// The messages are the 400's body: they name the term and what is wrong.
    #[test]
    fn refusals_say_which_term_and_why() {
        let msg = |s: &str| Selector::labels(s).expect_err("refused").to_string();
        assert_eq!(
            msg("app in x"),
            "unable to parse requirement \"app in x\": a set of values must be in parentheses: (a, b)"
        );
        assert!(
            msg("app=-x")
                .starts_with("unable to parse requirement \"app=-x\": \"-x\" is not a label value")
        );
        assert!(
            msg("-app")
                .starts_with("unable to parse requirement \"-app\": \"-app\" is not a label name")
        );
        assert_eq!(
            msg("app,,tier"),
            "empty requirement in selector \"app,,tier\""
        );
        assert_eq!(
            Selector::fields("status.phase")
                .expect_err("refused")
                .to_string(),
            "invalid selector: \"status.phase\"; field selectors take only =, == and !="
        );
    }

    #[test]
    fn filters_match_resource_namespace_labels_and_fields() {
        let q = HashMap::from([
            ("labelSelector".to_owned(), "app=web".to_owned()),
            (
                "fieldSelector".to_owned(),
                "status.phase=Running".to_owned(),
            ),
        ]);
        let f = Filter::new(3, Some("ns"), &q).expect("valid");
        let pod = json!({
            "metadata": {"namespace": "ns", "labels": {"app": "web"}},
            "status": {"phase": "Running"},
        });
        assert!(f.matches(3, &pod));
        assert!(!f.matches(4, &pod));
        let mut other = pod.clone();
        other["metadata"]["namespace"] = json!("elsewhere");
        assert!(!f.matches(3, &other));
        let mut pending = pod.clone();
        pending["status"]["phase"] = json!("Pending");
        assert!(!f.matches(3, &pending));
    }
}
