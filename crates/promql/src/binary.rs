//! Binary operators (engine.go: `scalarBinop`, `VectorscalarBinop`,
//! `VectorBinop`, `VectorAnd`/`VectorOr`/`VectorUnless`, `resultMetric`).
//! Match signatures and result label sets depend only on the operands'
//! series, so they are computed once per series (pair), not per step.

use std::collections::HashMap;

use promql_parser::parser::token::{
    T_ADD, T_ATAN2, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_LUNLESS, T_MOD,
    T_MUL, T_NEQ, T_POW, T_SUB,
};
use promql_parser::parser::{BinaryExpr, LabelModifier, VectorMatchCardinality};

use crate::eval::{Evaluator, Gather, RangeSeries, SeriesBuilder, Val, drop_name};
use crate::{Labels, QueryError};

pub(crate) fn eval(ev: &Evaluator, b: &BinaryExpr) -> Result<Val, QueryError> {
    let op = b.op.id();
    let return_bool = b.return_bool();
    let lhs = ev.eval(&b.lhs)?;
    let rhs = ev.eval(&b.rhs)?;
    match (lhs, rhs) {
        (Val::Scalar(l), Val::Scalar(r)) => {
            let values = l.iter().zip(&r).map(|(&l, &r)| {
                let (v, keep) = elem(op, l, r);
                // Comparisons between scalars need `bool`.
                if is_comparison(op) {
                    f64::from(u8::from(keep))
                } else {
                    v
                }
            });
            Ok(Val::Scalar(values.collect()))
        }
        (Val::Vector(v), Val::Scalar(s)) => vector_scalar(ev, op, &v, &s, false, return_bool),
        (Val::Scalar(s), Val::Vector(v)) => vector_scalar(ev, op, &v, &s, true, return_bool),
        (Val::Vector(l), Val::Vector(r)) => {
            let matching = Matching::new(b);
            if matches!(op, T_LAND | T_LOR | T_LUNLESS) {
                set_operation(ev, op, &l, &r, &matching)
            } else {
                vector_vector(ev, op, &l, &r, &matching, return_bool)
            }
        }
        _ => Err(QueryError::BadData(format!(
            "binary expression must contain only scalar and instant vector types: {b}"
        ))),
    }
}

fn is_comparison(op: u16) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_LSS | T_GTE | T_LTE)
}

/// `shouldDropMetricName` of 2.42: arithmetic drops `__name__` — but not
/// `atan2`, which 2.42 leaves out of its list.
fn drops_name(op: u16) -> bool {
    matches!(op, T_ADD | T_SUB | T_MUL | T_DIV | T_POW | T_MOD)
}

/// `vectorElemBinop`: the value and, for comparisons, whether it holds
/// (the value of a comparison is its left operand).
fn elem(op: u16, l: f64, r: f64) -> (f64, bool) {
    match op {
        T_ADD => (l + r, true),
        T_SUB => (l - r, true),
        T_MUL => (l * r, true),
        T_DIV => (l / r, true),
        T_POW => (crate::gomath::pow(l, r), true),
        T_MOD => (l % r, true),
        T_ATAN2 => (crate::gomath::atan2(l, r), true),
        T_EQLC => (l, l == r),
        T_NEQ => (l, l != r),
        T_GTR => (l, l > r),
        T_LSS => (l, l < r),
        T_GTE => (l, l >= r),
        T_LTE => (l, l <= r),
        _ => (f64::NAN, false),
    }
}

/// `VectorscalarBinop`; `swap` when the scalar is on the left. A comparison
/// filter keeps the vector's value whichever side it is on.
fn vector_scalar(
    ev: &Evaluator,
    op: u16,
    vector: &[RangeSeries],
    scalar: &[f64],
    swap: bool,
    return_bool: bool,
) -> Result<Val, QueryError> {
    let mut out = SeriesBuilder::default();
    let drop = drops_name(op) || return_bool;
    let ids: Vec<usize> = vector
        .iter()
        .map(|s| {
            out.id(if drop {
                drop_name(&s.labels)
            } else {
                s.labels.clone()
            })
        })
        .collect();
    let mut gather = Gather::new(vector);
    for (step, t) in ev.grid.times().enumerate() {
        let s = scalar.get(step).copied().unwrap_or(f64::NAN);
        for &(i, v) in gather.at(vector, t) {
            let (l, r) = if swap { (s, v) } else { (v, s) };
            let (mut value, mut keep) = elem(op, l, r);
            if is_comparison(op) {
                value = v;
            }
            if return_bool {
                value = f64::from(u8::from(keep));
                keep = true;
            }
            if keep {
                out.push(ids[i], t, value)?;
            }
        }
    }
    Ok(Val::Vector(out.finish()))
}

/// The vector matching of an operation.
struct Matching {
    card: VectorMatchCardinality,
    /// `on(…)` rather than `ignoring(…)` (no modifier is `ignoring()`).
    on: bool,
    labels: Vec<String>,
    /// `group_left(…)`/`group_right(…)` labels taken from the "one" side.
    include: Vec<String>,
}

impl Matching {
    fn new(b: &BinaryExpr) -> Matching {
        let modifier = b.modifier.as_ref();
        let card = modifier.map_or(VectorMatchCardinality::OneToOne, |m| m.card.clone());
        let (on, labels) = match modifier.and_then(|m| m.matching.as_ref()) {
            Some(LabelModifier::Include(l)) => (true, l.labels.clone()),
            Some(LabelModifier::Exclude(l)) => (false, l.labels.clone()),
            None => (false, Vec::new()),
        };
        let include = card.labels().map(|l| l.labels.clone()).unwrap_or_default();
        Matching {
            card,
            on,
            labels,
            include,
        }
    }

    /// The labels two series must share to match (`signatureFunc`): only the
    /// `on` labels, or all but the `ignoring` ones and `__name__`.
    fn signature(&self, labels: &Labels) -> Labels {
        let listed = |k: &String| self.labels.contains(k);
        Labels(
            labels
                .0
                .iter()
                .filter(|(k, _)| {
                    if self.on {
                        listed(k)
                    } else {
                        !listed(k) && k != "__name__"
                    }
                })
                .cloned()
                .collect(),
        )
    }
}

/// Numbers distinct signatures.
#[derive(Default)]
struct Signatures(HashMap<Labels, usize>);

impl Signatures {
    fn of(&mut self, m: &Matching, series: &[RangeSeries]) -> Vec<usize> {
        series
            .iter()
            .map(|s| {
                let next = self.0.len();
                *self.0.entry(m.signature(&s.labels)).or_insert(next)
            })
            .collect()
    }
}

/// `VectorBinop`: one-to-one and many-to-one matching (one-to-many is
/// many-to-one with the sides swapped).
fn vector_vector(
    ev: &Evaluator,
    op: u16,
    lhs: &[RangeSeries],
    rhs: &[RangeSeries],
    m: &Matching,
    return_bool: bool,
) -> Result<Val, QueryError> {
    let swapped = matches!(m.card, VectorMatchCardinality::OneToMany(_));
    let one_to_one = matches!(m.card, VectorMatchCardinality::OneToOne);
    let (many, one) = if swapped { (rhs, lhs) } else { (lhs, rhs) };
    let mut sigs = Signatures::default();
    let many_sig = sigs.of(m, many);
    let one_sig = sigs.of(m, one);
    // Per signature, at the current step: the "one" series and value, and
    // whether a one-to-one match happened already. Stamped with the step.
    let mut one_at: Vec<(usize, usize, f64)> = vec![(usize::MAX, 0, 0.0); sigs.0.len()];
    let mut matched_at = vec![usize::MAX; sigs.0.len()];
    let mut out = SeriesBuilder::default();
    let mut result_ids: HashMap<(usize, usize), usize> = HashMap::new();
    // The signature each output series was last produced by.
    let mut out_sig: Vec<usize> = Vec::new();
    let (mut g_many, mut g_one) = (Gather::new(many), Gather::new(one));
    for (step, t) in ev.grid.times().enumerate() {
        for &(j, v) in g_one.at(one, t) {
            let slot = &mut one_at[one_sig[j]];
            if slot.0 == step {
                return Err(duplicate_one_side(
                    m,
                    swapped,
                    &one[j].labels,
                    &one[slot.1].labels,
                ));
            }
            *slot = (step, j, v);
        }
        for &(i, lv) in g_many.at(many, t) {
            let sig = many_sig[i];
            let (stamp, j, rv) = one_at[sig];
            if stamp != step {
                continue;
            }
            let (l, r) = if swapped { (rv, lv) } else { (lv, rv) };
            let (mut value, keep) = elem(op, l, r);
            if return_bool {
                value = f64::from(u8::from(keep));
            } else if !keep {
                continue;
            }
            let id = *result_ids.entry((i, j)).or_insert_with(|| {
                out.id(result_labels(
                    &many[i].labels,
                    &one[j].labels,
                    op,
                    m,
                    return_bool,
                ))
            });
            if one_to_one {
                if matched_at[sig] == step {
                    return Err(QueryError::Execution(
                        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
                            .to_string(),
                    ));
                }
                matched_at[sig] = step;
            } else {
                if out.has(id, t) && out_sig.get(id) == Some(&sig) {
                    return Err(QueryError::Execution(
                        "multiple matches for matching labels; many-to-one matching must be explicit (group_left/group_right)"
                            .to_string(),
                    ));
                }
                if out_sig.len() <= id {
                    out_sig.resize(id + 1, usize::MAX);
                }
                out_sig[id] = sig;
            }
            out.push(id, t, value)?;
        }
    }
    Ok(Val::Vector(out.finish()))
}

/// The error for two series of one signature on the "one" side.
fn duplicate_one_side(m: &Matching, swapped: bool, this: &Labels, earlier: &Labels) -> QueryError {
    QueryError::Execution(format!(
        "found duplicate series for the match group {} on the {} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
        labels_string(&m.signature(this)),
        if swapped { "left" } else { "right" },
        labels_string(this),
        labels_string(earlier),
    ))
}

/// `resultMetric`: the "many" side's labels, without `__name__` for
/// arithmetic and `bool`, reduced to the `on` labels (or without the
/// `ignoring` ones) for one-to-one matching, plus the `group_x` labels of
/// the "one" side.
fn result_labels(many: &Labels, one: &Labels, op: u16, m: &Matching, return_bool: bool) -> Labels {
    let listed = |k: &String| m.labels.contains(k);
    let one_to_one = matches!(m.card, VectorMatchCardinality::OneToOne);
    let kept = many.0.iter().filter(|(k, _)| {
        !(k == "__name__" && (drops_name(op) || return_bool))
            && !(one_to_one && m.on != listed(k))
            && !m.include.contains(k)
    });
    let included = m
        .include
        .iter()
        .filter_map(|k| one.get(k).map(|v| (k.clone(), v.to_string())));
    let mut pairs: Vec<(String, String)> = kept.cloned().collect();
    pairs.extend(included);
    Labels::new(pairs)
}

/// `VectorAnd`, `VectorOr`, `VectorUnless`: filters by signature, keeping
/// the operands' labels.
fn set_operation(
    ev: &Evaluator,
    op: u16,
    lhs: &[RangeSeries],
    rhs: &[RangeSeries],
    m: &Matching,
) -> Result<Val, QueryError> {
    let mut sigs = Signatures::default();
    let lhs_sig = sigs.of(m, lhs);
    let rhs_sig = sigs.of(m, rhs);
    let mut out = SeriesBuilder::default();
    let lhs_ids: Vec<usize> = lhs.iter().map(|s| out.id(s.labels.clone())).collect();
    let rhs_ids: Vec<usize> = rhs.iter().map(|s| out.id(s.labels.clone())).collect();
    // The step at which a signature was last seen on the side looked up.
    let mut seen_at = vec![usize::MAX; sigs.0.len()];
    let (mut g_lhs, mut g_rhs) = (Gather::new(lhs), Gather::new(rhs));
    for (step, t) in ev.grid.times().enumerate() {
        let l = g_lhs.at(lhs, t);
        let r = g_rhs.at(rhs, t);
        match op {
            T_LOR => {
                for &(i, v) in l {
                    seen_at[lhs_sig[i]] = step;
                    out.push(lhs_ids[i], t, v)?;
                }
                for &(j, v) in r {
                    if seen_at[rhs_sig[j]] != step {
                        out.push(rhs_ids[j], t, v)?;
                    }
                }
            }
            _ => {
                for &(j, _) in r {
                    seen_at[rhs_sig[j]] = step;
                }
                let want = op == T_LAND;
                for &(i, v) in l {
                    if (seen_at[lhs_sig[i]] == step) == want {
                        out.push(lhs_ids[i], t, v)?;
                    }
                }
            }
        }
    }
    Ok(Val::Vector(out.finish()))
}

/// `labels.Labels.String()`: `{a="1", b="2"}`.
fn labels_string(l: &Labels) -> String {
    let pairs: Vec<String> = l.0.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", pairs.join(", "))
}
