//! Builders and assertions the contract tests share: users, events, tasks and
//! polls with sensible defaults, and checks of the error contracts.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use gatherhub_domain::access::Actor;
use gatherhub_domain::event::{
    Capacity, EventDescription, EventTitle, Location, NewEvent, Visibility,
};
use gatherhub_domain::poll::{NewPoll, PollDescription, PollOptions, PollTitle};
use gatherhub_domain::task::{NewTask, Priority, TaskDescription, TaskTitle};
use gatherhub_domain::user::User;
use gatherhub_domain::{EventId, PageRequest, UserId};
use gatherhub_ports::{
    Clock, Conflict, EventView, NewUser, PollView, RepoError, RepoResult, Repositories, SystemClock,
};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

/// An id no store has handed out in a fresh test.
pub const MISSING: i64 = 987_654_321;

/// The current instant at the precision every store keeps (microseconds).
pub fn now() -> DateTime<Utc> {
    SystemClock.now()
}

pub fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

pub fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// A page request of `page` (1-based) with `size` items.
pub fn page(page: i64, size: i64) -> PageRequest {
    PageRequest::new(Some(page), Some(size)).unwrap()
}

/// The largest page: enough for every list a contract test builds.
pub fn all() -> PageRequest {
    page(1, 100)
}

pub fn new_user(username: &str, email: &str) -> NewUser {
    NewUser {
        username: username.to_owned(),
        email: email.to_owned(),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$fake${username}"),
        first_name: format!("{username}-first"),
        last_name: format!("{username}-last"),
        is_staff: false,
        date_joined: now(),
    }
}

/// A regular user `name` with email `name@example.com`.
pub async fn user(repos: &Repositories, name: &str) -> User {
    repos
        .users
        .create(new_user(name, &format!("{name}@example.com")))
        .await
        .unwrap()
}

/// A staff user.
pub async fn staff(repos: &Repositories, name: &str) -> User {
    let user = NewUser {
        is_staff: true,
        ..new_user(name, &format!("{name}@example.com"))
    };
    repos.users.create(user).await.unwrap()
}

/// `count` users named `{prefix}{i}`.
pub async fn users(repos: &Repositories, prefix: &str, count: usize) -> Vec<User> {
    let mut users = Vec::with_capacity(count);
    for i in 0..count {
        users.push(user(repos, &format!("{prefix}{i}")).await);
    }
    users
}

pub fn actor(user: &User) -> Actor {
    Actor {
        user_id: user.id,
        is_staff: user.is_staff,
    }
}

pub fn capacity(n: i64) -> Capacity {
    Capacity::new(n).unwrap()
}

/// A public event `title` on `date`, without end, location or capacity.
pub fn new_event(title: &str, date: DateTime<Utc>) -> NewEvent {
    NewEvent {
        title: EventTitle::parse(title).unwrap(),
        description: EventDescription::parse("").unwrap(),
        date,
        end_date: None,
        location: Location::parse("").unwrap(),
        max_participants: None,
        visibility: Visibility::Public,
    }
}

/// A public event a week ahead organized by `organizer`, holding `cap`
/// going members (organizer included) or unlimited.
pub async fn event(repos: &Repositories, organizer: &User, cap: Option<i64>) -> EventView {
    let at = now();
    let event = NewEvent {
        max_participants: cap.map(capacity),
        ..new_event("Community Meetup", at + days(7))
    };
    repos
        .events
        .create_event(event, organizer.id, at)
        .await
        .unwrap()
}

/// A private event a week ahead organized by `organizer`.
pub async fn private_event(repos: &Repositories, organizer: &User, cap: Option<i64>) -> EventView {
    let at = now();
    let event = NewEvent {
        max_participants: cap.map(capacity),
        visibility: Visibility::Private,
        ..new_event("Private Dinner", at + days(7))
    };
    repos
        .events
        .create_event(event, organizer.id, at)
        .await
        .unwrap()
}

/// Makes each user join `event` in order, asserting the join succeeded.
pub async fn join_all(repos: &Repositories, event: EventId, users: &[&User]) {
    for user in users {
        repos
            .events
            .join_event(event, user.id, now())
            .await
            .unwrap();
    }
}

pub fn new_task(event: EventId, title: &str) -> NewTask {
    NewTask {
        event_id: event,
        title: TaskTitle::parse(title).unwrap(),
        description: TaskDescription::parse("").unwrap(),
        priority: Priority::default(),
        due_date: None,
        assignee_id: None,
    }
}

pub fn new_poll(event: EventId, title: &str, options: &[&str]) -> NewPoll {
    NewPoll {
        event_id: event,
        title: PollTitle::parse(title).unwrap(),
        description: PollDescription::parse("").unwrap(),
        options: PollOptions::parse(options).unwrap(),
        multiple_choice: false,
        anonymous: false,
        ends_at: None,
    }
}

/// A single-choice poll with options A, B and C created by `creator`.
pub async fn poll(repos: &Repositories, event: EventId, creator: &User) -> PollView {
    let poll = new_poll(event, "Where do we meet?", &["A", "B", "C"]);
    repos
        .polls
        .create_poll(poll, creator.id, now())
        .await
        .unwrap()
}

/// The vote count of every option, in option order.
pub fn counts(view: &PollView) -> Vec<u64> {
    view.options.iter().map(|(_, votes)| *votes).collect()
}

pub fn user_ids(users: &[&User]) -> Vec<UserId> {
    users.iter().map(|u| u.id).collect()
}

#[track_caller]
pub fn assert_not_found<T: Debug>(result: RepoResult<T>) {
    match result {
        Err(RepoError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[track_caller]
pub fn assert_conflict<T: Debug>(result: RepoResult<T>, expected: Conflict) {
    match result {
        Err(RepoError::Conflict(conflict)) if conflict == expected => {}
        other => panic!("expected Conflict({expected:?}), got {other:?}"),
    }
}

#[track_caller]
pub fn assert_invalid<T: Debug>(result: RepoResult<T>, field: &str) {
    match result {
        Err(RepoError::Invalid(error)) if error.field == field => {}
        other => panic!("expected Invalid on field {field:?}, got {other:?}"),
    }
}

/// Runs `count` copies of `work` (given their index) on the runtime's worker
/// threads, released together by a barrier for the most contention, and
/// returns their outputs in index order.
pub async fn concurrently<F, Fut, T>(count: usize, work: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(count));
    let mut set = JoinSet::new();
    for i in 0..count {
        let barrier = barrier.clone();
        let job = work(i);
        set.spawn(async move {
            barrier.wait().await;
            (i, job.await)
        });
    }
    let mut outputs = Vec::with_capacity(count);
    while let Some(joined) = set.join_next().await {
        outputs.push(joined.unwrap());
    }
    outputs.sort_by_key(|(i, _)| *i);
    outputs.into_iter().map(|(_, output)| output).collect()
}
