//! `--match` selectors: Prometheus series selectors such as
//! `{namespace="meme-generator"}` or `up{job=~"kube.*"}`, parsed by promql-parser.

use anyhow::{Result, bail};
use promql_parser::label::Matcher;
use promql_parser::parser::{self, Expr};
use understudy_core::Series;

/// A parsed series selector.
#[derive(Debug)]
pub struct Selector {
    /// Alternatives (`or` inside braces); a series matches when every matcher
    /// of one alternative does.
    alternatives: Vec<Vec<Matcher>>,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector> {
        let expr = match parser::parse(text) {
            Ok(e) => e,
            Err(e) => bail!("invalid selector {text:?}: {e}"),
        };
        let Expr::VectorSelector(vs) = expr else {
            bail!(
                "invalid selector {text:?}: expected a series selector like up{{job=\"x\"}}, not an expression"
            );
        };
        let mut alternatives = Vec::new();
        let mut main = vs.matchers.matchers.clone();
        if let Some(name) = &vs.name {
            main.push(Matcher::new(
                promql_parser::label::MatchOp::Equal,
                "__name__",
                name,
            ));
        }
        if vs.matchers.or_matchers.is_empty() {
            alternatives.push(main);
        } else {
            for alt in &vs.matchers.or_matchers {
                let mut alt = alt.clone();
                alt.extend(main.iter().cloned());
                alternatives.push(alt);
            }
        }
        Ok(Selector { alternatives })
    }

    /// Prometheus semantics: a missing label matches as the empty string.
    pub fn matches(&self, series: &Series) -> bool {
        self.alternatives.iter().any(|alt| {
            alt.iter().all(|m| {
                let value = if m.name == "__name__" {
                    series.metric()
                } else {
                    series.labels().get(&m.name).unwrap_or("")
                };
                m.is_match(value)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use understudy_core::Labels;

    use super::*;

    fn series(metric: &str, labels: &[(&str, &str)]) -> Series {
        Series::new(
            metric,
            Labels::from_pairs(labels.iter().copied()).expect("valid"),
        )
        .expect("valid")
    }

    #[test]
    fn matches_like_prometheus() {
        let pending = series(
            "jetstream_consumer_num_pending",
            &[("stream_name", "MEMES")],
        );
        let up = series("up", &[("job", "kubelet")]);
        let sel = |s| Selector::parse(s).expect("valid selector");
        assert!(sel("jetstream_consumer_num_pending").matches(&pending));
        assert!(!sel("jetstream_consumer_num_pending").matches(&up));
        assert!(sel(r#"{stream_name="MEMES"}"#).matches(&pending));
        assert!(sel(r#"{job=~"kube.*"}"#).matches(&up));
        // Regexes are anchored.
        assert!(!sel(r#"{job=~"kube"}"#).matches(&up));
        // A missing label is the empty string.
        assert!(sel(r#"up{namespace=""}"#).matches(&up));
        assert!(sel(r#"{__name__=~"up|x"}"#).matches(&up));
        assert!(sel(r#"{job="kubelet" or stream_name="MEMES"}"#).matches(&pending));
    }

    #[test]
    fn rejects_expressions_and_garbage() {
        let err = Selector::parse("sum(up)")
            .expect_err("not a selector")
            .to_string();
        assert!(err.contains("expected a series selector"), "{err}");
        let err = Selector::parse("up{").expect_err("invalid").to_string();
        assert!(err.starts_with("invalid selector \"up{\""), "{err}");
    }
}
