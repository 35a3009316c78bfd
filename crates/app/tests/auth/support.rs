//! Test wiring for AuthService: the in-memory store behind a user repository
//! that can deactivate accounts, a fast Argon2id hasher that counts its
//! checks, real JWTs, and a clock the tests move.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use gatherhub_app::auth::{AuthService, Authenticated, RegisterInput};
use gatherhub_app::{AppError, Deps};
use gatherhub_domain::UserId;
use gatherhub_domain::user::User;
use gatherhub_memory::MemoryStore;
use gatherhub_ports::auth::HashError;
use gatherhub_ports::{
    AvatarChange, Clock, NewUser, PasswordHasher, ProfileUpdate, RepoResult, Repositories,
    SystemClock, UserRepo,
};
use gatherhub_security::{Argon2Hasher, HashParams, JwtConfig, JwtIssuer};

/// A password the policy accepts for every username used in these tests.
pub const PASSWORD: &str = "correct-horse-battery";

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// The memory store's users, except those marked inactive here.
pub struct Users {
    store: Arc<MemoryStore>,
    inactive: Mutex<HashSet<UserId>>,
}

impl Users {
    fn mark(&self, mut user: Option<User>) -> Option<User> {
        if let Some(user) = &mut user
            && self.inactive.lock().unwrap().contains(&user.id)
        {
            user.is_active = false;
        }
        user
    }
}

// Written out as `async_trait` expands, to keep this crate's dev-dependencies as they are.
impl UserRepo for Users {
    fn create<'a, 'f>(&'a self, user: NewUser) -> Boxed<'f, RepoResult<User>>
    where
        'a: 'f,
    {
        Box::pin(async move { self.store.create(user).await })
    }
    fn get<'a, 'f>(&'a self, id: UserId) -> Boxed<'f, RepoResult<Option<User>>>
    where
        'a: 'f,
    {
        Box::pin(async move { Ok(self.mark(self.store.get(id).await?)) })
    }
    fn find_by_login<'a, 'b, 'f>(&'a self, login: &'b str) -> Boxed<'f, RepoResult<Option<User>>>
    where
        'a: 'f,
        'b: 'f,
    {
        Box::pin(async move { Ok(self.mark(self.store.find_by_login(login).await?)) })
    }
    fn find_by_username<'a, 'b, 'f>(
        &'a self,
        username: &'b str,
    ) -> Boxed<'f, RepoResult<Option<User>>>
    where
        'a: 'f,
        'b: 'f,
    {
        Box::pin(async move { Ok(self.mark(self.store.find_by_username(username).await?)) })
    }
    fn update_profile<'a, 'f>(
        &'a self,
        id: UserId,
        update: ProfileUpdate,
    ) -> Boxed<'f, RepoResult<User>>
    where
        'a: 'f,
    {
        Box::pin(async move { self.store.update_profile(id, update).await })
    }
    fn set_password<'a, 'b, 'f>(&'a self, id: UserId, hash: &'b str) -> Boxed<'f, RepoResult<()>>
    where
        'a: 'f,
        'b: 'f,
    {
        Box::pin(async move { self.store.set_password(id, hash).await })
    }
    fn set_avatar<'a, 'b, 'f>(
        &'a self,
        id: UserId,
        url: Option<&'b str>,
    ) -> Boxed<'f, RepoResult<AvatarChange>>
    where
        'a: 'f,
        'b: 'f,
    {
        Box::pin(async move { self.store.set_avatar(id, url).await })
    }
    fn record_login<'a, 'f>(&'a self, id: UserId, at: DateTime<Utc>) -> Boxed<'f, RepoResult<()>>
    where
        'a: 'f,
    {
        Box::pin(async move { self.store.record_login(id, at).await })
    }
}

/// Argon2id with tiny parameters, counting `verify` calls.
pub struct CountingHasher {
    inner: Argon2Hasher,
    verifies: AtomicUsize,
}

impl PasswordHasher for CountingHasher {
    fn hash<'a, 'f>(&'a self, password: String) -> Boxed<'f, Result<String, HashError>>
    where
        'a: 'f,
    {
        Box::pin(async move { self.inner.hash(password).await })
    }
    fn verify<'a, 'f>(
        &'a self,
        password: String,
        hash: Option<String>,
    ) -> Boxed<'f, Result<bool, HashError>>
    where
        'a: 'f,
    {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { self.inner.verify(password, hash).await })
    }
}

pub struct Harness {
    pub auth: AuthService,
    pub clock: Arc<TestClock>,
    pub users: Arc<Users>,
    pub hasher: Arc<CountingHasher>,
    pub tokens: Arc<JwtIssuer>,
}

impl Harness {
    pub fn deactivate(&self, user: UserId) {
        self.users.inactive.lock().unwrap().insert(user);
    }

    pub fn verifies(&self) -> usize {
        self.hasher.verifies.load(Ordering::SeqCst)
    }

    /// Registers `username` with `<username>@example.com` and [`PASSWORD`].
    pub async fn register(&self, username: &str) -> Authenticated {
        self.auth
            .register(registration(username))
            .await
            .unwrap_or_else(|error| panic!("registering {username}: {error:?}"))
    }
}

pub fn harness() -> Harness {
    let store = Arc::new(MemoryStore::new());
    let users = Arc::new(Users {
        store: store.clone(),
        inactive: Mutex::default(),
    });
    let mut repos = Repositories::from_store(store);
    repos.users = users.clone();
    let clock = Arc::new(TestClock(Mutex::new(SystemClock.now())));
    let params = HashParams {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };
    let hasher = Arc::new(CountingHasher {
        inner: Argon2Hasher::new(params).unwrap(),
        verifies: AtomicUsize::new(0),
    });
    let tokens = Arc::new(
        JwtIssuer::new(JwtConfig::new(vec![7u8; 32]))
            .unwrap()
            .with_clock(clock.clone()),
    );
    let deps = Deps {
        repos,
        hasher: hasher.clone(),
        tokens: tokens.clone(),
        clock: clock.clone(),
        realtime: gatherhub_ports::Realtime::disabled(),
    };
    Harness {
        auth: AuthService::new(deps),
        clock,
        users,
        hasher,
        tokens,
    }
}

pub fn registration(username: &str) -> RegisterInput {
    RegisterInput {
        username: Some(username.to_owned()),
        email: Some(format!("{username}@example.com")),
        password: Some(PASSWORD.to_owned()),
        first_name: Some("Ada".to_owned()),
        last_name: None,
    }
}

/// The field errors of a validation failure, or a panic naming what came instead.
pub fn field_errors(result: Result<impl std::fmt::Debug, AppError>) -> Vec<(String, Vec<String>)> {
    match result {
        Err(AppError::Validation(errors)) => errors.fields().clone().into_iter().collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The messages under one field of a validation failure.
pub fn messages(result: Result<impl std::fmt::Debug, AppError>, field: &str) -> Vec<String> {
    field_errors(result)
        .into_iter()
        .find(|(name, _)| name == field)
        .map(|(_, messages)| messages)
        .unwrap_or_else(|| panic!("no error under {field}"))
}
