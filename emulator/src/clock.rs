//! The emulator's one clock. Everything that asks "what time is it" (token
//! checks, session expiry, SigV4 skew, audit timestamps) asks this clock, so a
//! test can jump an hour ahead and watch credentials expire in milliseconds.
//!
//! The clock is virtual: real time passes through it at `rate` (1.0 = real
//! speed, 0.0 = frozen, 60.0 = a minute per second) from the last point it
//! was set. This is the only place that reads the system clock.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A shared, cheaply cloned handle on the virtual clock.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<RwLock<Anchor>>,
}

/// Virtual time = `virtual_ms + (real elapsed since real) * rate`.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    real: Instant,
    virtual_ms: i64,
    rate: f64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl Clock {
    /// A clock that starts at the system time and runs at real speed.
    pub fn system() -> Clock {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_millis() as i64;
        Clock::starting_at_millis(now, 1.0)
    }

    /// A clock that reads `epoch_ms` now and runs at `rate`.
    pub fn starting_at_millis(epoch_ms: i64, rate: f64) -> Clock {
        Clock {
            inner: Arc::new(RwLock::new(Anchor {
                real: Instant::now(),
                virtual_ms: epoch_ms,
                rate: sanitize_rate(rate),
            })),
        }
    }

    /// A frozen clock at `epoch_seconds`: it moves only when told to.
    pub fn frozen_at(epoch_seconds: i64) -> Clock {
        Clock::starting_at_millis(epoch_seconds * 1000, 0.0)
    }

    /// Milliseconds since the Unix epoch, on the virtual clock.
    pub fn now_millis(&self) -> i64 {
        let anchor = *self.inner.read().unwrap_or_else(|e| e.into_inner());
        anchor.at(Instant::now())
    }

    /// Seconds since the Unix epoch, on the virtual clock.
    pub fn now(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// The system's own time, in seconds: only for checks that are about
    /// the client's clock rather than the emulated world (SigV4 skew, see
    /// `auth`).
    pub fn real_now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    /// The clock's rate: virtual seconds per real second.
    pub fn rate(&self) -> f64 {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).rate
    }

    /// Sets the virtual time, keeping the rate.
    pub fn set_millis(&self, epoch_ms: i64) {
        let mut anchor = self.inner.write().unwrap_or_else(|e| e.into_inner());
        anchor.real = Instant::now();
        anchor.virtual_ms = epoch_ms;
    }

    /// Moves the virtual time by `ms` (negative moves it back).
    pub fn advance_millis(&self, ms: i64) {
        let mut anchor = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let real = Instant::now();
        anchor.virtual_ms = anchor.at(real).saturating_add(ms);
        anchor.real = real;
    }

    /// Changes the rate from now on, keeping the current virtual time.
    pub fn set_rate(&self, rate: f64) {
        let mut anchor = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let real = Instant::now();
        anchor.virtual_ms = anchor.at(real);
        anchor.real = real;
        anchor.rate = sanitize_rate(rate);
    }
}

impl Anchor {
    fn at(&self, real: Instant) -> i64 {
        let elapsed = real.saturating_duration_since(self.real).as_secs_f64() * 1000.0 * self.rate;
        self.virtual_ms.saturating_add(elapsed as i64)
    }
}

/// Rates are finite and not negative: time never runs backwards on its own.
fn sanitize_rate(rate: f64) -> f64 {
    if rate.is_finite() && rate >= 0.0 { rate } else { 1.0 }
}

/// `2026-11-26T22:10:33Z`: the ISO-8601 form AWS uses in STS and CloudTrail.
///
/// Written digit by digit: chrono's formatting reads its format string on
/// every call, which cost about 3 % of a GetItem's server time under load
/// (every audit event has a time). Years outside 0–9999 (never in practice)
/// are left to chrono, whose `%Y` then differs from four digits.
pub fn iso8601(epoch_seconds: i64) -> String {
    use chrono::{Datelike, Timelike};
    let time = match chrono::DateTime::from_timestamp(epoch_seconds, 0) {
        Some(time) if (0..=9999).contains(&time.year()) => time,
        _ => return iso8601_by_chrono(epoch_seconds),
    };
    let mut text = String::with_capacity(20);
    let mut push = |n: u32, width: u32, then: char| {
        for place in (0..width).rev() {
            let digit = n / 10u32.pow(place) % 10;
            text.push(char::from(b'0' + digit as u8));
        }
        text.push(then);
    };
    push(time.year().unsigned_abs(), 4, '-');
    push(time.month(), 2, '-');
    push(time.day(), 2, 'T');
    push(time.hour(), 2, ':');
    push(time.minute(), 2, ':');
    push(time.second(), 2, 'Z');
    text
}

fn iso8601_by_chrono(epoch_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(epoch_seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Reads `2026-11-26T22:10:33Z` (fractions and offsets allowed) as epoch seconds.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_writes_what_chrono_writes() {
        let mut times = vec![
            0,
            -1,
            1,
            59,
            86_399,
            86_400,
            951_782_400,
            1_795_731_033,
            -62_167_219_200,
            -62_167_219_201,
            253_402_300_799,
            253_402_300_800,
            i64::MIN,
            i64::MAX,
        ];
        // A spread over years 1 to 3000, a few seconds off each step.
        times.extend((0..20_000i64).map(|i| -62_135_596_800 + i * 4_893_811 + i % 61));
        for t in times {
            assert_eq!(iso8601(t), iso8601_by_chrono(t), "{t}");
        }
    }

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let clock = Clock::frozen_at(1_700_000_000);
        assert_eq!(clock.now(), 1_700_000_000);
        clock.advance_millis(3_600_000);
        assert_eq!(clock.now(), 1_700_003_600);
        clock.set_millis(1_000);
        assert_eq!(clock.now(), 1);
        assert_eq!(clock.rate(), 0.0);
    }

    #[test]
    fn faster_clock_runs_ahead_of_real_time() {
        let clock = Clock::starting_at_millis(0, 1000.0);
        std::thread::sleep(Duration::from_millis(20));
        // 20 ms real at 1000x is at least 20 s virtual.
        assert!(clock.now() >= 20, "{}", clock.now());
        clock.set_rate(0.0);
        let frozen = clock.now_millis();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now_millis(), frozen);
    }

    #[test]
    fn bad_rates_fall_back_to_real_speed() {
        assert_eq!(Clock::starting_at_millis(0, f64::NAN).rate(), 1.0);
        assert_eq!(Clock::starting_at_millis(0, -2.0).rate(), 1.0);
    }

    #[test]
    fn iso8601_round_trips() {
        assert_eq!(iso8601(1_321_412_913), "2011-11-16T03:08:33Z");
        assert_eq!(parse_iso8601("2011-11-16T03:08:33Z"), Some(1_321_412_913));
        assert_eq!(parse_iso8601("2011-11-16T03:08:33.359Z"), Some(1_321_412_913));
        assert_eq!(parse_iso8601("yesterday"), None);
    }
}

/// The virtual clock as the AWS SDK for Rust's time source: an SDK client
/// given it signs, and judges its cached credentials' expiry, in the
/// emulated world's time — so a clock jump expires them as it would on AWS.
#[derive(Debug, Clone)]
pub struct SdkTimeSource(pub Clock);

impl aws_smithy_async::time::TimeSource for SdkTimeSource {
    fn now(&self) -> SystemTime {
        match u64::try_from(self.0.now_millis()) {
            Ok(ms) => UNIX_EPOCH + Duration::from_millis(ms),
            Err(_) => UNIX_EPOCH,
        }
    }
}
