//! Ports of the Go standard library whose exact results PromQL inherits.
//! Prometheus answers with Go's `math` (its own polynomials, and on amd64
//! its own assembly for `Exp` and `Log`), not the C library's correctly
//! rounded functions Rust calls, so results differ in the last bits and
//! near overflow (`sinh(710)` is +Inf in Go). And it orders with Go's
//! unstable `sort.Sort`, whose order for NaNs and ties only a faithful
//! port reproduces.
//!
//! `go_max` and `go_min` are `math.Max` and `math.Min`: NaN wins over any
//! number, but an infinity wins over NaN. Rust's `f64::max`/`f64::min`
//! instead ignore NaN.

// The constants are Go's literals digit for digit, so that they can be
// checked against its source; each rounds to the same f64 as in Go.
#[allow(clippy::excessive_precision)]
mod exp;
#[allow(clippy::excessive_precision)]
mod hyperbolic;
mod pow;
mod sort;
#[allow(clippy::excessive_precision)]
mod trig;

pub(crate) use exp::{exp, log, log2, log10};
pub(crate) use hyperbolic::{acosh, asinh, atanh, cosh, sinh, tanh};
pub(crate) use pow::pow;
pub(crate) use sort::go_sort;
pub(crate) use trig::{acos, asin, atan, atan2, cos, sin, tan};

pub(crate) fn go_max(x: f64, y: f64) -> f64 {
    if x == f64::INFINITY || y == f64::INFINITY {
        f64::INFINITY
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && y == 0.0 {
        // +0 wins over -0.
        if x.is_sign_negative() { y } else { x }
    } else if x > y {
        x
    } else {
        y
    }
}

pub(crate) fn go_min(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY || y == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && y == 0.0 {
        // -0 wins over +0.
        if x.is_sign_negative() { x } else { y }
    } else if x < y {
        x
    } else {
        y
    }
}

/// Go's float64-to-int64 conversion on amd64: out-of-range values and NaN
/// become `i64::MIN`, the rest truncate toward zero.
pub(crate) fn go_int64(v: f64) -> i64 {
    if v.is_nan() || !(i64::MIN as f64..i64::MAX as f64).contains(&v) {
        i64::MIN
    } else {
        v as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_propagates_unless_infinity() {
        assert!(go_max(f64::NAN, 1.0).is_nan());
        assert!(go_max(1.0, f64::NAN).is_nan());
        assert_eq!(go_max(f64::NAN, f64::INFINITY), f64::INFINITY);
        assert!(go_min(f64::NAN, 1.0).is_nan());
        assert_eq!(go_min(f64::NAN, f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert!(go_min(f64::NAN, f64::INFINITY).is_nan());
    }

    #[test]
    fn signed_zeros() {
        assert!(go_max(-0.0, 0.0).is_sign_positive());
        assert!(go_max(0.0, -0.0).is_sign_positive());
        assert!(go_min(0.0, -0.0).is_sign_negative());
        assert!(go_min(-0.0, 0.0).is_sign_negative());
    }

    #[test]
    fn plain_order() {
        assert_eq!(go_max(1.0, 2.0), 2.0);
        assert_eq!(go_min(1.0, 2.0), 1.0);
        assert_eq!(go_int64(-1.7), -1);
        assert_eq!(go_int64(f64::NAN), i64::MIN);
    }
}
