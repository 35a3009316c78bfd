//! A service over the in-memory store with a clock the tests move by hand.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};
use gatherhub_app::events::{EventInput, EventService};
use gatherhub_app::{Actor, AppError, Deps};
use gatherhub_domain::EventId;
use gatherhub_memory::MemoryStore;
use gatherhub_ports::{Clock, EventView, NewUser, Repositories};
use gatherhub_security::{Argon2Hasher, HashParams, JwtConfig, JwtIssuer};

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

pub struct Harness {
    pub events: EventService,
    pub deps: Deps,
    pub clock: Arc<ManualClock>,
}

impl Harness {
    pub fn new() -> Self {
        let start = Utc::now()
            .duration_trunc(TimeDelta::microseconds(1))
            .unwrap();
        let clock = Arc::new(ManualClock(Mutex::new(start)));
        let hasher = Argon2Hasher::new(HashParams {
            m_cost_kib: 64,
            t_cost: 1,
            p_cost: 1,
        })
        .unwrap();
        let tokens = JwtIssuer::new(JwtConfig::new(vec![7u8; 64])).unwrap();
        let deps = Deps {
            repos: Repositories::from_store(Arc::new(MemoryStore::new())),
            hasher: Arc::new(hasher),
            tokens: Arc::new(tokens),
            clock: clock.clone(),
            realtime: gatherhub_ports::Realtime::disabled(),
        };
        Self {
            events: EventService::new(deps.clone()),
            deps,
            clock,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn user_with(&self, username: &str, is_staff: bool) -> Actor {
        let user = self
            .deps
            .repos
            .users
            .create(NewUser {
                username: username.to_owned(),
                email: format!("{username}@example.com"),
                password_hash: "not-a-real-hash".to_owned(),
                first_name: "First".to_owned(),
                last_name: "Last".to_owned(),
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

    pub async fn user(&self, username: &str) -> Actor {
        self.user_with(username, false).await
    }

    pub async fn staff(&self, username: &str) -> Actor {
        self.user_with(username, true).await
    }

    /// A valid input for an event a day ahead.
    pub fn input(&self, title: &str) -> EventInput {
        EventInput {
            title: Some(title.to_owned()),
            date: Some(self.now() + Duration::days(1)),
            ..EventInput::default()
        }
    }

    pub async fn event(&self, organizer: &Actor, input: EventInput) -> EventView {
        self.events.create(organizer, input).await.unwrap()
    }

    pub async fn public(&self, organizer: &Actor, title: &str) -> EventId {
        self.event(organizer, self.input(title)).await.event.id
    }

    pub async fn private(&self, organizer: &Actor, title: &str) -> EventId {
        let input = EventInput {
            visibility: Some("private".to_owned()),
            ..self.input(title)
        };
        self.event(organizer, input).await.event.id
    }

    pub async fn limited(&self, organizer: &Actor, title: &str, max: i64) -> EventId {
        let input = EventInput {
            max_participants: Some(Some(max)),
            ..self.input(title)
        };
        self.event(organizer, input).await.event.id
    }
}

/// The fields of a validation error, or a panic naming what came instead.
pub fn fields(result: Result<impl std::fmt::Debug, AppError>) -> Vec<String> {
    match result {
        Err(AppError::Validation(errors)) => errors.fields().keys().cloned().collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The messages of one field of a validation error.
pub fn messages(result: Result<impl std::fmt::Debug, AppError>, field: &str) -> Vec<String> {
    match result {
        Err(AppError::Validation(errors)) => {
            errors.fields().get(field).cloned().unwrap_or_default()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}
