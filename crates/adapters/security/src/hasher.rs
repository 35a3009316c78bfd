//! Argon2id password hashing on tokio's blocking pool, with bounded concurrency
//! and a dummy hash so that unknown users cost as much as wrong passwords.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;

use argon2::password_hash::{self, PasswordHasher as _, PasswordVerifier as _, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};
use gatherhub_ports::auth::{HashError, PasswordHasher};
use tokio::sync::Semaphore;

/// The password hashed for the dummy hash. Its value does not matter: a check
/// against the dummy hash always reports a mismatch.
const DUMMY_PASSWORD: &str = "gatherhub dummy password for unknown users";

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashParams {
    /// Memory cost in KiB.
    pub m_cost_kib: u32,
    /// Number of passes.
    pub t_cost: u32,
    /// Degree of parallelism (lanes).
    pub p_cost: u32,
}

impl HashParams {
    /// OWASP's recommended minimum for Argon2id: m=19456 KiB (19 MiB), t=2, p=1.
    pub const OWASP: Self = Self {
        m_cost_kib: 19_456,
        t_cost: 2,
        p_cost: 1,
    };

    /// Whether every parameter is at least [`HashParams::OWASP`], as the API
    /// requires for stored passwords. [`Argon2Hasher::new`] accepts weaker
    /// parameters (tests use them for speed); a server should refuse them.
    pub fn meets_owasp_minimum(&self) -> bool {
        self.m_cost_kib >= Self::OWASP.m_cost_kib
            && self.t_cost >= Self::OWASP.t_cost
            && self.p_cost >= Self::OWASP.p_cost
    }
}

impl Default for HashParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Argon2id (version 0x13) password hasher producing PHC strings.
///
/// All hashing runs in [`tokio::task::spawn_blocking`], so it must be used from
/// inside a tokio runtime.
///
/// Concurrency is bounded by a semaphore, sized by default to the available
/// parallelism. Each hash is CPU-bound for its whole duration and allocates
/// `m_cost_kib` of memory (19 MiB with OWASP parameters). Without the bound a
/// login flood would push every attempt onto the blocking pool (up to 512
/// threads by default): hundreds of threads each holding 19 MiB, all competing
/// for the same cores, so every login slows down and memory spikes by gigabytes.
/// With it, at most one hash per core runs and the rest wait as cheap futures in
/// a FIFO queue, which the server's rate limiter and request timeouts can shed.
/// A permit is held until its hash finishes, even if the request that started it
/// was dropped, so cancelled requests cannot exceed the bound either.
pub struct Argon2Hasher {
    argon2: Argon2<'static>,
    params: HashParams,
    dummy_hash: Arc<str>,
    permits: Arc<Semaphore>,
    max_concurrency: usize,
}

impl Argon2Hasher {
    /// A hasher with `params`, which `argon2::Params::new` must accept.
    ///
    /// Computes the dummy hash once, synchronously, so call it at startup rather
    /// than on an async worker in the middle of serving requests.
    pub fn new(params: HashParams) -> Result<Self, HashError> {
        let argon2_params = Params::new(params.m_cost_kib, params.t_cost, params.p_cost, None)
            .map_err(|err| HashError(format!("invalid argon2 parameters: {err}")))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params);
        let dummy_hash = argon2
            .hash_password(DUMMY_PASSWORD.as_bytes())
            .map_err(|err| HashError(format!("computing the dummy hash failed: {err}")))?
            .to_string();
        let max_concurrency = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Ok(Self {
            argon2,
            params,
            dummy_hash: dummy_hash.into(),
            permits: Arc::new(Semaphore::new(max_concurrency)),
            max_concurrency,
        })
    }

    /// A hasher with OWASP's parameters (m=19456 KiB, t=2, p=1).
    pub fn owasp() -> Result<Self, HashError> {
        Self::new(HashParams::OWASP)
    }

    /// Replaces the bound on concurrent hash computations (by default the
    /// available parallelism).
    #[must_use]
    pub fn with_max_concurrency(mut self, limit: NonZeroUsize) -> Self {
        self.max_concurrency = limit.get();
        self.permits = Arc::new(Semaphore::new(self.max_concurrency));
        self
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> HashParams {
        self.params
    }

    /// The most hash computations that run at once.
    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }

    /// Runs `job` on the blocking pool once a permit is free. The permit moves
    /// into the job, so it is released only when the computation ends.
    async fn run_blocking<T, F>(&self, job: F) -> Result<T, HashError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, HashError> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| HashError("password hasher is shut down".to_owned()))?;
        tokio::task::spawn_blocking(move || {
            let result = job();
            drop(permit);
            result
        })
        .await
        .map_err(|err| HashError(format!("password hashing task failed: {err}")))?
    }
}

impl fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argon2Hasher")
            .field("algorithm", &"argon2id")
            .field("version", &"0x13")
            .field("params", &self.params)
            .field("max_concurrency", &self.max_concurrency)
            .finish_non_exhaustive()
    }
}

/// Checks `password` against the PHC string `stored`: `Ok(false)` on a mismatch,
/// an error when `stored` is not a usable Argon2 hash.
fn check(argon2: &Argon2<'_>, password: &str, stored: &str) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(stored)
        .map_err(|err| HashError(format!("stored password hash is malformed: {err}")))?;
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(HashError(
            "stored password hash has no salt or output".to_owned(),
        ));
    }
    match argon2.verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(password_hash::Error::PasswordInvalid) => Ok(false),
        Err(err) => Err(HashError(format!(
            "stored password hash is unusable: {err}"
        ))),
    }
}

#[async_trait::async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, HashError> {
        let argon2 = self.argon2.clone();
        self.run_blocking(move || {
            argon2
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|err| HashError(format!("hashing the password failed: {err}")))
        })
        .await
    }

    async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let argon2 = self.argon2.clone();
        match hash {
            Some(stored) => {
                self.run_blocking(move || check(&argon2, &password, &stored))
                    .await
            }
            None => {
                // Same work as a real check (parse + one Argon2 computation with
                // the same parameters), but the answer is always "no".
                let dummy = Arc::clone(&self.dummy_hash);
                self.run_blocking(move || check(&argon2, &password, &dummy).map(|_| false))
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    /// The smallest parameters argon2 accepts, for fast tests.
    const TINY: HashParams = HashParams {
        m_cost_kib: 8,
        t_cost: 1,
        p_cost: 1,
    };

    fn tiny() -> Argon2Hasher {
        Argon2Hasher::new(TINY).unwrap()
    }

    #[tokio::test]
    async fn hash_then_verify_roundtrip() {
        let hasher = tiny();
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
        assert!(
            hasher
                .verify("correct horse battery".into(), Some(hash))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn wrong_password_is_false() {
        let hasher = tiny();
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(
            !hasher
                .verify("correct horse batterY".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify(String::new(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn salts_are_random() {
        let hasher = tiny();
        let a = hasher.hash("same password".into()).await.unwrap();
        let b = hasher.hash("same password".into()).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn unknown_user_path_is_false_even_for_the_dummy_password() {
        let hasher = tiny();
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
        assert!(!hasher.verify(DUMMY_PASSWORD.into(), None).await.unwrap());
    }

    #[test]
    fn dummy_hash_uses_the_configured_parameters() {
        let hasher = tiny();
        assert!(
            hasher.dummy_hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"),
            "{}",
            hasher.dummy_hash
        );
        let other = Argon2Hasher::new(HashParams {
            m_cost_kib: 16,
            t_cost: 2,
            p_cost: 1,
        })
        .unwrap();
        assert!(
            other.dummy_hash.starts_with("$argon2id$v=19$m=16,t=2,p=1$"),
            "{}",
            other.dummy_hash
        );
    }

    #[tokio::test]
    async fn owasp_parameters_by_default() {
        assert_eq!(
            HashParams::default(),
            HashParams {
                m_cost_kib: 19_456,
                t_cost: 2,
                p_cost: 1
            }
        );
        let hasher = Argon2Hasher::owasp().unwrap();
        assert_eq!(hasher.params(), HashParams::OWASP);
        let hash = hasher.hash("correct horse battery".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("wrong".into(), Some(hash)).await.unwrap());
        assert!(!hasher.verify("wrong".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn verifies_with_the_parameters_stored_in_the_hash() {
        let old = Argon2Hasher::new(HashParams {
            m_cost_kib: 16,
            t_cost: 2,
            p_cost: 2,
        })
        .unwrap();
        let hash = old.hash("pw".into()).await.unwrap();
        assert!(tiny().verify("pw".into(), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_an_error_not_a_mismatch() {
        let hasher = tiny();
        for stored in [
            "",
            "not a hash",
            "$argon2id$v=19$m=8,t=1,p=1",
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ",
            "$argon2id$v=19$m=8,t=1,p=1$!!!$!!!",
            "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        ] {
            let result = hasher.verify("pw".into(), Some(stored.to_owned())).await;
            assert!(result.is_err(), "{stored:?} gave {result:?}");
        }
    }

    #[test]
    fn rejects_parameters_argon2_does_not_accept() {
        for params in [
            HashParams {
                m_cost_kib: 0,
                t_cost: 1,
                p_cost: 1,
            },
            HashParams {
                m_cost_kib: 7,
                t_cost: 1,
                p_cost: 1,
            },
            HashParams {
                m_cost_kib: 8,
                t_cost: 0,
                p_cost: 1,
            },
            HashParams {
                m_cost_kib: 8,
                t_cost: 1,
                p_cost: 0,
            },
            // Memory must be at least 8 KiB per lane.
            HashParams {
                m_cost_kib: 8,
                t_cost: 1,
                p_cost: 2,
            },
        ] {
            assert!(Argon2Hasher::new(params).is_err(), "{params:?}");
        }
    }

    #[test]
    fn owasp_minimum_check() {
        assert!(HashParams::OWASP.meets_owasp_minimum());
        assert!(
            HashParams {
                m_cost_kib: 65_536,
                t_cost: 3,
                p_cost: 4
            }
            .meets_owasp_minimum()
        );
        assert!(!TINY.meets_owasp_minimum());
        assert!(
            !HashParams {
                m_cost_kib: 19_455,
                t_cost: 2,
                p_cost: 1
            }
            .meets_owasp_minimum()
        );
        assert!(
            !HashParams {
                m_cost_kib: 19_456,
                t_cost: 1,
                p_cost: 1
            }
            .meets_owasp_minimum()
        );
    }

    /// On a single-threaded runtime, a hash computed inline would starve every
    /// other task until it finished. Off the worker, other tasks keep running.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_does_not_block_the_async_worker() {
        let hasher = Argon2Hasher::new(HashParams {
            m_cost_kib: 4096,
            t_cost: 3,
            p_cost: 1,
        })
        .unwrap();
        let ticks = Arc::new(AtomicU64::new(0));
        let ticker = {
            let ticks = Arc::clone(&ticks);
            tokio::spawn(async move {
                loop {
                    ticks.fetch_add(1, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                }
            })
        };
        let hash = hasher.hash("pw".into()).await.unwrap();
        let after_hash = ticks.load(Ordering::Relaxed);
        let ok = hasher.verify("pw".into(), Some(hash)).await.unwrap();
        let after_verify = ticks.load(Ordering::Relaxed);
        ticker.abort();
        assert!(ok);
        assert!(after_hash > 0, "the async worker was blocked while hashing");
        assert!(
            after_verify > after_hash,
            "the async worker was blocked while verifying"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bounded_concurrency_still_completes_every_request() {
        let hasher = Arc::new(tiny().with_max_concurrency(NonZeroUsize::MIN));
        assert_eq!(hasher.max_concurrency(), 1);
        let hash = hasher.hash("pw".into()).await.unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let hasher = Arc::clone(&hasher);
                let hash = hash.clone();
                tokio::spawn(async move {
                    let password = if i % 2 == 0 { "pw" } else { "nope" };
                    let stored = if i % 3 == 0 { None } else { Some(hash) };
                    (i, hasher.verify(password.into(), stored).await.unwrap())
                })
            })
            .collect();
        for task in tasks {
            let (i, ok) = task.await.unwrap();
            assert_eq!(ok, i % 2 == 0 && i % 3 != 0, "request {i}");
        }
        assert_eq!(hasher.permits.available_permits(), 1);
    }

    #[test]
    fn default_concurrency_is_at_least_one() {
        let hasher = tiny();
        assert!(hasher.max_concurrency() >= 1);
        assert_eq!(hasher.permits.available_permits(), hasher.max_concurrency());
    }

    #[test]
    fn debug_does_not_show_the_dummy_hash() {
        let hasher = tiny();
        let shown = format!("{hasher:?}");
        assert!(shown.contains("Argon2Hasher"));
        assert!(!shown.contains("$argon2id$"), "{shown}");
    }
}
