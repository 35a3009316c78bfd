//! What each HTTP scenario sends. Every workload is deterministic: a shared
//! counter picks the user, event or poll of each request, so runs are
//! comparable and two servers can be driven with exactly the same requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::StatusCode;
use hyper::header::HeaderValue;

use crate::fixture::{Fixture, Poll};
use crate::load::{Planned, Workload};

/// Page size of the list scenario (the API's default).
pub const PAGE_SIZE: usize = 20;

/// A counter shared by a workload's connections.
#[derive(Default)]
struct Seq(AtomicU64);

impl Seq {
    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

/// Spreads consecutive numbers over `len` items (a stride coprime with
/// most sizes, so neighbours in time hit different rows).
fn spread(n: u64, len: usize) -> usize {
    (n.wrapping_mul(7919) % len as u64) as usize
}

pub fn detail_path(event: i64) -> String {
    format!("/api/v1/events/{event}/")
}

pub fn list_path(page: usize) -> String {
    format!("/api/v1/events/?page={page}&page_size={PAGE_SIZE}")
}

/// `GET /events/{id}/` over every seeded event, as rotating users.
pub struct EventDetail {
    pub fixture: Arc<Fixture>,
    seq: Seq,
}

impl EventDetail {
    pub fn new(fixture: Arc<Fixture>) -> Self {
        Self {
            fixture,
            seq: Seq::default(),
        }
    }

    fn plan(&self, n: u64) -> Planned {
        let event = self.fixture.events[spread(n, self.fixture.events.len())];
        Planned::get(detail_path(event), Some(&self.fixture.member(n).auth))
    }
}

impl Workload for EventDetail {
    fn next(&self, _: usize) -> Option<Planned> {
        Some(self.plan(self.seq.next()))
    }
}

/// `GET /events/?page=N&page_size=20` over every page of the seeded events.
pub struct EventList {
    pub fixture: Arc<Fixture>,
    seq: Seq,
}

impl EventList {
    pub fn new(fixture: Arc<Fixture>) -> Self {
        Self {
            fixture,
            seq: Seq::default(),
        }
    }

    pub fn pages(&self) -> usize {
        self.fixture.events.len().div_ceil(PAGE_SIZE)
    }

    fn plan(&self, n: u64) -> Planned {
        let page = 1 + (n % self.pages() as u64) as usize;
        Planned::get(list_path(page), Some(&self.fixture.member(n).auth))
    }
}

impl Workload for EventList {
    fn next(&self, _: usize) -> Option<Planned> {
        Some(self.plan(self.seq.next()))
    }
}

/// `GET /voting/{id}/results/` of polls with 30 votes each.
pub struct PollResults {
    pub fixture: Arc<Fixture>,
    seq: Seq,
}

impl PollResults {
    pub fn new(fixture: Arc<Fixture>) -> Self {
        Self {
            fixture,
            seq: Seq::default(),
        }
    }

    fn plan(&self, n: u64) -> Planned {
        let polls = &self.fixture.result_polls;
        let poll = polls[(n % polls.len() as u64) as usize];
        Planned::get(
            format!("/api/v1/voting/{}/results/", poll.id),
            Some(&self.fixture.member(n).auth),
        )
    }
}

impl Workload for PollResults {
    fn next(&self, _: usize) -> Option<Planned> {
        Some(self.plan(self.seq.next()))
    }
}

/// `POST /auth/login/` as rotating users (Argon2 verification each time).
pub struct Login {
    pub fixture: Arc<Fixture>,
    seq: Seq,
}

impl Login {
    pub fn new(fixture: Arc<Fixture>) -> Self {
        Self {
            fixture,
            seq: Seq::default(),
        }
    }
}

impl Workload for Login {
    fn next(&self, _: usize) -> Option<Planned> {
        let member = self.fixture.member(self.seq.next());
        Some(Planned::post(
            "/api/v1/auth/login/".into(),
            member.login.clone(),
            None,
        ))
    }
}

/// `POST /events/` as rotating users.
pub struct CreateEvent {
    pub fixture: Arc<Fixture>,
    seq: Seq,
    date: String,
}

impl CreateEvent {
    pub fn new(fixture: Arc<Fixture>) -> Self {
        let date = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
        Self {
            fixture,
            seq: Seq::default(),
            date,
        }
    }

    fn plan(&self, n: u64) -> Planned {
        let body = format!(
            r#"{{"title":"Created under load {n}","description":"Bench","location":"Hall","date":"{}"}}"#,
            self.date
        );
        Planned::post(
            "/api/v1/events/".into(),
            body,
            Some(&self.fixture.member(n).auth),
        )
    }
}

impl Workload for CreateEvent {
    fn next(&self, _: usize) -> Option<Planned> {
        Some(self.plan(self.seq.next()))
    }
}

/// Fresh (user, poll) pairs for votes, and the tallies they must produce.
///
/// Pair `i` is poll `i mod P` and user `i div P`, so consecutive votes hit
/// different polls and no pair repeats; the option is `(user + poll) mod 2`.
/// Every `201` is counted towards the expected tally of its option; a `200`
/// (a changed vote) cannot happen with fresh pairs and is counted apart.
pub struct VoteLedger {
    fixture: Arc<Fixture>,
    next: AtomicU64,
    expected: Vec<[AtomicU64; 2]>,
    changed: AtomicU64,
}

impl VoteLedger {
    pub fn new(fixture: Arc<Fixture>) -> Self {
        let expected = fixture
            .vote_polls
            .iter()
            .map(|_| [AtomicU64::new(0), AtomicU64::new(0)])
            .collect();
        Self {
            fixture,
            next: AtomicU64::new(0),
            expected,
            changed: AtomicU64::new(0),
        }
    }

    fn capacity(&self) -> u64 {
        (self.fixture.vote_polls.len() * self.fixture.members.len()) as u64
    }

    /// The next fresh vote, or `None` once every pair has voted.
    fn plan(&self) -> Option<Planned> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if i >= self.capacity() {
            return None;
        }
        let polls = self.fixture.vote_polls.len() as u64;
        let (p, u) = ((i % polls) as usize, (i / polls) as usize);
        let poll = self.fixture.vote_polls[p];
        let option = poll.options[(u + p) % 2];
        Some(
            Planned::post(
                format!("/api/v1/voting/{}/vote/", poll.id),
                format!(r#"{{"option_id":{option}}}"#),
                Some(&self.fixture.members[u].auth),
            )
            .tagged(i),
        )
    }

    fn record(&self, i: u64, status: StatusCode) {
        let polls = self.fixture.vote_polls.len() as u64;
        let (p, u) = ((i % polls) as usize, (i / polls) as usize);
        match status {
            StatusCode::CREATED => {
                self.expected[p][(u + p) % 2].fetch_add(1, Ordering::Relaxed);
            }
            StatusCode::OK => {
                self.changed.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// Votes used so far, of all pairs.
    pub fn used(&self) -> (u64, u64) {
        (
            self.next.load(Ordering::Relaxed).min(self.capacity()),
            self.capacity(),
        )
    }

    /// Responses that reported a changed vote (should be none).
    pub fn changed(&self) -> u64 {
        self.changed.load(Ordering::Relaxed)
    }

    /// The expected votes per option of every vote poll.
    pub fn expected(&self) -> Vec<(Poll, [u64; 2])> {
        self.fixture
            .vote_polls
            .iter()
            .zip(&self.expected)
            .map(|(poll, [a, b])| {
                (
                    *poll,
                    [a.load(Ordering::Relaxed), b.load(Ordering::Relaxed)],
                )
            })
            .collect()
    }
}

/// `POST /voting/{id}/vote/`, each request a fresh (user, poll) pair.
pub struct CastVote(pub Arc<VoteLedger>);

impl Workload for CastVote {
    fn next(&self, _: usize) -> Option<Planned> {
        self.0.plan()
    }

    fn completed(&self, tag: u64, status: StatusCode, _: &[u8]) {
        self.0.record(tag, status);
    }
}

/// Tags of the mixed workload's votes (the rest are untagged).
const VOTE_TAG: u64 = 1 << 63;

/// 80 % reads (40 event detail, 25 list pages, 15 poll results), 15 %
/// writes that contend (8 votes on fresh pairs, 7 joins of fresh (user,
/// event) pairs, some onto waitlists), 5 % event creation.
pub struct Mixed {
    detail: EventDetail,
    list: EventList,
    results: PollResults,
    create: CreateEvent,
    votes: Arc<VoteLedger>,
    joins: Seq,
    seq: Seq,
}

impl Mixed {
    pub fn new(fixture: Arc<Fixture>, votes: Arc<VoteLedger>) -> Self {
        Self {
            detail: EventDetail::new(Arc::clone(&fixture)),
            list: EventList::new(Arc::clone(&fixture)),
            results: PollResults::new(Arc::clone(&fixture)),
            create: CreateEvent::new(fixture),
            votes,
            joins: Seq::default(),
            seq: Seq::default(),
        }
    }

    fn join(&self) -> Planned {
        let fixture = &self.detail.fixture;
        let events = fixture.joinable();
        let i = self.joins.next();
        let event = events[(i % events.len() as u64) as usize];
        let member = fixture.member(i / events.len() as u64);
        Planned::post(
            format!("/api/v1/events/{event}/join/"),
            "{}".into(),
            Some(&member.auth),
        )
    }
}

impl Workload for Mixed {
    fn next(&self, _: usize) -> Option<Planned> {
        let n = self.seq.next();
        Some(match n % 100 {
            0..40 => self.detail.plan(n),
            40..65 => self.list.plan(n),
            65..80 => self.results.plan(n),
            80..88 => match self.votes.plan() {
                Some(vote) => {
                    let tag = VOTE_TAG | vote.tag;
                    vote.tagged(tag)
                }
                None => self.detail.plan(n),
            },
            88..95 => self.join(),
            _ => self.create.plan(n),
        })
    }

    fn completed(&self, tag: u64, status: StatusCode, _: &[u8]) {
        if tag & VOTE_TAG != 0 {
            self.votes.record(tag & !VOTE_TAG, status);
        }
    }
}

/// The same request over and over (a probe: `/health/live/`, one event).
pub struct Fixed {
    pub path: String,
    pub auth: Option<HeaderValue>,
}

impl Workload for Fixed {
    fn next(&self, _: usize) -> Option<Planned> {
        Some(Planned::get(self.path.clone(), self.auth.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_visits_every_item_of_a_prime_free_size() {
        let len = 500;
        let mut seen = vec![false; len];
        for n in 0..len as u64 {
            seen[spread(n, len)] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
