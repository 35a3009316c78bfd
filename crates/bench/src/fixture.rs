//! The data the HTTP scenarios run on, created through the public API only:
//! users (each with an access token), `events` public events (every fifth
//! one past the first ten with a capacity of 20), two-option polls to vote
//! on in the first ten events (every user a going member of those), and
//! polls with votes already cast for the results scenario.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream;
use hyper::header::HeaderValue;
use serde_json::json;

use crate::api::{Api, User};

/// Events whose polls take votes; every user joins them.
pub const VOTE_EVENTS: usize = 10;
/// Polls per vote event.
pub const POLLS_PER_VOTE_EVENT: usize = 10;
/// Polls for the results scenario (in the first event), and their voters.
pub const RESULT_POLLS: usize = 20;
pub const RESULT_VOTERS: usize = 30;
/// API calls in flight at once while seeding.
const SEED_CONCURRENCY: usize = 16;

/// How much to seed.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub users: usize,
    pub events: usize,
}

/// A seeded user as the load workloads use them.
pub struct Member {
    pub user: User,
    /// `Bearer <access>`, ready for the Authorization header.
    pub auth: HeaderValue,
    /// The JSON body of a login as this user.
    pub login: String,
}

/// A two-option poll.
#[derive(Clone, Copy, Debug)]
pub struct Poll {
    pub id: i64,
    pub options: [i64; 2],
}

pub struct Fixture {
    pub members: Vec<Member>,
    /// Every seeded event's id, in creation order.
    pub events: Vec<i64>,
    pub vote_polls: Vec<Poll>,
    pub result_polls: Vec<Poll>,
}

impl Fixture {
    pub fn member(&self, n: u64) -> &Member {
        &self.members[(n % self.members.len() as u64) as usize]
    }

    /// The events that take joins in the mixed workload (not the vote
    /// events, which everyone has joined already).
    pub fn joinable(&self) -> &[i64] {
        &self.events[VOTE_EVENTS.min(self.events.len())..]
    }
}

/// Seeds everything through `api`, reporting progress on stderr.
pub async fn seed(api: &Api, size: Size) -> Result<Arc<Fixture>, String> {
    if size.users < RESULT_VOTERS.max(VOTE_EVENTS) || size.events < VOTE_EVENTS {
        return Err(format!(
            "need at least {} users and {VOTE_EVENTS} events",
            RESULT_VOTERS.max(VOTE_EVENTS)
        ));
    }
    let started = Instant::now();
    let tag = std::process::id();
    let users: Vec<User> = stream::iter(0..size.users)
        .map(|n| {
            let api = api.clone();
            async move { api.register(&format!("bench{tag}u{n}")).await }
        })
        .buffered(SEED_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    eprintln!(
        "  seeded {} users ({:.1} s)",
        users.len(),
        started.elapsed().as_secs_f64()
    );

    // Events, organised round-robin by the first ten users, starting from
    // tomorrow, one hour apart.
    let base = chrono::Utc::now() + chrono::Duration::days(1);
    let events: Vec<i64> = stream::iter(0..size.events)
        .map(|n| {
            let organiser = &users[n % VOTE_EVENTS];
            let date = (base + chrono::Duration::hours(n as i64)).to_rfc3339();
            let capacity = (n >= VOTE_EVENTS && n % 5 == 4).then_some(20);
            let body = json!({
                "title": format!("Community meetup #{n}"),
                "description": "Monthly gathering of the neighbourhood: talks, food and planning for next month.",
                "location": "Community Center, Main Street 1",
                "date": date,
                "max_participants": capacity,
            });
            async move { api.create_event_with(organiser, &body).await }
        })
        .buffered(SEED_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    eprintln!(
        "  seeded {} events ({:.1} s)",
        events.len(),
        started.elapsed().as_secs_f64()
    );

    // Everyone joins the vote events (their organisers already belong).
    let joins: Vec<(usize, i64)> = (0..users.len())
        .flat_map(|u| {
            events[..VOTE_EVENTS]
                .iter()
                .enumerate()
                .filter(move |(e, _)| *e != u)
                .map(move |(_, &event)| (u, event))
        })
        .collect();
    stream::iter(joins)
        .map(|(u, event)| {
            let user = &users[u];
            async move { api.join(user, event).await }
        })
        .buffer_unordered(SEED_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<()>, _>>()?;

    let vote_polls = create_polls(
        api,
        (0..VOTE_EVENTS * POLLS_PER_VOTE_EVENT).map(|n| {
            let e = n / POLLS_PER_VOTE_EVENT;
            (
                &users[e],
                events[e],
                format!("Where do we meet next? ({n})"),
            )
        }),
    )
    .await?;
    let result_polls = create_polls(
        api,
        (0..RESULT_POLLS).map(|n| (&users[0], events[0], format!("Which snacks? ({n})"))),
    )
    .await?;
    let votes: Vec<(usize, Poll)> = result_polls
        .iter()
        .flat_map(|poll| (0..RESULT_VOTERS).map(move |u| (u, *poll)))
        .collect();
    stream::iter(votes)
        .map(|(u, poll)| {
            let user = &users[u];
            async move { api.vote(user, poll.id, poll.options[u % 3 / 2]).await }
        })
        .buffer_unordered(SEED_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<()>, _>>()?;
    eprintln!(
        "  seeded memberships, {} polls and {} votes ({:.1} s)",
        vote_polls.len() + result_polls.len(),
        RESULT_POLLS * RESULT_VOTERS,
        started.elapsed().as_secs_f64()
    );

    let members = users
        .into_iter()
        .map(|user| {
            let auth = HeaderValue::from_str(&format!("Bearer {}", user.access))
                .map_err(|e| format!("token header: {e}"))?;
            let login =
                json!({"username": user.username, "password": crate::api::PASSWORD}).to_string();
            Ok(Member { user, auth, login })
        })
        .collect::<Result<_, String>>()?;
    Ok(Arc::new(Fixture {
        members,
        events,
        vote_polls,
        result_polls,
    }))
}

async fn create_polls<'a>(
    api: &Api,
    specs: impl Iterator<Item = (&'a User, i64, String)>,
) -> Result<Vec<Poll>, String> {
    stream::iter(specs)
        .map(|(user, event, title)| async move {
            let (id, options) = api.create_poll_titled(user, event, &title).await?;
            match options[..] {
                [a, b] => Ok(Poll {
                    id,
                    options: [a, b],
                }),
                _ => Err(format!("poll {id}: expected two options, got {options:?}")),
            }
        })
        .buffered(SEED_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}
