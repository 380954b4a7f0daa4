//! `plugin test --expect`: a plugin's outputs against the ones a golden file
//! holds. JSON tools rewrite numbers without changing them (jq prints `5.0`
//! as `5`), so numbers compare as numbers; and a mismatch names what differs
//! rather than only that something does.

use serde_json::Value;

/// Two numbers match when they differ by at most this much, relative to the
/// larger of them (absolute for numbers below 1). Said in `--expect`'s help.
pub const TOLERANCE: f64 = 1e-9;

/// How many differences an error shows before counting the rest.
pub const SHOWN: usize = 5;

/// Every difference between the outputs a golden file expects and the ones
/// a plugin produced, one line each (`flapping_reversals{deployment="x"}
/// mean: expected 5, got 6`); empty when they match.
pub fn differences(want: &Value, got: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff("outputs", want, got, &mut out);
    out
}

/// The error text for `differences` found comparing with `golden`.
pub fn report(golden: &str, differences: &[String]) -> String {
    let mut text = format!(
        "outputs differ from {golden} in {} (numbers compared within {TOLERANCE:e}):",
        crate::human::plural(differences.len() as u64, "place")
    );
    for d in differences.iter().take(SHOWN) {
        text.push_str("\n  ");
        text.push_str(d);
    }
    if differences.len() > SHOWN {
        text.push_str(&format!("\n  and {} more", differences.len() - SHOWN));
    }
    text
}

fn diff(path: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Number(w), Value::Number(g)) => {
            let (w, g) = (
                w.as_f64().unwrap_or(f64::NAN),
                g.as_f64().unwrap_or(f64::NAN),
            );
            if !close(w, g) {
                out.push(format!("{path}: expected {want}, got {got}"));
            }
        }
        (Value::Object(w), Value::Object(g)) => {
            for (key, wv) in w {
                match g.get(key) {
                    Some(gv) => diff(&format!("{path} {key}"), wv, gv, out),
                    None => out.push(format!("{path} {key}: expected {wv}, got nothing")),
                }
            }
            for (key, gv) in g.iter().filter(|(k, _)| !w.contains_key(*k)) {
                out.push(format!("{path} {key}: not expected, got {gv}"));
            }
        }
        (Value::Array(w), Value::Array(g)) if is_series_list(w) && is_series_list(g) => {
            for wv in w {
                let name = series_name(wv);
                match g.iter().find(|gv| series_name(gv) == name) {
                    Some(gv) => diff(&name, wv, gv, out),
                    None => out.push(format!(
                        "{name}: expected, but the plugin did not output it"
                    )),
                }
            }
            for gv in g {
                let name = series_name(gv);
                if !w.iter().any(|wv| series_name(wv) == name) {
                    out.push(format!("{name}: output by the plugin, but not expected"));
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                diff(&format!("{path}[{i}]"), wv, gv, out);
            }
            if w.len() != g.len() {
                out.push(format!(
                    "{path}: expected {} entries, got {}",
                    w.len(),
                    g.len()
                ));
            }
        }
        _ if want != got => out.push(format!("{path}: expected {want}, got {got}")),
        _ => {}
    }
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

/// Whether `values` is a list of output series (`{"metric", "labels", …}`).
fn is_series_list(values: &[Value]) -> bool {
    values
        .iter()
        .all(|v| v.get("metric").is_some_and(Value::is_string))
}

/// `metric{name="value",…}`, as PromQL spells a series.
fn series_name(v: &Value) -> String {
    let metric = v["metric"].as_str().unwrap_or_default();
    let labels: Vec<String> = v["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                Value::String(v.as_str().unwrap_or_default().into())
            )
        })
        .collect();
    format!("{metric}{{{}}}", labels.join(","))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn output(deployment: &str, mean: Value, points: u64) -> Value {
        json!({"metric": "flapping_reversals", "labels": {"deployment": deployment},
               "points": points, "min": 0.0, "max": 5.0, "mean": mean, "last": 5.0})
    }

    #[test]
    fn numbers_rewritten_by_jq_still_match() {
        let got = json!([output("a", json!(2.5), 15)]);
        // jq 1.6 prints 5.0 as 5 and 0.0 as 0.
        let want = json!([{"metric": "flapping_reversals", "labels": {"deployment": "a"},
                           "points": 15, "min": 0, "max": 5, "mean": 2.5000000000000004, "last": 5}]);
        assert_eq!(differences(&want, &got), Vec::<String>::new());
    }

    #[test]
    fn a_mismatch_names_the_series_the_field_and_both_values() {
        let got = json!([output("a", json!(2.5), 15), output("b", json!(1.0), 15)]);
        let want = json!([output("a", json!(3.0), 14), output("c", json!(1.0), 15)]);
        assert_eq!(
            differences(&want, &got),
            [
                r#"flapping_reversals{deployment="a"} points: expected 14, got 15"#,
                r#"flapping_reversals{deployment="a"} mean: expected 3.0, got 2.5"#,
                r#"flapping_reversals{deployment="c"}: expected, but the plugin did not output it"#,
                r#"flapping_reversals{deployment="b"}: output by the plugin, but not expected"#,
            ]
        );
    }

    #[test]
    fn a_null_against_a_number_differs() {
        let got = json!([output("a", Value::Null, 0)]);
        let want = json!([output("a", json!(0), 0)]);
        assert_eq!(
            differences(&want, &got),
            [r#"flapping_reversals{deployment="a"} mean: expected 0, got null"#]
        );
    }

    #[test]
    fn the_report_shows_the_first_differences_and_counts_the_rest() {
        let diffs: Vec<String> = (0..8).map(|i| format!("difference {i}")).collect();
        let text = report("golden.json", &diffs);
        assert!(
            text.starts_with("outputs differ from golden.json in 8 places (numbers compared within 1e-9):\n  difference 0\n"),
            "{text}"
        );
        assert!(text.ends_with("  difference 4\n  and 3 more"), "{text}");
    }
}
