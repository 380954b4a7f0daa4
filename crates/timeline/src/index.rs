//! The inverted label index (postings): for every label name and value,
//! the sorted ids of the series that carry it. A selector then costs the
//! series it matches and the distinct values of the labels it names, not a
//! pass over every series — the way Prometheus' TSDB answers it.
//!
//! Matchers split in two, as in Prometheus' `PostingsForMatchers`:
//! - those that do not match "" (`job="api"`, `pod=~"api-.*"`) select the
//!   union of the postings of the values they match; the selection is the
//!   intersection of these sets;
//! - those that match "" (`job!="api"`, `pod!~"x.*"`, `env=""`) also match
//!   series without the label, so they remove the postings of the values
//!   they do not match from the selection (from every series when no
//!   matcher of the first kind narrowed it).

use std::collections::{BTreeMap, HashMap};

use understudy_promql::{Labels, MatchOp, Matcher};

/// Series ids by label name and value.
#[derive(Debug, Default)]
pub struct Postings {
    /// How many series there are: ids run from 0 to `series - 1`.
    series: u32,
    /// Label name → value → the ids of the series carrying it, ascending.
    /// Values are ordered so a regex with a literal prefix scans only the
    /// values that start with it.
    by_name: HashMap<String, BTreeMap<String, Vec<u32>>>,
}

impl Postings {
    /// The index of label sets given in id order (the first is id 0).
    pub fn build<'a>(labels: impl IntoIterator<Item = &'a Labels>) -> Postings {
        let mut index = Postings::default();
        for (id, set) in labels.into_iter().enumerate() {
            let id = u32::try_from(id).expect("fewer than 2^32 series");
            for (name, value) in &set.0 {
                index
                    .by_name
                    .entry(name.clone())
                    .or_default()
                    .entry(value.clone())
                    .or_default()
                    .push(id);
            }
            index.series = id + 1;
        }
        index
    }

    /// The values label `name` takes, in order.
    pub fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.by_name
            .get(name)
            .into_iter()
            .flat_map(|values| values.keys().map(String::as_str))
    }

    /// The ids of the series matching every matcher (a missing label
    /// matches as ""), ascending.
    pub fn select(&self, matchers: &[Matcher]) -> Vec<u32> {
        let (narrowing, widening): (Vec<&Matcher>, Vec<&Matcher>) =
            matchers.iter().partition(|m| !m.matches(""));
        let mut ids: Option<Vec<u32>> = None;
        // The rarest value first would be cheaper still; the sets are
        // small next to a pass over every series either way.
        for m in narrowing {
            let found = self.union_of(m, true);
            ids = Some(match ids {
                None => found,
                Some(prev) => intersect(&prev, &found),
            });
            if ids.as_ref().is_some_and(Vec::is_empty) {
                return Vec::new();
            }
        }
        let mut ids = ids.unwrap_or_else(|| (0..self.series).collect());
        for m in widening {
            let drop = self.union_of(m, false);
            if !drop.is_empty() {
                ids = subtract(&ids, &drop);
            }
        }
        ids
    }

    /// The union of the postings of the values of `m`'s label for which
    /// `m.matches(value) == wanted`.
    fn union_of(&self, m: &Matcher, wanted: bool) -> Vec<u32> {
        let Some(values) = self.by_name.get(&m.name) else {
            return Vec::new();
        };
        let mut lists: Vec<&[u32]> = Vec::new();
        match (&m.op, wanted) {
            (MatchOp::Equal, true) | (MatchOp::NotEqual, false) => {
                lists.extend(values.get(&m.value).map(Vec::as_slice));
            }
            (MatchOp::Re(_), true) | (MatchOp::NotRe(_), false) => {
                if let Some(literals) = alternation(&m.value) {
                    lists.extend(
                        literals
                            .iter()
                            .filter_map(|v| values.get(*v).map(Vec::as_slice)),
                    );
                } else {
                    let prefix = literal_prefix(&m.value);
                    let scan = values
                        .range::<str, _>((
                            std::ops::Bound::Included(prefix),
                            std::ops::Bound::Unbounded,
                        ))
                        .take_while(|(v, _)| v.starts_with(prefix));
                    lists.extend(
                        scan.filter(|(v, _)| m.matches(v) == wanted)
                            .map(|(_, ids)| ids.as_slice()),
                    );
                }
            }
            _ => lists.extend(
                values
                    .iter()
                    .filter(|(v, _)| m.matches(v) == wanted)
                    .map(|(_, ids)| ids.as_slice()),
            ),
        }
        union(&lists)
    }
}

/// The literals of a regex that is only an alternation of them
/// (`api|web|db`), which are then looked up instead of scanned.
fn alternation(source: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = source.split('|').collect();
    parts
        .iter()
        .all(|p| !p.is_empty() && is_literal(p))
        .then_some(parts)
}

/// The characters every match must start with: the regex's leading
/// literal characters, when the regex has no top-level alternation (which
/// would let a match start otherwise). Conservative: "" scans every value.
fn literal_prefix(source: &str) -> &str {
    if source.contains('|') {
        return "";
    }
    let end = source
        .char_indices()
        .find(|(_, c)| is_meta(*c))
        .map_or(source.len(), |(i, _)| i);
    // A quantifier after the last literal (`ab?`, `ab*`, `ab{0}`) makes
    // that literal optional.
    match source[end..].chars().next() {
        Some('?' | '*' | '{') => {
            let mut cut = source[..end].char_indices().map(|(i, _)| i);
            cut.next_back().map_or("", |i| &source[..i])
        }
        _ => &source[..end],
    }
}

fn is_literal(s: &str) -> bool {
    !s.chars().any(is_meta)
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$'
    )
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

fn subtract(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut j = 0;
    a.iter()
        .copied()
        .filter(|x| {
            while j < b.len() && b[j] < *x {
                j += 1;
            }
            b.get(j) != Some(x)
        })
        .collect()
}

fn union(lists: &[&[u32]]) -> Vec<u32> {
    match lists {
        [] => Vec::new(),
        [one] => one.to_vec(),
        _ => {
            let mut all: Vec<u32> = lists.iter().flat_map(|l| l.iter().copied()).collect();
            all.sort_unstable();
            all.dedup();
            all
        }
    }
}

#[cfg(test)]
mod tests {
    use understudy_promql::parse_selector;

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    /// Series of several jobs, pods and an env label only some carry.
    fn sets() -> Vec<Labels> {
        let mut out = Vec::new();
        for (i, job) in ["api", "web", "db", "api-canary", ""].iter().enumerate() {
            for pod in 0..4 {
                let pod = format!("{job}-{pod}");
                let env = if (i + pod.len()) % 3 == 0 { "" } else { "prod" };
                out.push(labels(&[
                    ("__name__", if pod.ends_with('0') { "up" } else { "cpu" }),
                    ("job", job),
                    ("pod", &pod),
                    ("env", env),
                ]));
            }
        }
        out
    }

    #[test]
    fn every_selector_selects_what_a_pass_over_every_series_selects() {
        let sets = sets();
        let index = Postings::build(&sets);
        for selector in [
            "up",
            r#"{job="api"}"#,
            r#"{job="nosuch"}"#,
            r#"{job!="api"}"#,
            r#"{job=""}"#,
            r#"{job!=""}"#,
            r#"{env=""}"#,
            r#"{env!="prod"}"#,
            r#"{job=~"api|db"}"#,
            r#"{job=~"api.*"}"#,
            r#"{job=~"ap?i"}"#,
            r#"{job=~"a*pi"}"#,
            r#"{job=~"(api|web)"}"#,
            r#"{job=~".*"}"#,
            r#"{job=~".+"}"#,
            r#"{job=~"api|"}"#,
            r#"{job!~"api.*"}"#,
            r#"{job!~""}"#,
            r#"{pod=~"api-[0-2]"}"#,
            r#"cpu{job=~"api.*",pod!~".*-1",env!=""}"#,
            r#"{__name__=~"up|cpu",job="web"}"#,
            r#"{nosuchlabel=""}"#,
            r#"{nosuchlabel=~"x|y"}"#,
            r#"{nosuchlabel!="x"}"#,
        ] {
            // Prometheus refuses a selector of matchers that all match "";
            // one that every series passes makes it a query.
            let matchers = parse_selector(selector)
                .or_else(|_| parse_selector(&selector.replacen('{', r#"{__name__=~".+","#, 1)))
                .expect("parses");
            let scanned: Vec<u32> = (0u32..)
                .zip(&sets)
                .filter(|(_, s)| {
                    matchers
                        .iter()
                        .all(|m| m.matches(s.get(&m.name).unwrap_or("")))
                })
                .map(|(id, _)| id)
                .collect();
            assert_eq!(index.select(&matchers), scanned, "{selector}");
        }
    }

    #[test]
    fn matchers_that_all_match_the_empty_value_start_from_every_series() {
        let sets = sets();
        let index = Postings::build(&sets);
        let mut matchers = parse_selector(r#"{__name__=~".+",env="",job!="web"}"#).expect("parses");
        matchers.retain(|m| m.name != "__name__");
        let expected: Vec<u32> = (0u32..)
            .zip(&sets)
            .filter(|(_, s)| s.get("env").is_none() && s.get("job") != Some("web"))
            .map(|(id, _)| id)
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(index.select(&matchers), expected);
        assert_eq!(index.select(&[]), (0..20).collect::<Vec<u32>>());
    }

    #[test]
    fn a_literal_prefix_stops_where_the_regex_can_differ() {
        assert_eq!(literal_prefix("api-.*"), "api-");
        assert_eq!(literal_prefix("api"), "api");
        assert_eq!(literal_prefix("ap?i"), "a");
        assert_eq!(literal_prefix("ab{0}c"), "a");
        assert_eq!(literal_prefix("a|b"), "");
        assert_eq!(literal_prefix(".*"), "");
        assert_eq!(literal_prefix("é+x"), "é");
        assert_eq!(alternation("a|bc|d"), Some(vec!["a", "bc", "d"]));
        assert_eq!(alternation("a|b.*"), None);
        assert_eq!(alternation("a||b"), None);
    }
}
