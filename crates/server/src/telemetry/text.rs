//! The human-readable line format (`LOG_FORMAT=text`), as tracing-subscriber's
//! default (full) format without the target, with the request being served
//! ([`RequestContext`]) as the outermost span:
//!
//! ```text
//! 2026-11-28T01:02:03.456789Z  INFO request{request_id=6f0c… method=GET path=/api/v1/events/7/}: request finished status=200 elapsed_ms=0.84
//! ```

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::RequestContext;

/// The event format: see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextLines;

impl<S, N> FormatEvent<S, N> for TextLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut line: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        SystemTime.format_time(&mut line)?;
        write!(line, " {:>5} ", event.metadata().level().as_str())?;
        let mut spans = false;
        RequestContext::with_current(|request| {
            spans = true;
            write!(
                line,
                "{}{{request_id={} method={} path={}}}:",
                RequestContext::NAME,
                request.id,
                request.method,
                request.path
            )
        })
        .transpose()?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                spans = true;
                line.write_str(span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    write!(line, "{{{fields}}}")?;
                }
                line.write_char(':')?;
            }
        }
        if spans {
            line.write_char(' ')?;
        }
        ctx.format_fields(line.by_ref(), event)?;
        line.write_char('\n')
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::Method;

    use super::super::captured::Captured;
    use super::*;

    /// The lines `log` writes, each without its timestamp.
    fn logged(log: impl FnOnce()) -> Vec<String> {
        let lines = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(lines.clone())
            .with_ansi(false)
            .event_format(TextLines)
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        lines
            .text()
            .lines()
            .map(|line| {
                let (timestamp, rest) = line.split_once(' ').unwrap();
                assert!(
                    chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(),
                    "{line}"
                );
                rest.to_owned()
            })
            .collect()
    }

    #[test]
    fn a_line_names_the_request_then_its_spans_then_the_fields() {
        let request = RequestContext {
            id: "r1".to_owned(),
            method: Method::POST,
            path: "/api/v1/events/".to_owned(),
        };
        let lines = logged(|| {
            tracing::warn!(code = 7_u64, "alone");
            futures_util::FutureExt::now_or_never(request.scope(async {
                tracing::info!(status = 201_u64, "request finished");
                tracing::info_span!("job", id = 3_u64)
                    .in_scope(|| tracing::error!(reason = %"late", "inside"));
            }))
            .unwrap();
        });
        assert_eq!(
            lines,
            [
                " WARN alone code=7",
                " INFO request{request_id=r1 method=POST path=/api/v1/events/}: \
                 request finished status=201",
                "ERROR request{request_id=r1 method=POST path=/api/v1/events/}:job{id=3}: \
                 inside reason=late",
            ]
        );
    }
}
