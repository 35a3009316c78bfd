//! The client side of the protocol: `subscribe` / `unsubscribe` narrow what a
//! socket receives, `ping` is answered `pong`, anything else gets an `error`
//! reply and the connection stays open. Also the per-connection flood limit.

use std::collections::HashSet;
use std::time::Instant;

use gatherhub_domain::EventId;
use serde_json::{Value, json};

/// Which events a socket wants. It starts with every event it may see;
/// the first `subscribe` narrows it to the events named so far.
#[derive(Debug, Default)]
pub struct Filter {
    /// `None` until the first `subscribe`: everything.
    only: Option<HashSet<EventId>>,
    /// Events unsubscribed while receiving everything.
    except: HashSet<EventId>,
}

impl Filter {
    pub fn admits(&self, event: EventId) -> bool {
        match &self.only {
            Some(only) => only.contains(&event),
            None => !self.except.contains(&event),
        }
    }

    fn subscribe(&mut self, event: EventId) {
        self.except.remove(&event);
        self.only.get_or_insert_with(HashSet::new).insert(event);
    }

    fn unsubscribe(&mut self, event: EventId) {
        match &mut self.only {
            Some(only) => {
                only.remove(&event);
            }
            None => {
                self.except.insert(event);
            }
        }
    }
}

/// Applies one client text message to `filter`; returns the reply, if any.
pub fn handle(text: &str, filter: &mut Filter) -> Option<String> {
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return Some(error("invalid_json", "The message is not valid JSON."));
    };
    let Some(kind) = value.get("type").and_then(Value::as_str) else {
        return Some(error(
            "invalid_message",
            "A message is a JSON object with a string \"type\".",
        ));
    };
    match kind {
        "ping" => Some(json!({"type": "pong"}).to_string()),
        "subscribe" | "unsubscribe" => {
            let Some(event) = value
                .get("event_id")
                .and_then(Value::as_i64)
                .filter(|id| *id > 0)
                .map(EventId)
            else {
                return Some(error(
                    "validation_error",
                    "\"event_id\" must be a positive integer.",
                ));
            };
            if kind == "subscribe" {
                filter.subscribe(event);
            } else {
                filter.unsubscribe(event);
            }
            None
        }
        _ => Some(error(
            "unknown_type",
            "Unknown message type: use subscribe, unsubscribe or ping.",
        )),
    }
}

/// `{"type": "error", "error": code, "message": message}`.
pub fn error(code: &str, message: &str) -> String {
    json!({"type": "error", "error": code, "message": message}).to_string()
}

/// A token bucket: `burst` messages back to back, `rate` per second after.
#[derive(Debug)]
pub struct Flood {
    tokens: f64,
    burst: f64,
    rate: f64,
    last: Instant,
}

impl Flood {
    pub fn new(burst: u32, rate: u32) -> Self {
        Self {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            rate: f64::from(rate),
            last: Instant::now(),
        }
    }

    /// Takes one token; false means the client is flooding.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use std::time::Duration;

    use super::*;

    fn code(reply: Option<String>) -> String {
        let value: Value = serde_json::from_str(&reply.unwrap()).unwrap();
        assert_eq!(value["type"], "error");
        assert!(value["message"].is_string());
        value["error"].as_str().unwrap().to_owned()
    }

    #[test]
    fn ping_is_answered_and_garbage_gets_errors() {
        let mut filter = Filter::default();
        assert_eq!(
            handle(r#"{"type":"ping"}"#, &mut filter).unwrap(),
            r#"{"type":"pong"}"#
        );
        assert_eq!(code(handle("{nope", &mut filter)), "invalid_json");
        assert_eq!(code(handle("[1]", &mut filter)), "invalid_message");
        assert_eq!(
            code(handle(r#"{"type":1}"#, &mut filter)),
            "invalid_message"
        );
        assert_eq!(
            code(handle(r#"{"type":"vote.cast"}"#, &mut filter)),
            "unknown_type"
        );
        for bad in [
            r#"{"type":"subscribe"}"#,
            r#"{"type":"subscribe","event_id":0}"#,
            r#"{"type":"unsubscribe","event_id":"1"}"#,
        ] {
            assert_eq!(code(handle(bad, &mut filter)), "validation_error");
        }
        assert!(filter.admits(EventId(1)), "errors change nothing");
    }

    #[test]
    fn subscribing_narrows_to_the_events_named_so_far() {
        let mut filter = Filter::default();
        assert!(filter.admits(EventId(1)) && filter.admits(EventId(2)));
        assert!(handle(r#"{"type":"unsubscribe","event_id":2}"#, &mut filter).is_none());
        assert!(filter.admits(EventId(1)) && !filter.admits(EventId(2)));
        assert!(handle(r#"{"type":"subscribe","event_id":3}"#, &mut filter).is_none());
        assert!(filter.admits(EventId(3)) && !filter.admits(EventId(1)));
        assert!(handle(r#"{"type":"subscribe","event_id":1}"#, &mut filter).is_none());
        assert!(filter.admits(EventId(1)) && filter.admits(EventId(3)));
        handle(r#"{"type":"unsubscribe","event_id":3}"#, &mut filter);
        assert!(filter.admits(EventId(1)) && !filter.admits(EventId(3)));
    }

    #[test]
    fn a_flood_runs_out_of_tokens_and_a_pause_refills_them() {
        let start = Instant::now();
        let mut flood = Flood::new(3, 2);
        assert!((0..3).all(|_| flood.allow(start)));
        assert!(!flood.allow(start));
        assert!(flood.allow(start + Duration::from_millis(600)));
        assert!(!flood.allow(start + Duration::from_millis(600)));
        // Refills never exceed the burst.
        assert!((0..3).all(|_| flood.allow(start + Duration::from_secs(60))));
        assert!(!flood.allow(start + Duration::from_secs(60)));
    }
}
