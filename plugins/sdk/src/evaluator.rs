//! What `export_kpi!`'s resource does per call, in plain Rust so it is
//! tested natively: the input label-set table, the batch check, and turning
//! output series into the columnar, id-referencing `outputs` of the WIT.
//! `guest` only moves fields between these types and the bindings'.

use crate::Kpi;
pub use crate::batch::InputColumns;
use crate::batch::{Batch, LabelTable};
use crate::config::Config;
use crate::labels::{LabelMap, LabelSet, Labels};
use crate::types::{KpiError, Mode, OutputSeries};

/// Pushes an output label set may go unused before its id is retired.
pub const RETIRE_AFTER_PUSHES: u64 = 100;

/// The WIT `batch`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireBatch {
    pub window_start: i64,
    pub window_end: i64,
    pub new_label_sets: Vec<Labels>,
    pub retired_label_sets: Vec<u32>,
    pub inputs: Vec<InputColumns>,
}

/// The WIT `output`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireOutput {
    pub metric: u32,
    pub label_sets: Vec<u32>,
    pub lengths: Vec<u32>,
    pub timestamps: Vec<i64>,
    pub values: Vec<f64>,
}

/// The WIT `outputs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireOutputs {
    pub new_label_sets: Vec<Labels>,
    pub retired_label_sets: Vec<u32>,
    pub series: Vec<WireOutput>,
}

/// One open evaluator: the plugin's value and what the glue keeps for it.
#[derive(Debug)]
pub struct Evaluator<K> {
    kpi: K,
    table: LabelTable,
    outputs: OutputIds,
    /// `describe().outputs` names; an output's metric is its position here.
    metrics: Vec<String>,
}

impl<K: Kpi> Evaluator<K> {
    pub fn open(config: &[(String, String)], mode: Mode) -> Result<Evaluator<K>, KpiError> {
        let info = K::describe();
        let config = Config::new(config, &info.config)?;
        let kpi = K::open(&config, mode)?;
        Ok(Evaluator {
            kpi,
            table: LabelTable::default(),
            outputs: OutputIds::default(),
            metrics: info.outputs.into_iter().map(|o| o.name).collect(),
        })
    }

    pub fn push(&mut self, wire: WireBatch) -> Result<WireOutputs, KpiError> {
        // The new sets take their ids and retired ones go whatever the
        // outcome: the host counts them as sent.
        for labels in wire.new_label_sets {
            self.table.push(LabelSet::new(labels));
        }
        let batch = Batch::from_parts(
            wire.window_start,
            wire.window_end,
            wire.inputs,
            wire.retired_label_sets,
            std::mem::take(&mut self.table),
        );
        let result = batch.check_structure().and_then(|()| self.kpi.push(&batch));
        let (table, retired) = batch.into_table();
        self.table = table;
        self.table.retire(&retired);
        self.outputs.convert(result?, &self.metrics)
    }

    pub fn finish(&mut self) -> Result<WireOutputs, KpiError> {
        let series = self.kpi.finish()?;
        self.outputs.convert(series, &self.metrics)
    }
}

/// The plugin's output label-set ids.
#[derive(Debug, Default)]
struct OutputIds {
    /// Label set → id and the push that last used it.
    ids: LabelMap<(u32, u64)>,
    next: u32,
    pushes: u64,
}

impl OutputIds {
    fn convert(
        &mut self,
        series: Vec<OutputSeries>,
        metrics: &[String],
    ) -> Result<WireOutputs, KpiError> {
        // Everything that can fail first, so a failed push hands out no ids.
        let mut index = Vec::with_capacity(series.len());
        let mut last: Option<(&str, u32)> = None;
        for s in &series {
            if s.timestamps.len() != s.values.len() {
                return Err(KpiError::Failed(format!(
                    "output series {} {:?} has {} timestamps but {} values",
                    s.metric,
                    s.labels,
                    s.timestamps.len(),
                    s.values.len()
                )));
            }
            let m = match last {
                Some((name, m)) if name == s.metric => m,
                _ => {
                    let m = metrics.iter().position(|m| *m == s.metric).ok_or_else(|| {
                        KpiError::Failed(format!(
                            "output metric {:?} is not declared in describe()",
                            s.metric
                        ))
                    })? as u32;
                    last = Some((&s.metric, m));
                    m
                }
            };
            index.push(m);
        }

        self.pushes += 1;
        let push = self.pushes;
        let mut out = WireOutputs::default();
        let mut by_metric: Vec<WireOutput> = (0..metrics.len() as u32)
            .map(|metric| WireOutput {
                metric,
                ..WireOutput::default()
            })
            .collect();
        let mut points = vec![0usize; metrics.len()];
        for (s, &m) in series.iter().zip(&index) {
            if s.timestamps.is_empty() {
                continue;
            }
            let id = match self.ids.get_mut(&s.labels) {
                Some((id, used)) => {
                    *used = push;
                    *id
                }
                None => {
                    let id = self.next;
                    self.next += 1;
                    out.new_label_sets.push(s.labels.to_labels());
                    self.ids.insert(s.labels.clone(), (id, push));
                    id
                }
            };
            let o = &mut by_metric[m as usize];
            o.label_sets.push(id);
            o.lengths.push(s.timestamps.len() as u32);
            points[m as usize] += s.timestamps.len();
        }
        // The columns, one at a time, each sized once and each series' part
        // freed as soon as it is copied: a huge output must not need twice
        // its size (the host caps memory).
        let mut series = series;
        // A metric of one series takes its columns as they are.
        for (o, &n) in by_metric.iter_mut().zip(&points) {
            if o.label_sets.len() > 1 {
                o.timestamps.reserve_exact(n);
            }
        }
        for (s, &m) in series.iter_mut().zip(&index) {
            let ts = std::mem::take(&mut s.timestamps);
            let o = &mut by_metric[m as usize];
            if o.timestamps.capacity() == 0 {
                o.timestamps = ts;
            } else {
                o.timestamps.extend_from_slice(&ts);
            }
        }
        for (o, &n) in by_metric.iter_mut().zip(&points) {
            if o.label_sets.len() > 1 {
                o.values.reserve_exact(n);
            }
        }
        for (s, &m) in series.iter_mut().zip(&index) {
            let vs = std::mem::take(&mut s.values);
            let o = &mut by_metric[m as usize];
            if o.values.capacity() == 0 {
                o.values = vs;
            } else {
                o.values.extend_from_slice(&vs);
            }
        }
        out.series = by_metric
            .into_iter()
            .filter(|o| !o.label_sets.is_empty())
            .collect();

        let retired = &mut out.retired_label_sets;
        self.ids.retain(|_, &mut (id, used)| {
            let keep = push - used < RETIRE_AFTER_PUSHES;
            if !keep {
                retired.push(id);
            }
            keep
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{InputSpec, OutputSpec, PluginInfo};
    use crate::{OutputSet, Series};

    /// Echoes input "x" as metric "echo" (labels `pod`), reports the ids it
    /// saw retired, and emits an undeclared metric when a value is 666.
    #[derive(Debug, Default)]
    struct Echo {
        retired: Vec<(u32, String)>,
    }

    impl Kpi for Echo {
        fn describe() -> PluginInfo {
            PluginInfo {
                name: "echo".into(),
                version: "0".into(),
                description: String::new(),
                inputs: vec![InputSpec::new("x", "x", 1)],
                outputs: vec![
                    OutputSpec::gauge("other", ""),
                    OutputSpec::gauge("echo", ""),
                ],
                config: vec![],
            }
        }

        fn open(_: &Config, _: Mode) -> Result<Self, KpiError> {
            Ok(Echo::default())
        }

        fn push(&mut self, batch: &Batch) -> Result<Vec<OutputSeries>, KpiError> {
            for &id in batch.retired() {
                let pod = batch.labels(id).and_then(|l| l.get("pod")).unwrap_or("?");
                self.retired.push((id, pod.into()));
            }
            let mut out = OutputSet::new(batch);
            for s in batch.series("x")? {
                let s: Series<'_> = s;
                let Some(key) = s.label_set(&["pod"]) else {
                    continue;
                };
                for (t, v) in s.points() {
                    let metric = if v == 666.0 { "undeclared" } else { "echo" };
                    out.add(metric, &key, t, v);
                }
            }
            Ok(out.into_series())
        }
    }

    fn pod(name: &str) -> Labels {
        vec![("pod".into(), name.into()), ("job".into(), "j".into())]
    }

    fn input(ids: &[u32], t: i64, v: f64) -> InputColumns {
        InputColumns {
            name: "x".into(),
            label_sets: ids.to_vec(),
            lengths: vec![1; ids.len()],
            timestamps: vec![t; ids.len()],
            values: vec![v; ids.len()],
        }
    }

    fn batch(t: i64, new: Vec<Labels>, retired: Vec<u32>, ids: &[u32], v: f64) -> WireBatch {
        WireBatch {
            window_start: t,
            window_end: t,
            new_label_sets: new,
            retired_label_sets: retired,
            inputs: vec![input(ids, t, v)],
        }
    }

    fn open() -> Evaluator<Echo> {
        Evaluator::open(&[], Mode::Live).expect("open")
    }

    #[test]
    fn ids_columns_and_new_sets() {
        let mut e = open();
        let out = e
            .push(batch(1, vec![pod("a"), pod("b")], vec![], &[0, 1], 1.0))
            .expect("push");
        assert_eq!(
            out,
            WireOutputs {
                new_label_sets: vec![
                    vec![("pod".into(), "a".into())],
                    vec![("pod".into(), "b".into())]
                ],
                retired_label_sets: vec![],
                series: vec![WireOutput {
                    metric: 1,
                    label_sets: vec![0, 1],
                    lengths: vec![1, 1],
                    timestamps: vec![1, 1],
                    values: vec![1.0, 1.0],
                }],
            }
        );
        // Known sets are not sent again; a new input set continues the ids.
        let out = e
            .push(batch(2, vec![pod("c")], vec![], &[1, 2], 2.0))
            .expect("push");
        assert_eq!(out.new_label_sets, vec![vec![("pod".into(), "c".into())]]);
        assert_eq!(out.series[0].label_sets, vec![1, 2]);
    }

    #[test]
    fn retired_inputs_are_shown_then_forgotten() {
        let mut e = open();
        e.push(batch(1, vec![pod("a"), pod("b")], vec![], &[0, 1], 1.0))
            .expect("push");
        e.push(batch(2, vec![], vec![0], &[1], 1.0)).expect("push");
        assert_eq!(e.kpi.retired, vec![(0, "a".to_owned())]);
        let r = e.push(batch(3, vec![], vec![], &[0], 1.0));
        assert!(
            matches!(r, Err(KpiError::InvalidInput(m)) if m.contains("unknown label-set id 0"))
        );
        // A refused batch still takes its new sets' ids.
        let r = e.push(batch(4, vec![pod("c")], vec![], &[9], 1.0));
        assert!(r.is_err());
        let out = e.push(batch(5, vec![], vec![], &[2], 1.0)).expect("push");
        assert_eq!(out.new_label_sets, vec![vec![("pod".into(), "c".into())]]);
    }

    #[test]
    fn unused_output_ids_are_retired_and_reissued() {
        let mut e = open();
        e.push(batch(0, vec![pod("a"), pod("b")], vec![], &[0, 1], 1.0))
            .expect("push");
        let mut retired = vec![];
        let mut t = 1;
        while retired.is_empty() {
            let out = e.push(batch(t, vec![], vec![], &[1], 1.0)).expect("push");
            retired = out.retired_label_sets;
            t += 1;
        }
        assert_eq!(retired, vec![0]);
        assert_eq!(t - 1, RETIRE_AFTER_PUSHES as i64);
        let out = e
            .push(batch(t, vec![], vec![], &[0, 1], 1.0))
            .expect("push");
        assert_eq!(out.new_label_sets, vec![vec![("pod".into(), "a".into())]]);
        assert_eq!(out.series[0].label_sets, vec![2, 1]);
    }

    #[test]
    fn undeclared_metrics_fail_without_handing_out_ids() {
        let mut e = open();
        let r = e.push(batch(1, vec![pod("a")], vec![], &[0], 666.0));
        assert_eq!(
            r,
            Err(KpiError::Failed(
                "output metric \"undeclared\" is not declared in describe()".into()
            ))
        );
        let out = e.push(batch(2, vec![], vec![], &[0], 1.0)).expect("push");
        assert_eq!(out.new_label_sets.len(), 1);
        assert_eq!(out.series[0].label_sets, vec![0]);
    }
}
