//! What callers send to the event use cases, and its parsing into domain values
//! with every field error collected before anything is refused.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use gatherhub_domain::event::{
    Capacity, Event, EventChanges, EventDescription, EventStatus, EventTitle, Location, NewEvent,
    Visibility, check_dates, check_future,
};
use gatherhub_domain::{FieldErrors, PageRequest, UserId, ValidationError};
use gatherhub_ports::{EventFilter, EventOrdering};

/// The writable fields of an event as a client sent them. `None` means absent;
/// the doubly optional fields tell absent (`None`) from null (`Some(None)`).
/// Read-only fields (`id`, `organizer`, counts, timestamps) have no place here,
/// so they can never be assigned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub date: Option<DateTime<Utc>>,
    pub end_date: Option<Option<DateTime<Utc>>>,
    pub location: Option<String>,
    pub max_participants: Option<Option<i64>>,
    pub visibility: Option<String>,
    /// Only `"cancelled"` is writable, and only on update.
    pub status: Option<String>,
}

/// The list filters as they arrive in a query string; empty values count as
/// absent, like an empty search box.
#[derive(Debug, Clone, PartialEq)]
pub struct EventListInput {
    pub search: Option<String>,
    pub status: Option<String>,
    pub visibility: Option<String>,
    pub organizer: Option<String>,
    pub joined: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub ordering: Option<String>,
    pub page: PageRequest,
}

impl Default for EventListInput {
    fn default() -> Self {
        Self {
            search: None,
            status: None,
            visibility: None,
            organizer: None,
            joined: None,
            date_from: None,
            date_to: None,
            ordering: None,
            page: PageRequest::first(),
        }
    }
}

const STATUS_ON_CREATE: &str =
    "Status cannot be set when creating an event; it is derived from the dates.";
const STATUS_ON_UPDATE: &str =
    "Only \"cancelled\" can be written; the status is otherwise derived from the dates.";

fn required(errors: &mut FieldErrors, field: &str) {
    errors.push(ValidationError::required(field));
}

fn capacity(errors: &mut FieldErrors, value: Option<i64>) -> Option<Option<Capacity>> {
    match value {
        None => Some(None),
        Some(n) => errors.check(Capacity::new(n)).map(Some),
    }
}

/// A new event: `title` and `date` are required, the date lies ahead of `now`,
/// and the end (if any) is not before the start.
pub(crate) fn parse_new(input: EventInput, now: DateTime<Utc>) -> Result<NewEvent, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = match input.title.as_deref() {
        Some(title) => errors.check(EventTitle::parse(title)),
        None => {
            required(&mut errors, "title");
            None
        }
    };
    let description = errors.check(EventDescription::parse(
        input.description.as_deref().unwrap_or(""),
    ));
    let location = errors.check(Location::parse(input.location.as_deref().unwrap_or("")));
    let date = match input.date {
        Some(date) => errors.check(check_future("date", date, now)).map(|()| date),
        None => {
            required(&mut errors, "date");
            None
        }
    };
    let end_date = input.end_date.flatten();
    if let (Some(date), Some(_)) = (date, end_date) {
        errors.check(check_dates(date, end_date));
    }
    let max_participants = capacity(&mut errors, input.max_participants.flatten());
    let visibility = match input.visibility.as_deref() {
        Some(value) => errors.check(Visibility::parse(value)),
        None => Some(Visibility::default()),
    };
    if input.status.is_some() {
        errors.add("status", STATUS_ON_CREATE);
    }
    match (
        title,
        description,
        location,
        date,
        max_participants,
        visibility,
    ) {
        (
            Some(title),
            Some(description),
            Some(location),
            Some(date),
            Some(max_participants),
            Some(visibility),
        ) if errors.is_empty() => Ok(NewEvent {
            title,
            description,
            date,
            end_date,
            location,
            max_participants,
            visibility,
        }),
        _ => Err(errors),
    }
}

/// Changes to `current`. A full update (`partial == false`) needs `title` and
/// `date`; a date that changes must lie ahead of `now` (an unchanged one may be
/// past, so a finished event stays editable); `status` accepts `"cancelled"`,
/// and the event's current status as a no-op so a client can send back what it
/// read.
pub(crate) fn parse_changes(
    input: EventInput,
    current: &Event,
    partial: bool,
    now: DateTime<Utc>,
) -> Result<EventChanges, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut changes = EventChanges::default();
    if !partial {
        if input.title.is_none() {
            required(&mut errors, "title");
        }
        if input.date.is_none() {
            required(&mut errors, "date");
        }
    }
    changes.title = input
        .title
        .as_deref()
        .and_then(|v| errors.check(EventTitle::parse(v)));
    changes.description = input
        .description
        .as_deref()
        .and_then(|v| errors.check(EventDescription::parse(v)));
    changes.location = input
        .location
        .as_deref()
        .and_then(|v| errors.check(Location::parse(v)));
    if let Some(date) = input.date {
        if date != current.date {
            errors.check(check_future("date", date, now));
        }
        changes.date = Some(date);
    }
    changes.end_date = input.end_date;
    // Both ends in one request can be checked now; otherwise the repository
    // checks against the stored value under its lock.
    if let (Some(date), Some(Some(end))) = (input.date, input.end_date) {
        errors.check(check_dates(date, Some(end)));
    }
    changes.max_participants = input
        .max_participants
        .and_then(|v| capacity(&mut errors, v));
    changes.visibility = input
        .visibility
        .as_deref()
        .and_then(|v| errors.check(Visibility::parse(v)));
    if let Some(status) = input.status.as_deref() {
        match EventStatus::parse("status", status) {
            Ok(EventStatus::Cancelled) => changes.cancel = true,
            Ok(status) if status == current.status(now) => {}
            Ok(_) => errors.add("status", STATUS_ON_UPDATE),
            Err(error) => errors.push(error),
        }
    }
    errors.into_result().map(|()| changes)
}

/// What a list query parsed into.
pub(crate) struct ParsedList {
    pub filter: EventFilter,
    pub ordering: EventOrdering,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub(crate) fn parse_list(input: &EventListInput) -> Result<ParsedList, FieldErrors> {
    let mut errors = FieldErrors::new();
    let filter = EventFilter {
        search: present(&input.search).map(str::to_owned),
        status: present(&input.status).and_then(|v| errors.check(EventStatus::parse("status", v))),
        visibility: present(&input.visibility).and_then(|v| errors.check(Visibility::parse(v))),
        organizer: present(&input.organizer)
            .and_then(|v| errors.check(parse_user_id("organizer", v))),
        joined: present(&input.joined)
            .and_then(|v| errors.check(parse_bool("joined", v)))
            .unwrap_or(false),
        date_from: present(&input.date_from)
            .and_then(|v| errors.check(parse_instant("date_from", v, false))),
        date_to: present(&input.date_to)
            .and_then(|v| errors.check(parse_instant("date_to", v, true))),
    };
    let ordering = present(&input.ordering)
        .and_then(|v| errors.check(parse_ordering(v)))
        .unwrap_or_default();
    errors
        .into_result()
        .map(|()| ParsedList { filter, ordering })
}

fn parse_user_id(field: &str, value: &str) -> Result<UserId, ValidationError> {
    match value.parse::<i64>() {
        Ok(id) if id >= 1 => Ok(UserId(id)),
        Ok(_) => Err(ValidationError::new(
            field,
            "Ensure this value is greater than or equal to 1.",
        )),
        Err(_) => Err(ValidationError::new(field, "A valid integer is required.")),
    }
}

fn parse_bool(field: &str, value: &str) -> Result<bool, ValidationError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ValidationError::new(field, "Must be a valid boolean.")),
    }
}

/// RFC 3339 with any offset, or a plain `YYYY-MM-DD` day in UTC: its start
/// for a lower bound, its last microsecond for an upper bound, so that
/// `date_to=2024-02-15` includes events on that day. An unencoded `+` offset
/// arrives as a space after query-string decoding, so a space is read as `+`.
fn parse_instant(
    field: &str,
    value: &str,
    end_of_day: bool,
) -> Result<DateTime<Utc>, ValidationError> {
    let value = value.replace(' ', "+");
    let value = value.as_str();
    if let Ok(instant) = DateTime::parse_from_rfc3339(value) {
        return Ok(instant.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let time = if end_of_day {
            NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
        } else {
            Some(NaiveTime::MIN)
        };
        if let Some(time) = time {
            return Ok(day.and_time(time).and_utc());
        }
    }
    Err(ValidationError::new(
        field,
        "Datetime has wrong format. Use RFC 3339, e.g. 2024-02-15T18:00:00Z, or YYYY-MM-DD.",
    ))
}

fn parse_ordering(value: &str) -> Result<EventOrdering, ValidationError> {
    Ok(match value {
        "date" => EventOrdering::Date,
        "-date" => EventOrdering::DateDesc,
        "created_at" => EventOrdering::CreatedAt,
        "-created_at" => EventOrdering::CreatedAtDesc,
        "title" => EventOrdering::Title,
        "-title" => EventOrdering::TitleDesc,
        other => {
            return Err(ValidationError::new(
                "ordering",
                format!(
                    "\"{other}\" is not a valid choice; use one of date, -date, created_at, -created_at, title, -title."
                ),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn instants_accept_offsets_and_days() {
        let t = parse_instant("d", "2024-02-15T19:00:00+01:00", false).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-02-15T18:00:00+00:00");
        let end = parse_instant("d", "2024-02-15", true).unwrap();
        assert_eq!(end.to_rfc3339(), "2024-02-15T23:59:59.999999+00:00");
        assert!(parse_instant("d", "yesterday", false).is_err());
        let decoded = parse_instant("d", "2024-02-15T19:00:00 01:00", false).unwrap();
        assert_eq!(decoded, t);
    }

    #[test]
    fn all_new_event_errors_are_collected() {
        let now = Utc::now();
        let input = EventInput {
            title: Some(" ".into()),
            date: Some(now - Duration::hours(1)),
            max_participants: Some(Some(0)),
            visibility: Some("secret".into()),
            status: Some("upcoming".into()),
            location: Some("x".repeat(256)),
            ..EventInput::default()
        };
        let errors = parse_new(input, now).unwrap_err();
        let fields: Vec<_> = errors.fields().keys().cloned().collect();
        assert_eq!(
            fields,
            [
                "date",
                "location",
                "max_participants",
                "status",
                "title",
                "visibility"
            ]
        );
    }
}
