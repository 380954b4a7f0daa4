//! Aggregation operators (`evaluator.aggregation` of Prometheus 2.42). The
//! group of an input series depends only on its labels, so it is computed
//! once per series rather than per step (except for `count_values`, whose
//! groups depend on values).

use std::cmp::Ordering;
use std::collections::HashMap;

use promql_parser::label::Labels as GroupingLabels;
use promql_parser::parser::token::{
    T_AVG, T_BOTTOMK, T_COUNT, T_COUNT_VALUES, T_GROUP, T_MAX, T_MIN, T_QUANTILE, T_STDDEV,
    T_STDVAR, T_SUM, T_TOPK,
};
use promql_parser::parser::{AggregateExpr, LabelModifier};

use crate::eval::{Evaluator, Gather, RangeSeries, SeriesBuilder, Val};
use crate::format::go_float_f;
use crate::over_time::quantile;
use crate::{Labels, QueryError};

pub(crate) fn eval(ev: &Evaluator, a: &AggregateExpr) -> Result<Val, QueryError> {
    let op = a.op.id();
    let input = ev.eval_vector(&a.expr)?;
    let (without, grouping) = match &a.modifier {
        Some(LabelModifier::Exclude(l)) => (true, names(l)),
        Some(LabelModifier::Include(l)) => (false, names(l)),
        None => (false, Vec::new()),
    };
    let grouping = Grouping {
        without,
        names: grouping,
    };
    if op == T_COUNT_VALUES {
        let param = a.param.as_deref().ok_or_else(missing_param)?;
        let label = ev.eval_string(param)?;
        return count_values(ev, &input, &grouping, &label);
    }
    let param = match (op, &a.param) {
        (T_TOPK | T_BOTTOMK | T_QUANTILE, Some(p)) => ev.eval_scalar(p)?,
        (T_TOPK | T_BOTTOMK | T_QUANTILE, None) => return Err(missing_param()),
        _ => Vec::new(),
    };
    match op {
        T_TOPK | T_BOTTOMK => select_k(ev, &input, &grouping, &param, op == T_TOPK),
        T_SUM | T_AVG | T_COUNT | T_MIN | T_MAX | T_GROUP | T_STDDEV | T_STDVAR | T_QUANTILE => {
            fold(ev, &input, &grouping, op, &param)
        }
        _ => Err(QueryError::BadData(format!(
            "aggregation \"{}\" is not supported by understudy",
            a.op
        ))),
    }
}

fn names(l: &GroupingLabels) -> Vec<String> {
    l.labels.clone()
}

fn missing_param() -> QueryError {
    QueryError::BadData("aggregation is missing its parameter".to_string())
}

struct Grouping {
    without: bool,
    names: Vec<String>,
}

impl Grouping {
    /// The labels of the group `labels` falls in: `by` keeps the listed
    /// labels; `without` drops them and `__name__`.
    fn group_labels(&self, labels: &Labels) -> Labels {
        let listed = |k: &String| self.names.contains(k);
        Labels(
            labels
                .0
                .iter()
                .filter(|(k, _)| {
                    if self.without {
                        !listed(k) && k != "__name__"
                    } else {
                        listed(k)
                    }
                })
                .cloned()
                .collect(),
        )
    }
}

/// Numbers the groups; returns (group per series, labels per group).
fn assign_groups(input: &[RangeSeries], grouping: &Grouping) -> (Vec<usize>, Vec<Labels>) {
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut groups = Vec::new();
    let group_of = input
        .iter()
        .map(|s| {
            let labels = grouping.group_labels(&s.labels);
            let next = index.len();
            *index.entry(labels.clone()).or_insert_with(|| {
                groups.push(labels);
                next
            })
        })
        .collect();
    (group_of, groups)
}

/// A group's running state at one step.
#[derive(Debug, Clone, Default)]
struct Acc {
    count: usize,
    value: f64,
    mean: f64,
    values: Vec<f64>,
}

impl Acc {
    fn first(&mut self, op: u16, v: f64) {
        self.count = 1;
        self.mean = v;
        self.value = match op {
            T_STDDEV | T_STDVAR => 0.0,
            T_GROUP => 1.0,
            _ => v,
        };
        self.values.clear();
        if op == T_QUANTILE {
            self.values.push(v);
        }
    }

    fn add(&mut self, op: u16, v: f64) {
        self.count += 1;
        let n = self.count as f64;
        match op {
            // Plain addition in 2.42 (no compensation).
            T_SUM => self.value += v,
            T_AVG => {
                if self.mean.is_infinite() {
                    if v.is_infinite() && (self.mean > 0.0) == (v > 0.0) {
                        return;
                    }
                    if !v.is_infinite() && !v.is_nan() {
                        return;
                    }
                }
                // Each side divided by the count to avoid overflow.
                self.mean += v / n - self.mean / n;
            }
            T_MAX if self.value < v || self.value.is_nan() => self.value = v,
            T_MIN if self.value > v || self.value.is_nan() => self.value = v,
            T_STDDEV | T_STDVAR => {
                let delta = v - self.mean;
                self.mean += delta / n;
                self.value += delta * (v - self.mean);
            }
            T_QUANTILE => self.values.push(v),
            _ => {}
        }
    }

    fn result(&mut self, op: u16, q: f64) -> f64 {
        let n = self.count as f64;
        match op {
            T_AVG => self.mean,
            T_COUNT => n,
            T_STDVAR => self.value / n,
            T_STDDEV => (self.value / n).sqrt(),
            T_QUANTILE => quantile(q, &mut self.values),
            _ => self.value,
        }
    }
}

/// The aggregations that fold each group into one value.
fn fold(
    ev: &Evaluator,
    input: &[RangeSeries],
    grouping: &Grouping,
    op: u16,
    param: &[f64],
) -> Result<Val, QueryError> {
    let mut out = SeriesBuilder::default();
    let (group_of, groups) = assign_groups(input, grouping);
    let group_out: Vec<usize> = groups.into_iter().map(|l| out.id(l)).collect();
    let mut accs = vec![Acc::default(); group_out.len()];
    let mut seen_at = vec![usize::MAX; group_out.len()];
    let mut order = Vec::new();
    let mut gather = Gather::new(input);
    for (step, t) in ev.grid.times().enumerate() {
        order.clear();
        for &(s, v) in gather.at(input, t) {
            let g = group_of[s];
            if seen_at[g] == step {
                accs[g].add(op, v);
            } else {
                seen_at[g] = step;
                accs[g].first(op, v);
                order.push(g);
            }
        }
        let q = param.get(step).copied().unwrap_or(f64::NAN);
        for &g in &order {
            out.push(group_out[g], t, accs[g].result(op, q))?;
        }
    }
    Ok(Val::Vector(out.finish()))
}

/// `topk`/`bottomk`: the k largest (smallest) samples of each group, with
/// their own labels; NaN is the least wanted either way.
fn select_k(
    ev: &Evaluator,
    input: &[RangeSeries],
    grouping: &Grouping,
    param: &[f64],
    top: bool,
) -> Result<Val, QueryError> {
    let mut out = SeriesBuilder::default();
    let (group_of, groups) = assign_groups(input, grouping);
    // Output ids are made in push order, which is the result order of an
    // instant query (largest first for topk).
    let mut ids: Vec<Option<usize>> = vec![None; input.len()];
    let mut members: Vec<Vec<(f64, usize)>> = vec![Vec::new(); groups.len()];
    let mut gather = Gather::new(input);
    for (step, t) in ev.grid.times().enumerate() {
        let f = param.get(step).copied().unwrap_or(f64::NAN);
        // convertibleToInt64
        if !(i64::MIN as f64..=i64::MAX as f64).contains(&f) {
            return Err(QueryError::Execution(format!(
                "Scalar value {} overflows int64",
                crate::format::go_float_v(f)
            )));
        }
        let k = f as i64;
        if k < 1 {
            continue;
        }
        members.iter_mut().for_each(Vec::clear);
        for &(s, v) in gather.at(input, t) {
            members[group_of[s]].push((v, s));
        }
        let k = usize::try_from(k).unwrap_or(usize::MAX);
        for m in &members {
            for (v, s) in select_heap(m, k, top) {
                let id = *ids[s].get_or_insert_with(|| out.id(input[s].labels.clone()));
                out.push(id, t, v)?;
            }
        }
    }
    Ok(Val::Vector(out.finish()))
}

/// The selection of 2.42's `topk`/`bottomk`, replayed with Go's
/// `container/heap` so that ties keep the same series as Prometheus: a heap
/// whose top is the least wanted sample (NaN first), replaced when a better
/// sample comes. Returns the kept samples, best first.
fn select_heap(samples: &[(f64, usize)], k: usize, top: bool) -> Vec<(f64, usize)> {
    // `vectorByValueHeap.Less` (topk) or `vectorByReverseValueHeap.Less`.
    let less = |a: f64, b: f64| a.is_nan() || if top { a < b } else { a > b };
    let mut heap: Vec<(f64, usize)> = Vec::with_capacity(k.min(samples.len()));
    for &s in samples {
        if heap.is_empty() {
            heap.push(s);
            continue;
        }
        if heap.len() < k || less(heap[0].0, s.0) {
            if heap.len() == k {
                if k == 1 {
                    heap[0] = s;
                    continue;
                }
                // heap.Pop: swap the top to the end, restore, remove.
                let n = heap.len() - 1;
                heap.swap(0, n);
                heap_down(&mut heap[..n], less);
                heap.pop();
            }
            // heap.Push: append and move up.
            heap.push(s);
            let mut j = heap.len() - 1;
            while j > 0 {
                let parent = (j - 1) / 2;
                if !less(heap[j].0, heap[parent].0) {
                    break;
                }
                heap.swap(parent, j);
                j = parent;
            }
        }
    }
    // Best first: the reverse of the heap order.
    heap.sort_by(|a, b| match (less(a.0, b.0), less(b.0, a.0)) {
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => Ordering::Equal,
    });
    heap
}

/// Go's `heap.down` from the root.
fn heap_down(heap: &mut [(f64, usize)], less: impl Fn(f64, f64) -> bool) {
    let mut i = 0;
    loop {
        let left = 2 * i + 1;
        if left >= heap.len() {
            break;
        }
        let mut j = left;
        if left + 1 < heap.len() && less(heap[left + 1].0, heap[left].0) {
            j = left + 1;
        }
        if !less(heap[j].0, heap[i].0) {
            break;
        }
        heap.swap(i, j);
        i = j;
    }
}

/// `count_values`: counts samples per group and value, the value (as Go's
/// `FormatFloat(v, 'f', -1, 64)`) becoming the label `label`.
fn count_values(
    ev: &Evaluator,
    input: &[RangeSeries],
    grouping: &Grouping,
    label: &str,
) -> Result<Val, QueryError> {
    if !crate::parse::is_label_name(label) {
        return Err(QueryError::Execution(format!(
            "invalid label name {label:?}"
        )));
    }
    let mut grouping = Grouping {
        without: grouping.without,
        names: grouping.names.clone(),
    };
    if !grouping.without {
        grouping.names.push(label.to_string());
    }
    let mut out = SeriesBuilder::default();
    // (output id, count) in order of appearance at the step.
    let mut counts: Vec<(usize, f64)> = Vec::new();
    let mut slot: HashMap<usize, usize> = HashMap::new();
    let mut gather = Gather::new(input);
    for t in ev.grid.times() {
        counts.clear();
        slot.clear();
        for &(s, v) in gather.at(input, t) {
            let value = go_float_f(v);
            let with_value = input[s]
                .labels
                .0
                .iter()
                .filter(|(k, _)| k != label)
                .cloned()
                .chain(std::iter::once((label.to_string(), value)));
            let id = out.id(grouping.group_labels(&Labels::new(with_value)));
            let next = counts.len();
            let i = *slot.entry(id).or_insert(next);
            match counts.get_mut(i) {
                Some((_, n)) => *n += 1.0,
                None => counts.push((id, 1.0)),
            }
        }
        for &(id, n) in &counts {
            out.push(id, t, n)?;
        }
    }
    Ok(Val::Vector(out.finish()))
}
