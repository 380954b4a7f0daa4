//! Checks of what a plugin returns, before anything reaches a store.

use std::collections::HashSet;

use crate::{OutputSeries, PluginError};

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
pub(crate) fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
pub(crate) fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    !name.starts_with("__") && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Samples in `outputs` (the longer of the two columns of each series).
pub(crate) fn sample_count(outputs: &[OutputSeries]) -> usize {
    outputs.iter().fold(0usize, |n, s| {
        n.saturating_add(s.timestamps.len().max(s.values.len()))
    })
}

/// Problems reported in one [`PluginError::InvalidOutput`] at most.
const MAX_REPORTED: usize = 3;

/// Validates outputs of one call over `[window_start, window_end]`: every
/// problem series is found (its first problem), the first few are named.
pub(crate) fn validate(
    outputs: &[OutputSeries],
    window_start: i64,
    window_end: i64,
    max_samples: usize,
) -> Result<(), PluginError> {
    let found = sample_count(outputs);
    if found > max_samples {
        return Err(PluginError::OutputTooLarge {
            found,
            limit: max_samples,
        });
    }
    let mut problems = Vec::new();
    let mut count = 0usize;
    let mut seen: HashSet<(&str, Vec<(&str, &str)>)> = HashSet::with_capacity(outputs.len());
    for (i, s) in outputs.iter().enumerate() {
        if let Err(problem) = check_series(i, s, window_start, window_end, &mut seen) {
            count += 1;
            if problems.len() < MAX_REPORTED {
                problems.push(problem);
            }
        }
    }
    match count {
        0 => Ok(()),
        1 => Err(PluginError::InvalidOutput(problems.concat())),
        n => {
            let more = if n > problems.len() {
                format!("; and {} more", n - problems.len())
            } else {
                String::new()
            };
            Err(PluginError::InvalidOutput(format!(
                "{n} series are wrong: {}{more}",
                problems.join("; ")
            )))
        }
    }
}

fn check_series<'a>(
    i: usize,
    s: &'a OutputSeries,
    window_start: i64,
    window_end: i64,
    seen: &mut HashSet<(&'a str, Vec<(&'a str, &'a str)>)>,
) -> Result<(), String> {
    let metric = shown(&s.metric);
    if !is_metric_name(&s.metric) {
        return Err(format!("series {i}: {metric} is not a legal metric name"));
    }
    let mut labels: Vec<(&str, &str)> = Vec::with_capacity(s.labels.len());
    for (name, value) in &s.labels {
        if !is_label_name(name) {
            return Err(format!(
                "series {i} ({metric}): {} is not a legal label name",
                shown(name)
            ));
        }
        labels.push((name.as_str(), value.as_str()));
    }
    labels.sort_unstable();
    if let Some(w) = labels.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(format!(
            "series {i} ({metric}): label {} appears twice",
            shown(w[0].0)
        ));
    }
    if s.timestamps.len() != s.values.len() {
        return Err(format!(
            "series {i} ({metric}): {} timestamps but {} values",
            s.timestamps.len(),
            s.values.len()
        ));
    }
    if let Some(&t) = s
        .timestamps
        .iter()
        .find(|&&t| t < window_start || t > window_end)
    {
        return Err(format!(
            "series {i} ({metric}): timestamp {t} is outside the window [{window_start}, {window_end}]"
        ));
    }
    if let Some(w) = s.timestamps.windows(2).find(|w| w[1] <= w[0]) {
        return Err(format!(
            "series {i} ({metric}): timestamps are not strictly increasing ({} after {})",
            w[1], w[0]
        ));
    }
    if !seen.insert((s.metric.as_str(), labels)) {
        return Err(format!(
            "series {i}: {metric} with the same labels is returned twice"
        ));
    }
    Ok(())
}

/// A plugin-provided name as shown in an error: quoted, escaped, cut.
fn shown(name: &str) -> String {
    const MAX: usize = 80;
    let mut cut = name.len().min(MAX);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut s = format!("{:?}", &name[..cut]);
    if cut < name.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(metric: &str, labels: &[(&str, &str)], ts: &[i64]) -> OutputSeries {
        OutputSeries {
            metric: metric.into(),
            labels: labels
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            timestamps: ts.to_vec(),
            values: ts.iter().map(|_| f64::NAN).collect(),
        }
    }

    fn check(outputs: &[OutputSeries]) -> Result<(), PluginError> {
        validate(outputs, 0, 100, 10)
    }

    fn message(r: Result<(), PluginError>) -> String {
        match r {
            Err(PluginError::InvalidOutput(m)) => m,
            other => format!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names() {
        for ok in ["a", "_a", "a:b", ":x", "up_total1"] {
            assert!(is_metric_name(ok), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a b", "é"] {
            assert!(!is_metric_name(bad), "{bad}");
        }
        for ok in ["a", "_a", "a1_b"] {
            assert!(is_label_name(ok), "{ok}");
        }
        for bad in ["", "__name__", "__x", "a:b", "1a", "a-b"] {
            assert!(!is_label_name(bad), "{bad}");
        }
    }

    #[test]
    fn accepts_good_outputs_with_any_values() {
        let a = series("m", &[("pod", "a")], &[0, 50, 100]);
        let b = series("m", &[("pod", "b")], &[10]);
        assert_eq!(check(&[a, b]), Ok(()));
        assert_eq!(check(&[]), Ok(()));
    }

    #[test]
    fn rejects_each_problem() {
        assert!(message(check(&[series("1m", &[], &[1])])).contains("legal metric name"));
        assert!(
            message(check(&[series("m", &[("__name__", "x")], &[1])])).contains("legal label name")
        );
        assert!(message(check(&[series("m", &[("a", "x"), ("a", "y")], &[1])])).contains("twice"));
        assert!(message(check(&[series("m", &[], &[101])])).contains("outside the window"));
        assert!(message(check(&[series("m", &[], &[-1])])).contains("outside the window"));
        assert!(message(check(&[series("m", &[], &[5, 5])])).contains("strictly increasing"));
        let mut uneven = series("m", &[], &[1, 2]);
        uneven.values.pop();
        assert!(message(check(&[uneven])).contains("1 values"));
        let dup = [
            series("m", &[("a", "1"), ("b", "2")], &[1]),
            series("m", &[("b", "2"), ("a", "1")], &[2]),
        ];
        assert!(message(check(&dup)).contains("returned twice"));
    }

    #[test]
    fn every_wrong_series_is_counted() {
        let bad: Vec<_> = (0..5)
            .map(|i| series("m", &[("i", &i.to_string())], &[1, 1]))
            .collect();
        let m = message(check(&bad));
        assert!(m.starts_with("5 series are wrong"), "{m}");
        assert!(m.ends_with("and 2 more"), "{m}");
        let mixed = [
            series("m", &[("k", "a")], &[0, 0, 100]),
            series("m", &[("k", "b")], &[i64::MIN, 101]),
        ];
        let m = message(check(&mixed));
        assert!(
            m.contains("strictly increasing") && m.contains("outside the window"),
            "{m}"
        );
    }

    #[test]
    fn size_is_checked_first() {
        let big = series("1bad", &[], &(0..11).collect::<Vec<_>>());
        assert_eq!(
            check(&[big]),
            Err(PluginError::OutputTooLarge {
                found: 11,
                limit: 10
            })
        );
    }
}
