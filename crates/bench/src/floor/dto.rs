//! The JSON the real server answers for event detail and list, rebuilt with
//! serde derive: `EventDto` and `Paginated` of crates/server (same fields,
//! same order, same values), and the contract's error body.

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

/// The largest page size; larger requests are clamped (as the domain does).
pub const MAX_PAGE_SIZE: u32 = 100;
/// The page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// One event as the database returns it for the views (the columns of the
/// adapters' event view query).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub location: String,
    pub max_participants: Option<i32>,
    pub visibility: String,
    pub cancelled: bool,
    pub organizer_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub organizer_username: String,
    pub organizer_first_name: String,
    pub organizer_last_name: String,
    pub going: i64,
    pub waitlisted: i64,
    pub my_role: Option<String>,
    pub my_status: Option<String>,
    pub my_joined_at: Option<DateTime<Utc>>,
    pub my_position: Option<i64>,
}

impl EventRow {
    /// The viewer is a member (as the adapters decide: role, status and
    /// joining time all present).
    fn is_member(&self) -> bool {
        self.my_role.is_some() && self.my_status.is_some() && self.my_joined_at.is_some()
    }

    /// The domain's `can_see_event`: public, or staff, or a member.
    pub fn visible_to(&self, is_staff: bool) -> bool {
        self.visibility == "public" || is_staff || self.is_member()
    }
}

#[derive(Debug, Serialize)]
pub struct UserSummaryDto {
    pub id: i64,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, Serialize)]
pub struct MembershipDto {
    pub role: String,
    pub status: String,
    pub waitlist_position: Option<u32>,
}

/// `EventDto` of crates/server/src/routes/events/dto.rs.
#[derive(Debug, Serialize)]
pub struct EventDto {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub location: String,
    pub max_participants: Option<u32>,
    pub visibility: String,
    pub status: &'static str,
    pub organizer: UserSummaryDto,
    pub participant_count: u64,
    pub waitlist_count: u64,
    pub membership: Option<MembershipDto>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The domain's `EventStatus::derive`.
pub fn status(
    date: DateTime<Utc>,
    end_date: Option<DateTime<Utc>>,
    cancelled: bool,
    now: DateTime<Utc>,
) -> &'static str {
    if cancelled {
        "cancelled"
    } else if now < date {
        "upcoming"
    } else if end_date.is_some_and(|end| now < end) {
        "ongoing"
    } else {
        "completed"
    }
}

impl EventDto {
    /// The row rendered with its status derived at `now`.
    pub fn new(row: EventRow, now: DateTime<Utc>) -> Self {
        let membership = if row.is_member() {
            row.my_role
                .clone()
                .zip(row.my_status.clone())
                .map(|(role, status)| MembershipDto {
                    role,
                    status,
                    waitlist_position: row.my_position.and_then(|p| u32::try_from(p).ok()),
                })
        } else {
            None
        };
        Self {
            id: row.id,
            status: status(row.date, row.end_date, row.cancelled, now),
            title: row.title,
            description: row.description,
            date: row.date,
            end_date: row.end_date,
            location: row.location,
            max_participants: row.max_participants.and_then(|c| u32::try_from(c).ok()),
            visibility: row.visibility,
            organizer: UserSummaryDto {
                id: row.organizer_id,
                username: row.organizer_username,
                first_name: row.organizer_first_name,
                last_name: row.organizer_last_name,
            },
            participant_count: u64::try_from(row.going).unwrap_or(0),
            waitlist_count: u64::try_from(row.waitlisted).unwrap_or(0),
            membership,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// `?page=N&page_size=M`, validated as the real server does (numbers of at
/// least 1, the size clamped to [`MAX_PAGE_SIZE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub size: u32,
}

impl PageRequest {
    /// `None` for anything the real server answers 400 to.
    pub fn parse(page: Option<&str>, size: Option<&str>) -> Option<Self> {
        let page = match number(page)? {
            None => 1,
            Some(p) if p >= 1 => u32::try_from(p).ok()?,
            Some(_) => return None,
        };
        let size = match number(size)? {
            None => DEFAULT_PAGE_SIZE,
            Some(s) if s >= 1 => {
                u32::try_from(s.min(i64::from(MAX_PAGE_SIZE))).unwrap_or(MAX_PAGE_SIZE)
            }
            Some(_) => return None,
        };
        Some(Self { page, size })
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.size)
    }

    pub fn limit(&self) -> u64 {
        u64::from(self.size)
    }
}

/// `Some(None)` when absent, `None` when not a number; numbers too large for
/// an `i64` count as very large, as in the real server.
fn number(value: Option<&str>) -> Option<Option<i64>> {
    let Some(value) = value else {
        return Some(None);
    };
    let value = value.trim();
    match value.parse::<i64>() {
        Ok(n) => Some(Some(n)),
        Err(_) if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) => {
            Some(Some(i64::MAX))
        }
        Err(_) => None,
    }
}

/// `Paginated` of crates/server/src/http/pagination.rs.
#[derive(Debug, Serialize)]
pub struct Paginated<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

impl<T> Paginated<T> {
    /// The envelope of `results`, one page of `total` items; `link(n)` is the
    /// absolute URL of page `n`.
    pub fn new(
        request: PageRequest,
        total: u64,
        results: Vec<T>,
        link: impl Fn(u32) -> String,
    ) -> Self {
        let has_next = request.offset() + request.limit() < total;
        Self {
            count: total,
            next: has_next.then(|| link(request.page + 1)),
            previous: (request.page > 1).then(|| {
                // A page past the end links back to the last real page.
                let last = total.div_ceil(request.limit()).max(1);
                link((request.page - 1).min(u32::try_from(last).unwrap_or(u32::MAX)))
            }),
            results,
        }
    }
}

/// The request's own absolute URL with `page` set to `number`, keeping the
/// other query parameters in their order (as the real server builds links).
pub fn page_link(scheme: &str, host: &str, path: &str, query: &str, number: u32) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key != "page" {
            out.append_pair(&key, &value);
        }
    }
    out.append_pair("page", &number.to_string());
    format!("{scheme}://{host}{path}?{}", out.finish())
}

/// The contract's error body: `{"error", "message", "timestamp"}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub message: &'static str,
    pub timestamp: DateTime<Utc>,
}

impl ErrorBody {
    pub fn new(error: &'static str, message: &'static str) -> Self {
        Self {
            error,
            message,
            timestamp: Utc::now().trunc_subsecs(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, hour, 0, 0).unwrap()
    }

    fn row() -> EventRow {
        EventRow {
            id: 7,
            title: "T".into(),
            description: "D".into(),
            date: at(10),
            end_date: Some(at(12)),
            location: "L".into(),
            max_participants: Some(3),
            visibility: "private".into(),
            cancelled: false,
            organizer_id: 2,
            created_at: at(1),
            updated_at: at(2),
            organizer_username: "org".into(),
            organizer_first_name: "O".into(),
            organizer_last_name: "R".into(),
            going: 3,
            waitlisted: 2,
            my_role: Some("member".into()),
            my_status: Some("waitlisted".into()),
            my_joined_at: Some(at(3)),
            my_position: Some(2),
        }
    }

    #[test]
    fn status_is_derived_like_the_domain() {
        assert_eq!(status(at(10), Some(at(12)), false, at(9)), "upcoming");
        assert_eq!(status(at(10), Some(at(12)), false, at(10)), "ongoing");
        assert_eq!(status(at(10), Some(at(12)), false, at(12)), "completed");
        assert_eq!(status(at(10), None, false, at(10)), "completed");
        assert_eq!(status(at(10), None, true, at(9)), "cancelled");
    }

    #[test]
    fn an_event_renders_with_the_servers_fields() {
        let json = serde_json::to_value(EventDto::new(row(), at(11))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": 7, "title": "T", "description": "D",
                "date": "2030-01-01T10:00:00Z", "end_date": "2030-01-01T12:00:00Z",
                "location": "L", "max_participants": 3, "visibility": "private",
                "status": "ongoing",
                "organizer": {"id": 2, "username": "org", "first_name": "O", "last_name": "R"},
                "participant_count": 3, "waitlist_count": 2,
                "membership": {"role": "member", "status": "waitlisted", "waitlist_position": 2},
                "created_at": "2030-01-01T01:00:00Z", "updated_at": "2030-01-01T02:00:00Z",
            })
        );
    }

    #[test]
    fn membership_needs_role_status_and_joining_time() {
        let mut outsider = row();
        outsider.my_joined_at = None;
        assert!(!outsider.visible_to(false));
        assert!(outsider.visible_to(true));
        let json = serde_json::to_value(EventDto::new(outsider, at(11))).unwrap();
        assert_eq!(json["membership"], serde_json::Value::Null);
        assert!(row().visible_to(false));
    }

    #[test]
    fn pages_are_parsed_and_clamped_like_the_server() {
        assert_eq!(
            PageRequest::parse(None, None),
            Some(PageRequest { page: 1, size: 20 })
        );
        assert_eq!(
            PageRequest::parse(Some(" 3 "), Some("1000")),
            Some(PageRequest { page: 3, size: 100 })
        );
        assert_eq!(
            PageRequest::parse(None, Some("99999999999999999999")).map(|p| p.size),
            Some(100)
        );
        assert_eq!(PageRequest::parse(Some("0"), None), None);
        assert_eq!(PageRequest::parse(Some("x"), None), None);
        assert_eq!(PageRequest::parse(None, Some("-1")), None);
    }

    #[test]
    fn links_keep_other_parameters_and_stop_at_the_ends() {
        let link = |n| page_link("http", "h:1", "/api/v1/events/", "page=2&page_size=1", n);
        assert_eq!(link(3), "http://h:1/api/v1/events/?page_size=1&page=3");
        let request = PageRequest::parse(Some("2"), Some("1")).unwrap();
        let page = Paginated::new(request, 3, vec![1], link);
        assert_eq!(
            page.next.as_deref(),
            Some("http://h:1/api/v1/events/?page_size=1&page=3")
        );
        assert_eq!(
            page.previous.as_deref(),
            Some("http://h:1/api/v1/events/?page_size=1&page=1")
        );
        let last = PageRequest::parse(Some("3"), Some("1")).unwrap();
        assert_eq!(Paginated::new(last, 3, vec![1], link).next, None);
        let first = PageRequest::parse(None, Some("1")).unwrap();
        assert_eq!(Paginated::new(first, 3, vec![1], link).previous, None);
        // Past the end: previous is the last real page.
        let beyond = PageRequest::parse(Some("9"), Some("2")).unwrap();
        let page = Paginated::<i32>::new(beyond, 3, vec![], link);
        assert_eq!(
            page.previous.as_deref(),
            Some("http://h:1/api/v1/events/?page_size=1&page=2")
        );
    }
}
