//! Element-wise functions of an instant vector (`funcAbs`, `funcRound`,
//! `funcClamp`, the trigonometric ones…): each drops `__name__`.

use promql_parser::parser::Expr;

use super::{arg, map_points};
use crate::QueryError;
use crate::eval::{Evaluator, Val};
use crate::gomath::{self, go_max, go_min};

pub(super) fn call(ev: &Evaluator, name: &str, args: &[&Expr]) -> Result<Val, QueryError> {
    let input = ev.eval_vector(arg(args, 0)?)?;
    // Scalar arguments, one value per step.
    let scalars: Vec<Vec<f64>> = args
        .iter()
        .skip(1)
        .map(|a| ev.eval_scalar(a))
        .collect::<Result<_, _>>()?;
    let s = |i: usize, step: usize| scalars.get(i).and_then(|v| v.get(step)).copied();
    let out = match name {
        // Ties round up; the inverse is used as it has fewer accuracy issues.
        "round" => map_points(ev, &input, |step, v| {
            let inverse = 1.0 / s(0, step).unwrap_or(1.0);
            Some((v * inverse + 0.5).floor() / inverse)
        })?,
        "clamp" => map_points(ev, &input, |step, v| {
            let (min, max) = (s(0, step)?, s(1, step)?);
            // Empty only when max < min: a NaN bound compares false, so it
            // gives NaN samples instead.
            if max < min {
                None
            } else {
                Some(go_max(min, go_min(max, v)))
            }
        })?,
        "clamp_min" => map_points(ev, &input, |step, v| Some(go_max(s(0, step)?, v)))?,
        "clamp_max" => map_points(ev, &input, |step, v| Some(go_min(s(0, step)?, v)))?,
        _ => {
            let f = unary(name).ok_or_else(|| {
                QueryError::BadData(format!(
                    "function \"{name}\" is not supported by understudy"
                ))
            })?;
            map_points(ev, &input, |_, v| Some(f(v)))?
        }
    };
    Ok(Val::Vector(out))
}

/// The transcendental functions are Go's (see `gomath`); the rest are
/// exact in both languages.
fn unary(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "abs" => f64::abs,
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "exp" => gomath::exp,
        "sqrt" => f64::sqrt,
        "ln" => gomath::log,
        "log2" => gomath::log2,
        "log10" => gomath::log10,
        "sgn" => sgn,
        "acos" => gomath::acos,
        "acosh" => gomath::acosh,
        "asin" => gomath::asin,
        "asinh" => gomath::asinh,
        "atan" => gomath::atan,
        "atanh" => gomath::atanh,
        "cos" => gomath::cos,
        "cosh" => gomath::cosh,
        "sin" => gomath::sin,
        "sinh" => gomath::sinh,
        "tan" => gomath::tan,
        "tanh" => gomath::tanh,
        // As Go computes them, for the same last bit.
        "deg" => |v| v * 180.0 / std::f64::consts::PI,
        "rad" => |v| v * std::f64::consts::PI / 180.0,
        _ => return None,
    })
}

/// `funcSgn`: NaN and ±0 are returned as they are.
fn sgn(v: f64) -> f64 {
    if v < 0.0 {
        -1.0
    } else if v > 0.0 {
        1.0
    } else {
        v
    }
}
