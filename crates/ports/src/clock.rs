//! Time, injectable so tests can control it.

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock, truncated to microseconds (what every store keeps).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        chrono::DurationRound::duration_trunc(now, chrono::TimeDelta::microseconds(1))
            .unwrap_or(now)
    }
}
