//! The functions Prometheus 2.42 knows, with the signatures its type
//! checker holds calls to (promql/parser/functions.go).

use super::syntax::Ty;

/// The functions of Prometheus 2.42 (promql/parser/functions.go): name,
/// argument types (`v` instant vector, `m` range vector, `s` scalar, `S`
/// string), how many more arguments it takes (-1: any number, the last
/// type repeating), whether it returns a scalar rather than a vector.
const FUNCTIONS_2_42: &[(&str, &str, i32, bool)] = &[
    ("abs", "v", 0, false),
    ("absent", "v", 0, false),
    ("absent_over_time", "m", 0, false),
    ("acos", "v", 0, false),
    ("acosh", "v", 0, false),
    ("asin", "v", 0, false),
    ("asinh", "v", 0, false),
    ("atan", "v", 0, false),
    ("atanh", "v", 0, false),
    ("avg_over_time", "m", 0, false),
    ("ceil", "v", 0, false),
    ("changes", "m", 0, false),
    ("clamp", "vss", 0, false),
    ("clamp_max", "vs", 0, false),
    ("clamp_min", "vs", 0, false),
    ("cos", "v", 0, false),
    ("cosh", "v", 0, false),
    ("count_over_time", "m", 0, false),
    ("days_in_month", "v", 1, false),
    ("day_of_month", "v", 1, false),
    ("day_of_week", "v", 1, false),
    ("day_of_year", "v", 1, false),
    ("deg", "v", 0, false),
    ("delta", "m", 0, false),
    ("deriv", "m", 0, false),
    ("exp", "v", 0, false),
    ("floor", "v", 0, false),
    ("histogram_count", "v", 0, false),
    ("histogram_sum", "v", 0, false),
    ("histogram_fraction", "ssv", 0, false),
    ("histogram_quantile", "sv", 0, false),
    ("holt_winters", "mss", 0, false),
    ("hour", "v", 1, false),
    ("idelta", "m", 0, false),
    ("increase", "m", 0, false),
    ("irate", "m", 0, false),
    ("label_replace", "vSSSS", 0, false),
    ("label_join", "vSSS", -1, false),
    ("last_over_time", "m", 0, false),
    ("ln", "v", 0, false),
    ("log10", "v", 0, false),
    ("log2", "v", 0, false),
    ("max_over_time", "m", 0, false),
    ("min_over_time", "m", 0, false),
    ("minute", "v", 1, false),
    ("month", "v", 1, false),
    ("pi", "", 0, true),
    ("predict_linear", "ms", 0, false),
    ("present_over_time", "m", 0, false),
    ("quantile_over_time", "sm", 0, false),
    ("rad", "v", 0, false),
    ("rate", "m", 0, false),
    ("resets", "m", 0, false),
    ("round", "vs", 1, false),
    ("scalar", "v", 0, true),
    ("sgn", "v", 0, false),
    ("sin", "v", 0, false),
    ("sinh", "v", 0, false),
    ("sort", "v", 0, false),
    ("sort_desc", "v", 0, false),
    ("sqrt", "v", 0, false),
    ("stddev_over_time", "m", 0, false),
    ("stdvar_over_time", "m", 0, false),
    ("sum_over_time", "m", 0, false),
    ("tan", "v", 0, false),
    ("tanh", "v", 0, false),
    ("time", "", 0, true),
    ("timestamp", "v", 0, false),
    ("vector", "s", 0, false),
    ("year", "v", 1, false),
];

/// A function of Prometheus 2.42: its argument types, variadic count and
/// whether it returns a scalar.
pub(super) fn function(name: &str) -> Option<(&'static str, i32, bool)> {
    FUNCTIONS_2_42
        .iter()
        .find(|f| f.0 == name)
        .map(|&(_, args, variadic, scalar)| (args, variadic, scalar))
}

/// The type `Call`'s i-th argument must have (`checkAST`): the last one
/// repeats for variadic functions.
pub(super) fn argument_type(name: &str, i: usize) -> Option<Ty> {
    let (args, variadic, _) = function(name)?;
    let i = if i >= args.len() && variadic != 0 {
        args.len().checked_sub(1)?
    } else {
        i
    };
    Some(match args.as_bytes().get(i)? {
        b'v' => Ty::Vector,
        b'm' => Ty::Matrix,
        b's' => Ty::Scalar,
        _ => Ty::Str,
    })
}
