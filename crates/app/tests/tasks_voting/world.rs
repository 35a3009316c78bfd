//! A small world for the task and voting tests: an `App` over a fresh
//! in-memory store with a clock the test moves, and builders for users,
//! events and memberships.

#![allow(dead_code, reason = "each test crate uses a different part")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use gatherhub_app::{Actor, App, AppError, ConflictCode, Deps};
use gatherhub_domain::event::{
    Capacity, EventDescription, EventTitle, Location, NewEvent, Visibility,
};
use gatherhub_domain::membership::MemberStatus;
use gatherhub_domain::{EventId, UserId};
use gatherhub_memory::MemoryStore;
use gatherhub_ports::{Clock, NewUser, Repositories, SystemClock};
use gatherhub_security::{Argon2Hasher, HashParams, JwtConfig, JwtIssuer};

/// A clock that stands still until the test moves it.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

pub struct World {
    pub app: App,
    pub repos: Repositories,
    pub clock: Arc<ManualClock>,
}

impl World {
    pub fn new() -> Self {
        let repos = Repositories::from_store(Arc::new(MemoryStore::new()));
        let clock = Arc::new(ManualClock(Mutex::new(SystemClock.now())));
        let hasher = Argon2Hasher::new(HashParams {
            m_cost_kib: 8,
            t_cost: 1,
            p_cost: 1,
        })
        .unwrap();
        let tokens = JwtIssuer::new(JwtConfig::new(vec![7u8; 32])).unwrap();
        let app = App::new(Deps {
            repos: repos.clone(),
            hasher: Arc::new(hasher),
            tokens: Arc::new(tokens),
            clock: clock.clone(),
            realtime: gatherhub_ports::Realtime::disabled(),
        });
        Self { app, repos, clock }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn account(&self, name: &str, is_staff: bool) -> Actor {
        let user = self
            .repos
            .users
            .create(NewUser {
                username: name.to_owned(),
                email: format!("{name}@example.com"),
                password_hash: "not-a-real-hash".to_owned(),
                first_name: format!("{name}-first"),
                last_name: String::new(),
                is_staff,
                date_joined: self.now(),
            })
            .await
            .unwrap();
        Actor {
            user_id: user.id,
            is_staff,
        }
    }

    pub async fn user(&self, name: &str) -> Actor {
        self.account(name, false).await
    }

    pub async fn staff(&self, name: &str) -> Actor {
        self.account(name, true).await
    }

    /// An event a week ahead organized by `organizer`.
    pub async fn event(
        &self,
        organizer: &Actor,
        visibility: Visibility,
        capacity: Option<i64>,
    ) -> EventId {
        let event = NewEvent {
            title: EventTitle::parse("Meetup").unwrap(),
            description: EventDescription::parse("").unwrap(),
            date: self.now() + Duration::days(7),
            end_date: None,
            location: Location::parse("").unwrap(),
            max_participants: capacity.map(|c| Capacity::new(c).unwrap()),
            visibility,
        };
        let view = self
            .repos
            .events
            .create_event(event, organizer.user_id, self.now())
            .await
            .unwrap();
        view.event.id
    }

    pub async fn public_event(&self, organizer: &Actor) -> EventId {
        self.event(organizer, Visibility::Public, None).await
    }

    pub async fn join(&self, event: EventId, user: &Actor) -> MemberStatus {
        let joined = self
            .repos
            .events
            .join_event(event, user.user_id, self.now())
            .await
            .unwrap();
        joined.membership.status
    }

    /// A public event organized by `organizer` with `members` going and one
    /// extra user waitlisted (capacity = organizer + members).
    pub async fn full_event(
        &self,
        organizer: &Actor,
        members: &[&Actor],
        waitlisted: &Actor,
    ) -> EventId {
        let capacity = i64::try_from(members.len()).unwrap() + 1;
        let event = self
            .event(organizer, Visibility::Public, Some(capacity))
            .await;
        for member in members {
            assert_eq!(self.join(event, member).await, MemberStatus::Going);
        }
        assert_eq!(self.join(event, waitlisted).await, MemberStatus::Waitlisted);
        event
    }
}

/// The field errors of a validation failure, or a panic naming what came instead.
pub fn fields<T: std::fmt::Debug>(result: Result<T, AppError>) -> BTreeMap<String, Vec<String>> {
    match result {
        Err(AppError::Validation(errors)) => errors.fields().clone(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The sorted names of the fields in error.
pub fn field_names<T: std::fmt::Debug>(result: Result<T, AppError>) -> Vec<String> {
    fields(result).into_keys().collect()
}

pub fn assert_forbidden<T: std::fmt::Debug>(result: Result<T, AppError>) {
    assert!(
        matches!(result, Err(AppError::Forbidden(_))),
        "expected Forbidden, got {result:?}"
    );
}

pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T, AppError>, what: &str) {
    match result {
        Err(AppError::NotFound(thing)) => assert_eq!(thing, what),
        other => panic!("expected NotFound({what}), got {other:?}"),
    }
}

pub fn assert_conflict<T: std::fmt::Debug>(result: Result<T, AppError>, code: ConflictCode) {
    match result {
        Err(AppError::Conflict { code: got, .. }) => assert_eq!(got, code),
        other => panic!("expected Conflict({code:?}), got {other:?}"),
    }
}

pub fn uid(actor: &Actor) -> UserId {
    actor.user_id
}
