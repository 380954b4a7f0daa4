//! Go's `math.Sinh`, `Cosh`, `Tanh`, `Asinh`, `Acosh` and `Atanh`, over
//! Go's own `Exp` and `Log`. The visible difference from the C library is
//! near overflow: Go computes sinh and cosh of |x| > 21 as `Exp(x) * 0.5`, so
//! they are +Inf from ≈709.09 on where the true value is still finite.

use super::exp::{exp, log, log1p};

/// Go's `if x < 0 { x = -x; sign = true }`: unlike `abs`, it keeps -0.
fn split_sign(x: f64) -> (f64, bool) {
    if x < 0.0 { (-x, true) } else { (x, false) }
}

pub(crate) fn sinh(x: f64) -> f64 {
    // Hart & Cheney #2029.
    const P: [f64; 4] = [
        -0.630_767_364_049_771_699_118_478_725_1e6,
        -0.899_127_202_203_950_935_539_801_351_1e5,
        -0.289_421_135_598_956_380_728_466_036_6e4,
        -0.263_056_321_339_749_706_281_948_9e2,
    ];
    const Q: [f64; 3] = [
        -0.630_767_364_049_771_699_121_207_727_7e6,
        0.152_151_737_879_001_907_069_648_517_6e5,
        -0.173_678_953_558_233_699_533_450_911e3,
    ];
    let (ax, negative) = split_sign(x);
    let y = if ax > 21.0 {
        exp(ax) * 0.5
    } else if ax > 0.5 {
        let ex = exp(ax);
        (ex - 1.0 / ex) * 0.5
    } else {
        let sq = ax * ax;
        let p = (((P[3] * sq + P[2]) * sq + P[1]) * sq + P[0]) * ax;
        p / (((sq + Q[2]) * sq + Q[1]) * sq + Q[0])
    };
    if negative { -y } else { y }
}

pub(crate) fn cosh(x: f64) -> f64 {
    let x = x.abs();
    if x > 21.0 {
        return exp(x) * 0.5;
    }
    let ex = exp(x);
    (ex + 1.0 / ex) * 0.5
}

pub(crate) fn tanh(x: f64) -> f64 {
    const P: [f64; 3] = [
        -9.643_991_794_250_522_386_28e-1,
        -9.928_772_310_019_185_865_64e1,
        -1.614_687_684_417_084_479_52e3,
    ];
    const Q: [f64; 3] = [
        1.128_116_784_916_329_314_02e2,
        2.235_488_390_601_004_485_83e3,
        4.844_063_053_251_254_860_48e3,
    ];
    /// log(2**127)
    const MAXLOG: f64 = 8.802_969_193_111_305_429_598_8e1;
    let z = x.abs();
    if z > 0.5 * MAXLOG {
        return if x < 0.0 { -1.0 } else { 1.0 };
    }
    if z >= 0.625 {
        let s = exp(2.0 * z);
        let z = 1.0 - 2.0 / (s + 1.0);
        return if x < 0.0 { -z } else { z };
    }
    if x == 0.0 {
        return x;
    }
    let s = x * x;
    x + x * s * ((P[0] * s + P[1]) * s + P[2]) / (((s + Q[0]) * s + Q[1]) * s + Q[2])
}

const LN2: f64 = std::f64::consts::LN_2;
const LARGE: f64 = (1u64 << 28) as f64;
const NEAR_ZERO: f64 = 1.0 / LARGE;

pub(crate) fn asinh(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let (ax, negative) = split_sign(x);
    let y = if ax > LARGE {
        log(ax) + LN2
    } else if ax > 2.0 {
        log(2.0 * ax + 1.0 / ((ax * ax + 1.0).sqrt() + ax))
    } else if ax < NEAR_ZERO {
        ax
    } else {
        log1p(ax + ax * ax / (1.0 + (1.0 + ax * ax).sqrt()))
    };
    if negative { -y } else { y }
}

pub(crate) fn acosh(x: f64) -> f64 {
    if x < 1.0 || x.is_nan() {
        return f64::NAN;
    }
    if x == 1.0 {
        return 0.0;
    }
    if x >= LARGE {
        return log(x) + LN2;
    }
    if x > 2.0 {
        return log(2.0 * x - 1.0 / (x + (x * x - 1.0).sqrt()));
    }
    let t = x - 1.0;
    log1p(t + (2.0 * t + t * t).sqrt())
}

pub(crate) fn atanh(x: f64) -> f64 {
    if !(-1.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if x == 1.0 {
        return f64::INFINITY;
    }
    if x == -1.0 {
        return f64::NEG_INFINITY;
    }
    let (ax, negative) = split_sign(x);
    let y = if ax < NEAR_ZERO {
        ax
    } else if ax < 0.5 {
        let t = ax + ax;
        0.5 * log1p(t + t * ax / (1.0 - ax))
    } else {
        0.5 * log1p((ax + ax) / (1.0 - ax))
    };
    if negative { -y } else { y }
}
