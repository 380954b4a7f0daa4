//! Upstream computes every metric in int64 milli-units
//! (`resource.Quantity.MilliValue()`) and replica counts in int32, so integer
//! division and rounding happen where upstream has them. The model's inputs
//! are `f64`; these helpers are where values cross into upstream's integer
//! world, saturating where Go would overflow.

/// Relative slack under which a scaled value counts as a whole milli-unit.
const SNAP: f64 = 1e-9;

/// The value in milli-units, like `Quantity.MilliValue()`: exact for whole
/// milli-units and rounded up otherwise. Decimal quantities such as `0.1` are
/// exact in Kubernetes, but `0.1 * 1000.0` is `100.00000000000001` in binary,
/// so a value within a hair of a whole milli-unit snaps to it instead of
/// rounding up to `101m`. `None` for NaN and infinities, which no quantity
/// can hold.
pub(super) fn milli_value(value: f64) -> Option<i64> {
    if !value.is_finite() {
        return None;
    }
    let milli = value * 1000.0;
    let nearest = milli.round();
    let whole = if (milli - nearest).abs() <= SNAP * nearest.abs().max(1.0) {
        nearest
    } else {
        milli.ceil()
    };
    // `as` saturates, where an overflowing Quantity would be unrepresentable.
    Some(whole as i64)
}

/// A milli-value back in the metric's unit, for `status.currentMetrics`.
pub(super) fn from_milli(milli: i64) -> f64 {
    milli as f64 / 1000.0
}

/// Go's `int32(math.Ceil(x))`. Go leaves out-of-range conversions
/// implementation-defined (recent upstream caps some of them at
/// `math.MaxInt32`); this saturates, and NaN becomes 0.
pub(super) fn ceil_i32(x: f64) -> i32 {
    x.ceil() as i32
}

/// Go's `int64(math.Ceil(x))`, saturating like [`ceil_i32`].
pub(super) fn ceil_i64(x: f64) -> i64 {
    x.ceil() as i64
}

/// An exact sum narrowed back to int64, saturating where upstream's newest
/// code falls back to `big.Int` (older code silently wraps).
pub(super) fn saturate_i64(x: i128) -> i64 {
    x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// A replica count computed in int64 narrowed to upstream's int32.
pub(super) fn saturate_i32(x: i64) -> i32 {
    x.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    // resource.Quantity keeps decimals exact: "0.1" is 100m, not 101m.
    #[test]
    fn milli_value_snaps_binary_noise_to_whole_milli_units() {
        assert_eq!(milli_value(0.1), Some(100));
        assert_eq!(milli_value(0.3), Some(300));
        assert_eq!(milli_value(6000.0), Some(6_000_000));
    }

    // Quantity.MilliValue() is ScaledValue(Milli), which rounds up.
    #[test]
    fn milli_value_rounds_sub_milli_values_up() {
        assert_eq!(milli_value(0.0001), Some(1));
        assert_eq!(milli_value(0.0125), Some(13));
    }

    #[test]
    fn milli_value_rejects_non_finite_and_saturates() {
        assert_eq!(milli_value(f64::NAN), None);
        assert_eq!(milli_value(f64::INFINITY), None);
        assert_eq!(milli_value(1e300), Some(i64::MAX));
    }
}
