//! Parsing of list query strings shared by the task and poll lists: every bad
//! value becomes a field error under its parameter name, and an empty value
//! counts as absent (what `?status=` means to a form-driven client).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use gatherhub_domain::{FieldErrors, ValidationError};

/// The value, unless absent or blank.
pub(crate) fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// A positive id, e.g. `?event=3`.
pub(crate) fn id(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<i64> {
    let value = present(value)?;
    match value.parse::<i64>() {
        Ok(id) if id >= 1 => Some(id),
        _ => {
            errors.add(field, "Enter a valid positive whole number.");
            None
        }
    }
}

/// `true`/`false` (also `1`/`0`, any case, as Django filters accept).
pub(crate) fn boolean(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<bool> {
    let value = present(value)?;
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => {
            errors.add(field, "Enter true or false.");
            None
        }
    }
}

/// An RFC 3339 instant; a bare date (`2024-02-15`) or a date-time without an
/// offset is read as UTC.
pub(crate) fn instant(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
) -> Option<DateTime<Utc>> {
    let value = present(value)?;
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    // An unencoded `+01:00` in a query string arrives as ` 01:00`.
    if let Some((head, offset)) = value.rsplit_once(' ')
        && let Ok(at) = DateTime::parse_from_rfc3339(&format!("{head}+{offset}"))
    {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(value, format) {
            return Some(at.and_utc());
        }
    }
    if let Some(at) = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Some(at.and_utc());
    }
    errors.add(field, "Enter a valid date/time.");
    None
}

/// One of a closed set of choices, e.g. an ordering.
pub(crate) fn choice<T: Copy>(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<&str>,
    choices: &[(&str, T)],
) -> Option<T> {
    let value = present(value)?;
    match choices.iter().find(|(name, _)| *name == value) {
        Some((_, choice)) => Some(*choice),
        None => {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            errors.add(
                field,
                format!(
                    "\"{value}\" is not a valid choice; expected one of: {}.",
                    names.join(", ")
                ),
            );
            None
        }
    }
}

/// A value parsed by a domain parser that reports under its own field name.
pub(crate) fn parsed<T>(
    errors: &mut FieldErrors,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Option<T> {
    present(value).and_then(|v| errors.check(parse(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_absent_and_bad_values_are_reported() {
        let mut errors = FieldErrors::new();
        assert_eq!(id(&mut errors, "event", Some("")), None);
        assert!(errors.is_empty());
        assert_eq!(id(&mut errors, "event", Some("0")), None);
        assert_eq!(boolean(&mut errors, "is_open", Some("maybe")), None);
        assert_eq!(instant(&mut errors, "due_before", Some("soon")), None);
        assert_eq!(errors.fields().len(), 3);
    }

    #[test]
    fn instants_accept_dates_and_offsets() {
        let mut errors = FieldErrors::new();
        let a = instant(&mut errors, "d", Some("2024-02-15T19:00:00+01:00"));
        let b = instant(&mut errors, "d", Some("2024-02-15T18:00:00"));
        let c = instant(&mut errors, "d", Some("2024-02-15"));
        let d = instant(&mut errors, "d", Some("2024-02-15T19:00:00 01:00"));
        assert_eq!(a, d);
        assert!(errors.is_empty());
        assert_eq!(a, b);
        assert_eq!(
            c.map(|c| c.to_rfc3339()),
            Some("2024-02-15T00:00:00+00:00".to_owned())
        );
    }
}
