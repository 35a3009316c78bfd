//! Tuning of the WebSocket streams. The defaults are the contract's (ping
//! every 30 s, drop a peer silent for 60 s, frames up to 64 KiB); the
//! intervals and queue sizes can be shortened, mainly so tests can exercise
//! heartbeats and slow consumers without waiting a minute.

use std::time::Duration;

use crate::config::ConfigError;

/// The largest client frame (or message assembled from continuation frames)
/// accepted; a bigger one closes the socket with 1009 (API §6).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct WsSettings {
    /// `WS_PING_INTERVAL_MS`: how often the server pings each socket (and
    /// refreshes its presence).
    pub ping_interval: Duration,
    /// `WS_IDLE_TIMEOUT_MS`: a peer silent this long (no frame, no pong) is
    /// dropped.
    pub idle_timeout: Duration,
    /// `WS_QUEUE_SIZE`: messages a subscriber may fall behind before it is
    /// dropped as a slow consumer.
    pub queue_size: usize,
    /// `WS_SEND_TIMEOUT_MS`: the longest a socket may take to accept one
    /// message before it is dropped as a slow consumer.
    pub send_timeout: Duration,
    /// `WS_MESSAGE_BURST`: client messages accepted back to back.
    pub message_burst: u32,
    /// `WS_MESSAGE_RATE`: client messages per second accepted over time;
    /// beyond burst and rate the socket closes with 1008 (flood).
    pub message_rate: u32,
}

impl Default for WsSettings {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            queue_size: 256,
            send_timeout: Duration::from_secs(10),
            message_burst: 30,
            message_rate: 10,
        }
    }
}

impl WsSettings {
    /// The defaults overridden by whichever `WS_*` settings `get` knows.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut settings = Self::default();
        let number = |name: &str| -> Result<Option<u64>, ConfigError> {
            get(name)
                .map(|value| {
                    value
                        .trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| {
                            ConfigError(format!("{name} must be a positive number, got {value:?}"))
                        })
                })
                .transpose()
        };
        if let Some(ms) = number("WS_PING_INTERVAL_MS")? {
            settings.ping_interval = Duration::from_millis(ms);
        }
        if let Some(ms) = number("WS_IDLE_TIMEOUT_MS")? {
            settings.idle_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = number("WS_SEND_TIMEOUT_MS")? {
            settings.send_timeout = Duration::from_millis(ms);
        }
        let small = |name: &str, n: u64| {
            u32::try_from(n).map_err(|_| ConfigError(format!("{name} is too large, got {n}")))
        };
        if let Some(n) = number("WS_QUEUE_SIZE")? {
            settings.queue_size = usize::try_from(small("WS_QUEUE_SIZE", n)?).unwrap_or(usize::MAX);
        }
        if let Some(n) = number("WS_MESSAGE_BURST")? {
            settings.message_burst = small("WS_MESSAGE_BURST", n)?;
        }
        if let Some(n) = number("WS_MESSAGE_RATE")? {
            settings.message_rate = small("WS_MESSAGE_RATE", n)?;
        }
        if settings.idle_timeout <= settings.ping_interval {
            return Err(ConfigError(
                "WS_IDLE_TIMEOUT_MS must be longer than WS_PING_INTERVAL_MS".into(),
            ));
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn defaults_follow_the_contract_and_can_be_tuned() {
        let none = |_: &str| None;
        assert_eq!(
            WsSettings::from_lookup(&none).unwrap(),
            WsSettings::default()
        );
        assert_eq!(WsSettings::default().ping_interval, Duration::from_secs(30));
        assert_eq!(WsSettings::default().idle_timeout, Duration::from_secs(60));
        let tuned = |key: &str| match key {
            "WS_PING_INTERVAL_MS" => Some("200".to_owned()),
            "WS_IDLE_TIMEOUT_MS" => Some("500".to_owned()),
            "WS_QUEUE_SIZE" => Some("4".to_owned()),
            "WS_MESSAGE_RATE" => Some("2".to_owned()),
            _ => None,
        };
        let settings = WsSettings::from_lookup(&tuned).unwrap();
        assert_eq!(settings.ping_interval, Duration::from_millis(200));
        assert_eq!(settings.idle_timeout, Duration::from_millis(500));
        assert_eq!(settings.queue_size, 4);
        assert_eq!(settings.message_rate, 2);
    }

    #[test]
    fn nonsense_is_refused() {
        for (key, value) in [
            ("WS_QUEUE_SIZE", "0"),
            ("WS_PING_INTERVAL_MS", "soon"),
            ("WS_IDLE_TIMEOUT_MS", "10"),
        ] {
            let get = |k: &str| (k == key).then(|| value.to_owned());
            assert!(WsSettings::from_lookup(&get).is_err(), "{key}={value}");
        }
    }
}
