//! `minute`, `hour`, `day_of_month`, `day_of_week`, `day_of_year`,
//! `days_in_month`, `month` and `year` (`dateWrapper`): of each sample value taken as Unix seconds,
//! or of the evaluation time without an argument. The calendar arithmetic
//! is Go's (`time.absDate` of Go 1.19), wrap-arounds included, so that
//! NaN or huge values give what Prometheus gives.

use promql_parser::parser::Expr;

use super::map_points;
use crate::eval::{Evaluator, Point, RangeSeries, Val};
use crate::gomath::go_int64;
use crate::{Labels, QueryError};

pub(super) fn call(ev: &Evaluator, name: &str, args: &[&Expr]) -> Result<Val, QueryError> {
    let f = field(name);
    match args.first() {
        None => {
            let points = ev.grid.times().map(|t| Point { t, v: f(t / 1000) });
            Ok(Val::Vector(vec![RangeSeries {
                labels: Labels::default(),
                points: points.collect(),
            }]))
        }
        Some(e) => {
            let input = ev.eval_vector(e)?;
            Ok(Val::Vector(map_points(ev, &input, |_, v| {
                Some(f(go_int64(v)))
            })?))
        }
    }
}

const SECONDS_PER_DAY: u64 = 86_400;
const DAYS_PER_400_YEARS: u64 = 365 * 400 + 97;
const DAYS_PER_100_YEARS: u64 = 365 * 100 + 24;
const DAYS_PER_4_YEARS: u64 = 365 * 4 + 1;
/// Go's `absoluteZeroYear`, and the offset from Unix seconds to its
/// "absolute" seconds (`unixToInternal + internalToAbsolute`).
const ABSOLUTE_ZERO_YEAR: i64 = -292_277_022_399;
const UNIX_TO_ABSOLUTE: i64 = 62_135_596_800 + 9_223_371_966_579_724_800;

/// Go's `Time.abs()` of `time.Unix(secs, 0).UTC()`, wrapping as Go does.
fn abs(secs: i64) -> u64 {
    secs.wrapping_add(UNIX_TO_ABSOLUTE) as u64
}

fn field(name: &str) -> fn(i64) -> f64 {
    match name {
        "minute" => |s| (abs(s) % 3600 / 60) as f64,
        "hour" => |s| (abs(s) % SECONDS_PER_DAY / 3600) as f64,
        "day_of_month" => |s| date(abs(s)).2 as f64,
        // The absolute epoch is a Monday.
        "day_of_week" => |s| {
            ((abs(s).wrapping_add(SECONDS_PER_DAY) % (7 * SECONDS_PER_DAY)) / SECONDS_PER_DAY)
                as f64
        },
        "days_in_month" => |s| {
            let (y, m, _) = date(abs(s));
            days_in_month(y, m) as f64
        },
        "day_of_year" => |s| (year_day(abs(s)).1 + 1) as f64,
        "month" => |s| date(abs(s)).1 as f64,
        _ => |s| date(abs(s)).0 as f64,
    }
}

/// The first half of Go's `absDate`: the year and the day in it (0-based).
fn year_day(abs: u64) -> (i64, u64) {
    let mut d = abs / SECONDS_PER_DAY;
    let mut n = d / DAYS_PER_400_YEARS;
    let mut y = 400 * n;
    d -= DAYS_PER_400_YEARS * n;
    n = d / DAYS_PER_100_YEARS;
    n -= n >> 2;
    y += 100 * n;
    d -= DAYS_PER_100_YEARS * n;
    n = d / DAYS_PER_4_YEARS;
    y += 4 * n;
    d -= DAYS_PER_4_YEARS * n;
    n = d / 365;
    n -= n >> 2;
    y += n;
    d -= 365 * n;
    ((y as i64).wrapping_add(ABSOLUTE_ZERO_YEAR), d)
}

/// Go's `absDate`: (year, month 1–12, day 1–31).
fn date(abs: u64) -> (i64, u64, u64) {
    let (year, mut day) = year_day(abs);
    if is_leap(year) {
        if day == 31 + 29 - 1 {
            return (year, 2, 29);
        }
        if day > 31 + 29 - 1 {
            // After the leap day: pretend it was not there.
            day -= 1;
        }
    }
    const DAYS_BEFORE: [u64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
    let mut month = (day / 31) as usize;
    let end = DAYS_BEFORE[month + 1];
    let begin = if day >= end {
        month += 1;
        end
    } else {
        DAYS_BEFORE[month]
    };
    (year, month as u64 + 1, day - begin + 1)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date(abs(0)), (1970, 1, 1));
        assert_eq!(date(abs(951_782_400)), (2000, 2, 29));
        assert_eq!(date(abs(-1)), (1969, 12, 31));
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(field("day_of_year")(0), 1.0);
        // 2000-12-31, a leap year's last day.
        assert_eq!(field("day_of_year")(978_220_800), 366.0);
        // 1970-01-01 was a Thursday.
        assert_eq!(field("day_of_week")(0), 4.0);
        // As Prometheus 2.42 answers year(vector(NaN)).
        assert_eq!(field("year")(i64::MIN), 292_277_026_596.0);
    }
}
