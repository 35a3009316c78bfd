//! Small statistics helpers: percentiles over latencies, memory formatting.

use std::time::Duration;

/// Latency percentiles, computed by sorting (the sample counts here are at
/// most a few hundred thousand).
pub struct Percentiles {
    sorted: Vec<Duration>,
}

impl Percentiles {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self { sorted: samples }
    }

    pub fn count(&self) -> usize {
        self.sorted.len()
    }

    /// The `p`-th percentile (0–100) by the nearest-rank method.
    pub fn at(&self, p: f64) -> Duration {
        if self.sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    pub fn max(&self) -> Duration {
        self.sorted.last().copied().unwrap_or_default()
    }
}

pub fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let p = Percentiles::new(samples);
        assert_eq!(p.at(50.0), Duration::from_millis(50));
        assert_eq!(p.at(99.0), Duration::from_millis(99));
        assert_eq!(p.at(100.0), Duration::from_millis(100));
        assert_eq!(p.max(), Duration::from_millis(100));
        assert_eq!(Percentiles::new(Vec::new()).at(99.0), Duration::ZERO);
    }
}
