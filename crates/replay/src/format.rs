//! Numbers as Prometheus' HTTP API writes them.

use std::fmt::Write as _;

/// A sample value as Prometheus 2.42 writes it (Go's
/// `strconv.FormatFloat(v, 'f', -1, 64)` for ordinary magnitudes, and the
/// exponent form with a two-digit exponent below 1e-6 and from 1e21 on):
/// `NaN`, `+Inf`, `-Inf`, `-0`, `0.1`, `1e-07`, `1e+21`.
pub fn value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        // Rust: "1.5e-7"; Go: "1.5e-07".
        let s = format!("{v:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        let mut out = String::with_capacity(s.len() + 2);
        let _ = write!(out, "{mantissa}e{sign}{digits:0>2}");
        return out;
    }
    if v == 0.0 && v.is_sign_negative() {
        return "-0".into();
    }
    format!("{v}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_use_go_spellings() {
        assert_eq!(value(f64::NAN), "NaN");
        assert_eq!(value(f64::INFINITY), "+Inf");
        assert_eq!(value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(value(-0.0), "-0");
        assert_eq!(value(0.0), "0");
        assert_eq!(value(2.0), "2");
        assert_eq!(value(0.1), "0.1");
        assert_eq!(value(1e-7), "1e-07");
        assert_eq!(value(1.5e-7), "1.5e-07");
        assert_eq!(value(1e-6), "0.000001");
        assert_eq!(value(1e21), "1e+21");
        assert_eq!(value(1.2345e22), "1.2345e+22");
        assert_eq!(value(1e20), "100000000000000000000");
        assert_eq!(value(-3.5e-300), "-3.5e-300");
        assert_eq!(value(1795648515.5), "1795648515.5");
    }
}
