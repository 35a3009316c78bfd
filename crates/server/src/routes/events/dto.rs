//! Request and response bodies of the events routes, and their conversion to
//! and from the app's inputs and views.

use chrono::{DateTime, Utc};
use gatherhub_app::events::{EventInput, EventListInput};
use gatherhub_domain::PageRequest;
use gatherhub_domain::membership::Membership;
use gatherhub_domain::user::UserSummary;
use gatherhub_ports::{EventView, MemberView};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::dto::UserSummaryDto;

const NOT_NULL: &str = "This field may not be null.";
const BAD_INSTANT: &str = "Datetime has wrong format. Use RFC 3339, e.g. 2024-02-15T18:00:00Z.";

/// An absent field is `None`; an explicit `null` is refused under the field's
/// name, since silently ignoring `{"title": null}` would surprise a client
/// that meant to clear it.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(Some)
        .ok_or_else(|| D::Error::custom(NOT_NULL))
}

/// An RFC 3339 time with any offset, normalised to UTC; anything else is
/// reported with the expected format rather than the parser's internals.
fn rfc3339<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(value) => DateTime::parse_from_rfc3339(value.trim())
            .map(|instant| Some(instant.with_timezone(&Utc)))
            .map_err(|_| D::Error::custom(BAD_INSTANT)),
    }
}

fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    rfc3339(deserializer)?
        .map(Some)
        .ok_or_else(|| D::Error::custom(NOT_NULL))
}

/// Absent is `None`, `null` is `Some(None)`.
fn nullable_instant<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<DateTime<Utc>>>, D::Error> {
    rfc3339(deserializer).map(Some)
}

/// Declares an event body: both have the same fields and parsing and differ
/// only in which fields the OpenAPI document marks required.
macro_rules! event_request {
    ($(#[$doc:meta])* $name:ident, required = $required:tt) => {
        $(#[$doc])*
        #[derive(Debug, Deserialize, ToSchema)]
        #[schema(example = json!({"title": "Community Meetup", "description": "Monthly community gathering",
            "date": "2030-02-15T18:00:00Z", "end_date": null, "location": "Community Center",
            "max_participants": 50, "visibility": "public"}))]
        pub struct $name {
            /// 1–200 characters, trimmed.
            #[serde(default, deserialize_with = "text")]
            #[schema(value_type = String, required = $required, min_length = 1, max_length = 200)]
            pub title: Option<String>,
            /// Up to 10 000 characters.
            #[serde(default, deserialize_with = "text")]
            #[schema(value_type = String, required = false, max_length = 10000)]
            pub description: Option<String>,
            /// RFC 3339, any offset. In the future on create, and whenever it changes.
            #[serde(default, deserialize_with = "instant")]
            #[schema(value_type = String, format = DateTime, required = $required)]
            pub date: Option<DateTime<Utc>>,
            /// RFC 3339, not before `date`; null for none.
            #[serde(default, deserialize_with = "nullable_instant")]
            #[schema(value_type = Option<String>, format = DateTime, nullable, required = false)]
            pub end_date: Option<Option<DateTime<Utc>>>,
            /// Up to 255 characters.
            #[serde(default, deserialize_with = "text")]
            #[schema(value_type = String, required = false, max_length = 255)]
            pub location: Option<String>,
            /// 1–100 000 going members, organizer included; null for unlimited.
            /// Not below the current going count; raising it promotes from the
            /// waitlist.
            #[serde(default, deserialize_with = "crate::http::nullable::double_option")]
            #[schema(value_type = Option<i64>, nullable, required = false, minimum = 1, maximum = 100000)]
            pub max_participants: Option<Option<i64>>,
            /// `public` (default) or `private`.
            #[serde(default, deserialize_with = "text")]
            #[schema(value_type = String, required = false, example = "public")]
            pub visibility: Option<String>,
            /// Updates only: `cancelled` cancels the event (for good). The
            /// event's current status is accepted as a no-op; any other value
            /// is a 400, and any value on create is a 400, since the status is
            /// derived.
            #[serde(default, deserialize_with = "text")]
            #[schema(value_type = String, required = false, example = "cancelled")]
            pub status: Option<String>,
        }

        impl $name {
            pub fn into_input(self) -> EventInput {
                EventInput {
                    title: self.title,
                    description: self.description,
                    date: self.date,
                    end_date: self.end_date,
                    location: self.location,
                    max_participants: self.max_participants,
                    visibility: self.visibility,
                    status: self.status,
                }
            }
        }
    };
}

event_request!(
    /// An event's writable fields, for `POST /events/` and `PUT
    /// /events/{id}/`: `title` and `date` are required; with `PUT` other
    /// absent fields keep their values. Read-only fields (`id`, `organizer`,
    /// counts, `membership`, timestamps) and unknown fields are ignored.
    EventRequest,
    required = true
);

event_request!(
    /// Some of an event's writable fields, for `PATCH /events/{id}/`: absent
    /// fields keep their values. Read-only and unknown fields are ignored.
    EventPatchRequest,
    required = false
);

/// `POST /events/{id}/members/`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"username": "jane"}))]
pub struct AddMemberRequest {
    /// The username of the user to add (ignoring case).
    #[serde(default, deserialize_with = "text")]
    #[schema(value_type = String, required = true)]
    pub username: Option<String>,
}

/// List filters of `GET /events/`. Empty values are no filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventFilterQuery {
    /// Case-insensitive text in the title, description or location.
    pub search: Option<String>,
    /// `upcoming`, `ongoing`, `completed` or `cancelled`.
    #[param(example = "upcoming")]
    pub status: Option<String>,
    /// `public` or `private` (private ones are only those the caller may see).
    #[param(example = "public")]
    pub visibility: Option<String>,
    /// Events organized by this user id.
    #[param(value_type = Option<i64>, minimum = 1)]
    pub organizer: Option<String>,
    /// `true`: only events the caller is a member of (going or waitlisted);
    /// an anonymous caller gets an empty page. `false` or absent: no filter.
    #[param(value_type = Option<bool>)]
    pub joined: Option<String>,
    /// Events on or after this time: RFC 3339 (encode `+` as `%2B`), or a
    /// day `YYYY-MM-DD` meaning its start in UTC.
    #[param(value_type = Option<String>, example = "2024-02-01T00:00:00Z")]
    pub date_from: Option<String>,
    /// Events on or before this time: RFC 3339, or a day `YYYY-MM-DD` meaning
    /// its end in UTC.
    #[param(value_type = Option<String>, example = "2024-02-29")]
    pub date_to: Option<String>,
    /// `date`, `-date`, `created_at`, `-created_at` (default), `title` or `-title`.
    #[param(example = "-created_at")]
    pub ordering: Option<String>,
}

impl EventFilterQuery {
    pub fn into_input(self, page: PageRequest) -> EventListInput {
        EventListInput {
            search: self.search,
            status: self.status,
            visibility: self.visibility,
            organizer: self.organizer,
            joined: self.joined,
            date_from: self.date_from,
            date_to: self.date_to,
            ordering: self.ordering,
            page,
        }
    }
}

/// The caller's own membership of an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipDto {
    /// `organizer` or `member`.
    #[schema(example = "organizer")]
    pub role: &'static str,
    /// `going` or `waitlisted`.
    #[schema(example = "going")]
    pub status: &'static str,
    /// 1-based place in the waitlist (FIFO); null unless waitlisted.
    pub waitlist_position: Option<u32>,
}

impl From<Membership> for MembershipDto {
    fn from(membership: Membership) -> Self {
        Self {
            role: membership.role.as_str(),
            status: membership.status.as_str(),
            waitlist_position: membership.waitlist_position,
        }
    }
}

/// An event as every response shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub location: String,
    /// Null for unlimited; counts the organizer.
    pub max_participants: Option<u32>,
    /// `public` or `private`.
    #[schema(example = "public")]
    pub visibility: &'static str,
    /// Derived: `cancelled`, else `upcoming` / `ongoing` / `completed` from the dates.
    #[schema(example = "upcoming")]
    pub status: &'static str,
    pub organizer: UserSummaryDto,
    /// Going members, the organizer included.
    pub participant_count: u64,
    /// Waitlisted members.
    pub waitlist_count: u64,
    /// The caller's own membership, or null.
    pub membership: Option<MembershipDto>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EventDto {
    /// The view with its status derived at `now`.
    pub fn new(view: EventView, now: DateTime<Utc>) -> Self {
        let status = view.event.status(now).as_str();
        let event = view.event;
        Self {
            id: event.id.get(),
            title: event.title,
            description: event.description,
            date: event.date,
            end_date: event.end_date,
            location: event.location,
            max_participants: event.max_participants.map(|c| c.get()),
            visibility: event.visibility.as_str(),
            status,
            organizer: view.organizer.into(),
            participant_count: view.going,
            waitlist_count: view.waitlisted,
            membership: view.membership.map(MembershipDto::from),
            created_at: event.created_at,
            updated_at: event.updated_at,
        }
    }
}

/// One member of an event: list items of `GET /events/{id}/members/`, and
/// the answer of joining and of adding a member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub user: UserSummaryDto,
    /// `organizer` or `member`.
    #[schema(example = "member")]
    pub role: &'static str,
    /// `going` or `waitlisted`.
    #[schema(example = "waitlisted")]
    pub status: &'static str,
    /// 1-based place in the waitlist (FIFO); null unless waitlisted.
    pub waitlist_position: Option<u32>,
    pub joined_at: DateTime<Utc>,
}

impl MemberDto {
    pub fn new(user: UserSummary, membership: Membership) -> Self {
        Self {
            user: user.into(),
            role: membership.role.as_str(),
            status: membership.status.as_str(),
            waitlist_position: membership.waitlist_position,
            joined_at: membership.joined_at,
        }
    }
}

impl From<MemberView> for MemberDto {
    fn from(view: MemberView) -> Self {
        Self::new(view.user, view.membership)
    }
}

/// The answer of leaving an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeftDto {
    /// Always `left`.
    #[schema(example = "left")]
    pub status: &'static str,
}

/// Members of an event currently online.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresenceDto {
    pub online: Vec<UserSummaryDto>,
}
