//! Element-wise functions of an instant vector (`funcAbs`, `funcRound`,
//! `funcClamp`, the trigonometric ones…): each drops `__name__`.

use promql_parser::parser::Expr;

use super::{arg, map_points};
use crate::Error;
use crate::eval::{Evaluator, Val};
use crate::gomath::{go_max, go_min};

pub(super) fn call(ev: &Evaluator, name: &str, args: &[&Expr]) -> Result<Val, Error> {
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
            // An empty vector when max < min.
            (max >= min).then(|| go_max(min, go_min(max, v)))
        })?,
        "clamp_min" => map_points(ev, &input, |step, v| Some(go_max(s(0, step)?, v)))?,
        "clamp_max" => map_points(ev, &input, |step, v| Some(go_min(s(0, step)?, v)))?,
        _ => {
            let f = unary(name).ok_or_else(|| {
                Error::BadData(format!(
                    "function \"{name}\" is not supported by understudy"
                ))
            })?;
            map_points(ev, &input, |_, v| Some(f(v)))?
        }
    };
    Ok(Val::Vector(out))
}

fn unary(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "abs" => f64::abs,
        "ceil" => f64::ceil,
        "floor" => f64::floor,
        "exp" => f64::exp,
        "sqrt" => f64::sqrt,
        "ln" => f64::ln,
        "log2" => f64::log2,
        "log10" => f64::log10,
        "sgn" => sgn,
        "acos" => f64::acos,
        "acosh" => f64::acosh,
        "asin" => f64::asin,
        "asinh" => f64::asinh,
        "atan" => f64::atan,
        "atanh" => f64::atanh,
        "cos" => f64::cos,
        "cosh" => f64::cosh,
        "sin" => f64::sin,
        "sinh" => f64::sinh,
        "tan" => f64::tan,
        "tanh" => f64::tanh,
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
