//! Kubernetes label selectors in their string form, as the API takes them in
//! `?labelSelector=` and kubectl prints them.

use serde_json::Value;

/// A LabelSelector object (`matchLabels`, `matchExpressions`) as its string
/// form: `a=b,c in (d,e),!f`; empty when it selects everything.
pub fn label_selector_string(selector: &Value) -> String {
    let mut terms: Vec<String> = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    for e in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = e["key"].as_str().unwrap_or_default();
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        terms.push(match e["operator"].as_str().unwrap_or_default() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_owned(),
            _ => format!("!{key}"),
        });
    }
    terms.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_print_as_kubernetes_prints_them() {
        let s = json!({"matchLabels": {"app": "x"},
                       "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]},
                                            {"key": "gone", "operator": "DoesNotExist"}]});
        assert_eq!(label_selector_string(&s), "app=x,tier in (a,b),!gone");
        assert_eq!(label_selector_string(&json!({})), "");
    }
}
