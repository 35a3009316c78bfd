//! Events: their validated fields, derived status and the rules of their dates.

use chrono::{DateTime, Utc};

use crate::text::bounded_text;
use crate::{EventId, UserId, ValidationError};

bounded_text!(
    /// 1–200 characters.
    EventTitle, "title", 1, 200
);
bounded_text!(
    /// Up to 10 000 characters.
    EventDescription, "description", 0, 10_000
);
bounded_text!(
    /// Up to 255 characters.
    Location, "location", 0, 255
);

/// The most going members an event may have, organizer included: 1–100 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Capacity(u32);

impl Capacity {
    pub const MAX: u32 = 100_000;

    pub fn new(value: i64) -> Result<Self, ValidationError> {
        if !(1..=i64::from(Self::MAX)).contains(&value) {
            return Err(ValidationError::new(
                "max_participants",
                format!("Ensure this value is between 1 and {}.", Self::MAX),
            ));
        }
        Ok(Self(value as u32))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Who may see an event (and everything inside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Visibility {
    #[default]
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        match value {
            "public" => Ok(Self::Public),
            "private" => Ok(Self::Private),
            other => Err(ValidationError::new(
                "visibility",
                format!("\"{other}\" is not a valid choice."),
            )),
        }
    }
}

/// An event's status, derived from the clock and its dates unless cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStatus {
    Upcoming,
    Ongoing,
    Completed,
    Cancelled,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upcoming => "upcoming",
            Self::Ongoing => "ongoing",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        match value {
            "upcoming" => Ok(Self::Upcoming),
            "ongoing" => Ok(Self::Ongoing),
            "completed" => Ok(Self::Completed),
            "cancelled" => Ok(Self::Cancelled),
            other => Err(ValidationError::new(
                field,
                format!("\"{other}\" is not a valid choice."),
            )),
        }
    }

    /// `cancelled` if cancelled; else `upcoming` before `date`, `ongoing` until
    /// `end_date`, then `completed`. Without an `end_date` an event is completed as
    /// soon as its date has passed.
    pub fn derive(
        date: DateTime<Utc>,
        end_date: Option<DateTime<Utc>>,
        cancelled: bool,
        now: DateTime<Utc>,
    ) -> Self {
        if cancelled {
            Self::Cancelled
        } else if now < date {
            Self::Upcoming
        } else if end_date.is_some_and(|end| now < end) {
            Self::Ongoing
        } else {
            Self::Completed
        }
    }

    /// Cancelled and completed events take no new members.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Cancelled | Self::Completed)
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: EventId,
    pub title: String,
    pub description: String,
    pub date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub location: String,
    pub max_participants: Option<Capacity>,
    pub visibility: Visibility,
    pub cancelled: bool,
    pub organizer_id: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Event {
    pub fn status(&self, now: DateTime<Utc>) -> EventStatus {
        EventStatus::derive(self.date, self.end_date, self.cancelled, now)
    }
}

/// The writable fields of a new event, all validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub title: EventTitle,
    pub description: EventDescription,
    pub date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub location: Location,
    pub max_participants: Option<Capacity>,
    pub visibility: Visibility,
}

/// A partial update; `None` leaves a field as it is. `end_date` and
/// `max_participants` are doubly optional because they can be set to null.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventChanges {
    pub title: Option<EventTitle>,
    pub description: Option<EventDescription>,
    pub date: Option<DateTime<Utc>>,
    pub end_date: Option<Option<DateTime<Utc>>>,
    pub location: Option<Location>,
    pub max_participants: Option<Option<Capacity>>,
    pub visibility: Option<Visibility>,
    pub cancel: bool,
}

impl EventChanges {
    /// Applies the changes to a copy of `event`, checking the rules that span
    /// fields: `end_date ≥ date`.
    pub fn apply(&self, event: &Event, now: DateTime<Utc>) -> Result<Event, ValidationError> {
        let mut next = event.clone();
        if let Some(title) = &self.title {
            next.title = title.as_str().to_owned();
        }
        if let Some(description) = &self.description {
            next.description = description.as_str().to_owned();
        }
        if let Some(date) = self.date {
            next.date = date;
        }
        if let Some(end_date) = self.end_date {
            next.end_date = end_date;
        }
        if let Some(location) = &self.location {
            next.location = location.as_str().to_owned();
        }
        if let Some(max) = self.max_participants {
            next.max_participants = max;
        }
        if let Some(visibility) = self.visibility {
            next.visibility = visibility;
        }
        if self.cancel {
            next.cancelled = true;
        }
        check_dates(next.date, next.end_date)?;
        next.updated_at = now;
        Ok(next)
    }
}

/// `end_date`, when given, is not before `date`.
pub fn check_dates(
    date: DateTime<Utc>,
    end_date: Option<DateTime<Utc>>,
) -> Result<(), ValidationError> {
    match end_date {
        Some(end) if end < date => Err(ValidationError::new(
            "end_date",
            "End date must not be before the start date.",
        )),
        _ => Ok(()),
    }
}

/// A new event's date is in the future.
pub fn check_future(
    field: &str,
    date: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ValidationError> {
    if date <= now {
        return Err(ValidationError::new(
            field,
            "The date must be in the future.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn status_is_derived_from_dates() {
        let now = Utc::now();
        let h = Duration::hours(1);
        assert_eq!(
            EventStatus::derive(now + h, None, false, now),
            EventStatus::Upcoming
        );
        assert_eq!(
            EventStatus::derive(now - h, None, false, now),
            EventStatus::Completed
        );
        assert_eq!(
            EventStatus::derive(now - h, Some(now + h), false, now),
            EventStatus::Ongoing
        );
        assert_eq!(
            EventStatus::derive(now - h - h, Some(now - h), false, now),
            EventStatus::Completed
        );
        assert_eq!(
            EventStatus::derive(now + h, None, true, now),
            EventStatus::Cancelled
        );
        assert!(EventStatus::Cancelled.is_closed() && EventStatus::Completed.is_closed());
        assert!(!EventStatus::Ongoing.is_closed());
    }

    #[test]
    fn capacity_bounds() {
        assert!(Capacity::new(0).is_err());
        assert!(Capacity::new(100_001).is_err());
        assert_eq!(Capacity::new(100_000).unwrap().get(), 100_000);
    }

    #[test]
    fn end_before_start_is_rejected() {
        let now = Utc::now();
        assert!(check_dates(now, Some(now - Duration::seconds(1))).is_err());
        assert!(check_dates(now, Some(now)).is_ok());
        assert!(check_future("date", now, now).is_err());
    }
}
