//! Go's `math.Pow` (pure Go on amd64), which PromQL's `^` uses: not
//! correctly rounded, it differs from the C library's `pow` in the last
//! digits (`1.0001 ^ 70000` is 1096.2494295587371 in Prometheus).

use super::exp::{exp, frexp, log};

/// `Modf(x)` for x ≥ 0: the integer and fractional parts.
fn modf(x: f64) -> (f64, f64) {
    if x < 1.0 {
        return (0.0, x);
    }
    let int = x.trunc();
    (int, x - int)
}

fn is_odd_int(x: f64) -> bool {
    let (xi, xf) = if x < 0.0 {
        let (i, f) = modf(-x);
        (-i, -f)
    } else {
        modf(x)
    };
    // Go's int64 conversion of an out-of-range value is i64::MIN, even.
    xf == 0.0 && super::go_int64(xi) & 1 == 1
}

pub(crate) fn pow(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 {
        if y < 0.0 {
            return if is_odd_int(y) {
                f64::INFINITY.copysign(x)
            } else {
                f64::INFINITY
            };
        }
        // y > 0 here: y == 0 returned above.
        return if is_odd_int(y) { x } else { 0.0 };
    }
    if y.is_infinite() {
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if x.is_infinite() {
        if x < 0.0 {
            return pow(1.0 / x, -y);
        }
        return if y < 0.0 { 0.0 } else { f64::INFINITY };
    }
    if y == 0.5 {
        return x.sqrt();
    }
    if y == -0.5 {
        return 1.0 / x.sqrt();
    }
    let (mut yi, mut yf) = modf(y.abs());
    if yf != 0.0 && x < 0.0 {
        return f64::NAN;
    }
    if yi >= 9_223_372_036_854_775_808.0 {
        // A huge even integer: overflow or underflow, except for -1.
        return if x == -1.0 {
            1.0
        } else if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    // ans = a1 · 2^ae
    let mut a1 = 1.0;
    let mut ae: i64 = 0;
    if yf != 0.0 {
        if yf > 0.5 {
            yf -= 1.0;
            yi += 1.0;
        }
        a1 = exp(yf * log(x));
    }
    // Times x^yi, by squaring, the powers of two kept apart in xe.
    let (mut x1, xe) = frexp(x);
    let mut xe = i64::from(xe);
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            // Certain under- or overflow: ldexp gets it from ae.
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    ldexp(a1, ae)
}

/// `math.Ldexp`: frac · 2^exp, rounding once into subnormals.
fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || !frac.is_finite() {
        return frac;
    }
    let (frac, e) = if frac.abs() < f64::MIN_POSITIVE {
        (frac * (1u64 << 52) as f64, -52)
    } else {
        (frac, 0)
    };
    let mut bits = frac.to_bits();
    let exp = exp + e + ((bits >> 52) & 0x7FF) as i64 - 1023;
    if exp < -1075 {
        return 0.0_f64.copysign(frac);
    }
    if exp > 1023 {
        return if frac < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let (exp, m) = if exp < -1022 {
        (exp + 53, 1.0 / (1u64 << 53) as f64)
    } else {
        (exp, 1.0)
    };
    bits &= !(0x7FF << 52);
    bits |= ((exp + 1023) as u64) << 52;
    m * f64::from_bits(bits)
}
