//! The JSON line format (`LOG_FORMAT=json`): one object per line with the
//! timestamp, the level, the event's fields (`message` among them) and the
//! current span as `span` (its name and fields). The request being served
//! ([`RequestContext`]) is the outermost span, named `request`:
//!
//! ```json
//! {"timestamp":"2026-11-28T01:02:03.456789Z","level":"INFO","message":"request finished","status":200,"elapsed_ms":0.84,"span":{"request_id":"6f0c…","method":"GET","path":"/api/v1/events/7/","name":"request"}}
//! ```
//!
//! tracing-subscriber's own JSON format writes the same object, but it
//! stores a span's fields as a JSON object and parses it back into a map for
//! every line logged inside the span, and writes through `serde_json` one
//! small piece at a time, each checked again as UTF-8: about 5 µs of the
//! access-log line of every request (docs/BENCHMARKS.md). Here a span's
//! fields are stored as the object's members, ready to be copied into each
//! line, and values are escaped straight into the line.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing::span::Record;
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::RequestContext;

/// The event format: see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

/// The span field format of [`JsonLines`]: the fields as JSON object
/// members (`"a":1,"b":"x"`), without the braces.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonMembers;

impl<S> FormatEvent<S, JsonMembers> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonMembers>,
        mut line: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        line.write_str("{\"timestamp\":\"")?;
        timestamp(&mut line, std::time::SystemTime::now())?;
        line.write_str("\",\"level\":\"")?;
        line.write_str(event.metadata().level().as_str())?;
        line.write_char('"')?;
        let mut members = Members::new(&mut line, false);
        event.record(&mut members);
        members.result?;
        if let Some(span) = ctx.lookup_current() {
            line.write_str(",\"span\":{")?;
            let extensions = span.extensions();
            if let Some(fields) = extensions.get::<FormattedFields<JsonMembers>>()
                && !fields.fields.is_empty()
            {
                line.write_str(&fields.fields)?;
                line.write_char(',')?;
            }
            line.write_str("\"name\":")?;
            string(&mut line, span.name())?;
            line.write_char('}')?;
        } else {
            RequestContext::with_current(|request| {
                line.write_str(",\"span\":{\"request_id\":")?;
                string(&mut line, &request.id)?;
                line.write_str(",\"method\":")?;
                string(&mut line, request.method.as_str())?;
                line.write_str(",\"path\":")?;
                string(&mut line, &request.path)?;
                line.write_str(",\"name\":")?;
                string(&mut line, RequestContext::NAME)?;
                line.write_char('}')
            })
            .transpose()?;
        }
        line.write_str("}\n")
    }
}

impl<'w> FormatFields<'w> for JsonMembers {
    fn format_fields<R: RecordFields>(&self, mut out: Writer<'w>, fields: R) -> fmt::Result {
        let mut members = Members::new(&mut out, true);
        fields.record(&mut members);
        members.result
    }

    /// Fields recorded on the span later (`Span::record`) join the others.
    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &Record<'_>,
    ) -> fmt::Result {
        let first = current.fields.is_empty();
        let mut out = current.as_writer();
        let mut members = Members::new(&mut out, first);
        fields.record(&mut members);
        members.result
    }
}

/// Writes each recorded field as a JSON member, `,"name":value`.
struct Members<'a, 'w> {
    out: &'a mut Writer<'w>,
    /// No comma before the next member.
    first: bool,
    result: fmt::Result,
}

impl<'a, 'w> Members<'a, 'w> {
    fn new(out: &'a mut Writer<'w>, first: bool) -> Self {
        Self {
            out,
            first,
            result: Ok(()),
        }
    }

    fn member(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'w>) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        self.result = (|| {
            if !std::mem::take(&mut self.first) {
                self.out.write_char(',')?;
            }
            string(self.out, field.name())?;
            self.out.write_char(':')?;
            value(self.out)
        })();
    }
}

impl Visit for Members<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field, |out| string(out, value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.member(field, |out| write!(out, "{value}"));
    }

    /// JSON has no NaN or infinities: those are `null`.
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.member(field, |out| {
            if value.is_finite() {
                write!(out, "{value}")
            } else {
                out.write_str("null")
            }
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value}")?;
            out.write_char('"')
        });
    }

    /// `Display` values (`%value`) arrive here too, formatted by `Display`.
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }
}

/// `value` as a JSON string.
fn string(out: &mut Writer<'_>, value: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(out).write_str(value)?;
    out.write_char('"')
}

/// `now` as RFC 3339 in UTC with microseconds, `2026-11-28T01:02:03.456789Z`
/// (tracing-subscriber's `SystemTime` format). The text up to the seconds is
/// kept per thread and formatted again only when the second changes:
/// formatting the whole date cost about 2 400 instructions of every line.
fn timestamp(out: &mut Writer<'_>, now: std::time::SystemTime) -> fmt::Result {
    use std::cell::RefCell;

    thread_local! {
        /// The second last formatted on this thread, and its text.
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let since_epoch = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let second = since_epoch.as_secs();
    SECOND.with_borrow_mut(|(cached, text)| {
        if *cached != second {
            let at = i64::try_from(second)
                .ok()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .unwrap_or_default();
            text.clear();
            write!(text, "{}", at.format("%Y-%m-%dT%H:%M:%S"))?;
            *cached = second;
        }
        out.write_str(text)
    })?;
    let mut micros = *b".000000Z";
    let mut value = since_epoch.subsec_micros();
    for digit in micros[1..7].iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
    // Only ASCII digits, a dot and a Z.
    out.write_str(std::str::from_utf8(&micros).map_err(|_| fmt::Error)?)
}

/// Escapes what it is given for the inside of a JSON string: quotes,
/// backslashes and control characters (so a value can never end the line or
/// the string it is in).
struct Escaped<'a, 'w>(&'a mut Writer<'w>);

impl Write for Escaped<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // Every character escaped is ASCII, so scanning bytes finds only
        // character boundaries (and skips decoding the UTF-8 of the rest).
        let mut rest = text;
        while let Some(at) = rest
            .bytes()
            .position(|b| b == b'"' || b == b'\\' || b < b' ')
        {
            self.0.write_str(&rest[..at])?;
            match rest.as_bytes()[at] {
                b'"' => self.0.write_str("\\\"")?,
                b'\\' => self.0.write_str("\\\\")?,
                b'\n' => self.0.write_str("\\n")?,
                b'\r' => self.0.write_str("\\r")?,
                b'\t' => self.0.write_str("\\t")?,
                other => write!(self.0, "\\u{other:04x}")?,
            }
            rest = &rest[at + 1..];
        }
        self.0.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::captured::Captured;
    use super::*;

    /// The lines `log` writes, each parsed as JSON.
    fn logged(log: impl FnOnce()) -> Vec<Value> {
        let lines = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(lines.clone())
            .fmt_fields(JsonMembers)
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        lines
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    fn without_timestamp(mut line: Value) -> Value {
        let timestamp = line["timestamp"].take();
        let timestamp = timestamp.as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(),
            "{timestamp}"
        );
        line.as_object_mut().unwrap().remove("timestamp");
        line
    }

    #[test]
    fn a_line_has_the_level_the_fields_and_the_span() {
        let lines = logged(|| {
            let span = tracing::info_span!("request", request_id = %"r1", method = %"GET");
            let _entered = span.enter();
            tracing::info!(
                status = 200_u64,
                elapsed_ms = 0.5,
                ok = true,
                delta = -3_i64,
                "request finished"
            );
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(
            without_timestamp(lines[0].clone()),
            json!({
                "level": "INFO",
                "message": "request finished",
                "status": 200,
                "elapsed_ms": 0.5,
                "ok": true,
                "delta": -3,
                "span": {"request_id": "r1", "method": "GET", "name": "request"},
            })
        );
    }

    #[test]
    fn the_request_being_served_is_the_outermost_span() {
        let request = RequestContext {
            id: "r2".to_owned(),
            method: actix_web::http::Method::DELETE,
            path: "/api/v1/\"odd\"/".to_owned(),
        };
        let lines = logged(|| {
            futures_util::FutureExt::now_or_never(request.scope(async {
                tracing::info!(status = 204_u64, "request finished");
                tracing::info_span!("job", id = 3_u64).in_scope(|| tracing::info!("inner"));
            }))
            .unwrap();
            tracing::info!("after");
        });
        assert_eq!(
            without_timestamp(lines[0].clone()),
            json!({
                "level": "INFO",
                "message": "request finished",
                "status": 204,
                "span": {
                    "request_id": "r2",
                    "method": "DELETE",
                    "path": "/api/v1/\"odd\"/",
                    "name": "request",
                },
            })
        );
        // The innermost span is the one named, as before.
        assert_eq!(lines[1]["span"], json!({"id": 3, "name": "job"}));
        assert_eq!(lines[2].get("span"), None);
    }

    #[test]
    fn outside_a_span_there_is_no_span_and_later_span_fields_join_it() {
        let lines = logged(|| {
            tracing::warn!("alone");
            let span = tracing::info_span!("job", id = tracing::field::Empty);
            span.record("id", 7_u64);
            span.in_scope(|| tracing::error!(reason = ?"late", "inside"));
            let bare = tracing::info_span!("bare");
            bare.in_scope(|| tracing::info!("in a span without fields"));
        });
        assert_eq!(
            without_timestamp(lines[0].clone()),
            json!({"level": "WARN", "message": "alone"})
        );
        assert_eq!(
            without_timestamp(lines[1].clone()),
            json!({
                "level": "ERROR",
                "message": "inside",
                "reason": "\"late\"",
                "span": {"id": 7, "name": "job"},
            })
        );
        assert_eq!(lines[2]["span"], json!({"name": "bare"}));
    }

    #[test]
    fn values_are_escaped_and_cannot_break_the_line() {
        let nasty = "quote \" backslash \\ newline \n return \r tab \t bell \u{7} esc \u{1b} é 🎉";
        let lines = logged(|| {
            let span = tracing::info_span!("request", path = %nasty);
            span.in_scope(|| {
                tracing::info!(text = nasty, shown = %nasty, debugged = ?nasty, "{}", nasty);
            });
            tracing::info!(error = &std::io::Error::other(nasty) as &dyn std::error::Error);
            tracing::info!(not_a_number = f64::NAN, infinite = f64::INFINITY);
        });
        assert_eq!(lines.len(), 3, "one line each, whatever the values hold");
        let line = &lines[0];
        assert_eq!(line["message"], nasty);
        assert_eq!(line["text"], nasty);
        assert_eq!(line["shown"], nasty);
        assert_eq!(line["debugged"], format!("{nasty:?}"));
        assert_eq!(line["span"]["path"], nasty);
        assert_eq!(lines[1]["error"], nasty);
        assert_eq!(lines[2]["not_a_number"], Value::Null);
        assert_eq!(lines[2]["infinite"], Value::Null);
    }

    fn timestamp_of(at: std::time::SystemTime) -> String {
        let mut text = String::new();
        timestamp(&mut Writer::new(&mut text), at).unwrap();
        text
    }

    /// The second is formatted once per thread and reused; the microseconds
    /// are always the instant's own.
    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        use std::time::{Duration, UNIX_EPOCH};
        let second = UNIX_EPOCH + Duration::from_secs(1_764_291_723);
        let cases = [
            (
                second + Duration::from_nanos(456_789_123),
                "2025-11-28T01:02:03.456789Z",
            ),
            (
                second + Duration::from_micros(7),
                "2025-11-28T01:02:03.000007Z",
            ),
            (
                second + Duration::from_secs(1),
                "2025-11-28T01:02:04.000000Z",
            ),
            (second, "2025-11-28T01:02:03.000000Z"),
            (
                UNIX_EPOCH + Duration::from_micros(999_999),
                "1970-01-01T00:00:00.999999Z",
            ),
        ];
        for (at, expected) in cases {
            assert_eq!(timestamp_of(at), expected);
        }
        let now = std::time::SystemTime::now();
        let ours = timestamp_of(now);
        let chrono = chrono::DateTime::<chrono::Utc>::from(now)
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        assert_eq!(ours, chrono);
    }
}
