//! Go's float formatting where Prometheus puts floats into text: label
//! values (`count_values`) and error messages.

/// `strconv.FormatFloat(v, 'f', -1, 64)`: shortest digits, never an exponent.
pub(crate) fn go_float_f(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    // Rust's Display is shortest round-trip without exponent, as Go's 'f', -1.
    format!("{v}")
}

/// `fmt`'s `%v` of a float64 (`'g'`, shortest digits): an exponent when the
/// decimal exponent is < -4 or ≥ 6 (`1e+19`, `1.234567e+06`, `100000`).
pub(crate) fn go_float_v(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let sci = format!("{v:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if v != 0.0 && !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(go_float_f(1e21), "1000000000000000000000");
        assert_eq!(go_float_f(0.5), "0.5");
        assert_eq!(go_float_f(f64::NEG_INFINITY), "-Inf");
        assert_eq!(go_float_f(f64::NAN), "NaN");
        assert_eq!(go_float_v(f64::NAN), "NaN");
        assert_eq!(go_float_v(1e19), "1e+19");
        assert_eq!(go_float_v(1234567.0), "1.234567e+06");
        assert_eq!(go_float_v(100000.0), "100000");
        assert_eq!(go_float_v(0.0001), "0.0001");
        assert_eq!(go_float_v(0.00001), "1e-05");
    }
}
