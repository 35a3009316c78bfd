//! Argon2id password hashing on a small pool of low-priority threads, with
//! bounded concurrency and a dummy hash so that unknown users cost as much as
//! wrong passwords.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::{self, try_generate_salt};
use argon2::{Algorithm, Argon2, Params, Version};
use gatherhub_ports::auth::{HashError, PasswordHasher};
use tokio::sync::{Semaphore, oneshot};

use crate::pool::{HashPool, Scratch};

/// The Argon2 variant new hashes use.
const ALGORITHM: Algorithm = Algorithm::Argon2id;

/// The Argon2 version new hashes use.
const VERSION: Version = Version::V0x13;

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
/// Hashing never runs on the caller's thread: each computation runs on one of
/// the hasher's own threads (at most `max_concurrency` of them, started on first
/// use and kept for the hasher's lifetime), and the async caller awaits its
/// result without occupying its worker (nor tokio's blocking pool).
///
/// Those threads run at a lower scheduling priority (on Linux, their nice value
/// is raised by 10): under a login flood the request handlers, database queries
/// and everything else at normal priority get the CPU first, and hashes use what
/// is left (all of it when nothing else runs). If the priority cannot be lowered
/// (not Linux, or refused), a warning is logged once and hashing runs at normal
/// priority. Tokio's threads are never reniced.
///
/// Concurrency is bounded by a semaphore, sized by default to the available
/// parallelism. Each hash is CPU-bound for its whole duration and works in
/// `m_cost_kib` of memory (19 MiB with OWASP parameters): each hashing thread
/// allocates that buffer on its first hash and reuses it for every later one,
/// so hashing holds at most `max_concurrency × m_cost_kib`, however many
/// logins are served. (Verifying a stored hash made with a larger memory cost
/// than the configured one uses a one-off buffer of that size.) Without the bound a
/// login flood would start a computation per attempt: hundreds of them each
/// holding 19 MiB, all competing for the same cores, so every login slows down
/// and memory spikes by gigabytes. With it, at most one hash per core runs and
/// the rest wait as cheap futures in a FIFO queue, which the server's rate
/// limiter and request timeouts can shed. A permit is held until its hash
/// finishes, even if the request that started it was dropped, so cancelled
/// requests cannot exceed the bound either.
///
/// Dropping the hasher never waits: its threads finish the computations already
/// started and exit.
pub struct Argon2Hasher {
    argon2: Argon2<'static>,
    params: HashParams,
    dummy_hash: Arc<str>,
    permits: Arc<Semaphore>,
    pool: HashPool,
    max_concurrency: usize,
}

impl Argon2Hasher {
    /// A hasher with `params`, which `argon2::Params::new` must accept.
    ///
    /// Cheap: nothing is hashed and no hashing memory is allocated until the
    /// first call.
    pub fn new(params: HashParams) -> Result<Self, HashError> {
        let argon2_params = Params::new(params.m_cost_kib, params.t_cost, params.p_cost, None)
            .map_err(|err| HashError(format!("invalid argon2 parameters: {err}")))?;
        let argon2 = Argon2::new(ALGORITHM, VERSION, argon2_params);
        let blocks = argon2.params().block_count();
        let dummy_hash = dummy_phc(argon2.params())?;
        let max_concurrency = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Ok(Self {
            argon2,
            params,
            dummy_hash: dummy_hash.into(),
            permits: Arc::new(Semaphore::new(max_concurrency)),
            pool: HashPool::new(max_concurrency, blocks),
            max_concurrency,
        })
    }

    /// A hasher with OWASP's parameters (m=19456 KiB, t=2, p=1).
    pub fn owasp() -> Result<Self, HashError> {
        Self::new(HashParams::OWASP)
    }

    /// Replaces the bound on concurrent hash computations, which is also the
    /// number of hashing threads (by default the available parallelism).
    #[must_use]
    pub fn with_max_concurrency(mut self, limit: NonZeroUsize) -> Self {
        self.max_concurrency = limit.get();
        self.permits = Arc::new(Semaphore::new(self.max_concurrency));
        // Any threads of the old pool exit once their queue is drained (and
        // free their buffers).
        self.pool = HashPool::new(self.max_concurrency, self.argon2.params().block_count());
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

    /// Runs `job` on the hashing threads, with the thread's working memory,
    /// once a permit is free. The permit moves into the job, so it is released
    /// only when the computation ends.
    async fn run_blocking<T, F>(&self, job: F) -> Result<T, HashError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Scratch) -> Result<T, HashError> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| HashError("password hasher is shut down".to_owned()))?;
        let (done, outcome) = oneshot::channel();
        self.pool.execute(Box::new(move |scratch: &mut Scratch| {
            let result = job(scratch);
            drop(permit);
            // The caller may have given up waiting; the result is then unused.
            let _ = done.send(result);
        }))?;
        outcome
            .await
            .map_err(|_| HashError("password hashing task failed".to_owned()))?
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

/// Hashes `password` with `argon2`'s parameters and a fresh random salt, in
/// `scratch`'s memory, into a PHC string.
///
/// The string is exactly what argon2's `PasswordHasher::hash_password` makes
/// (argon2 0.6 `hash_password_with_salt`): the salt is the same 16 bytes from
/// the system RNG (`password_hash::try_generate_salt`), the output has the
/// parameters' output length (32 bytes by default), and the string carries the
/// algorithm, version, `m`, `t`, `p` (and `keyid`/`data` if set), salt and
/// output. Only the memory differs: ours is reused, the crate's allocated.
fn hash_into_phc(
    argon2: &Argon2<'_>,
    password: &[u8],
    scratch: &mut Scratch,
) -> Result<String, HashError> {
    let failed = |err: &dyn fmt::Display| HashError(format!("hashing the password failed: {err}"));
    let salt = random_salt().map_err(|err| failed(&err))?;
    let params = argon2.params();
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let out = output_buffer(&mut buffer, params).map_err(|err| failed(&err))?;
    let memory = scratch.blocks(params.block_count())?;
    argon2
        .hash_password_into_with_memory(password, &salt, &mut *out, memory)
        .map_err(|err| failed(&err))?;
    phc_string(params, salt, out).map_err(|err| failed(&err))
}

/// The dummy hash that unknown users are checked against: a PHC string with
/// the configured algorithm, version and parameters, a random salt and an
/// all-zero output of the configured length.
///
/// Nothing is hashed to make it: its output never matters, since a check
/// against it is always reported as a mismatch, while checking against it
/// costs exactly what checking a real hash costs (parse, one Argon2
/// computation with the same parameters in the same memory, constant-time
/// comparison). Not computing it also keeps `new` from allocating and freeing
/// `m_cost` of memory: freeing such a block raises glibc's dynamic mmap
/// threshold to its size, after which every smaller large allocation in the
/// process is served from (and kept by) the heap instead of being unmapped.
fn dummy_phc(params: &Params) -> Result<String, HashError> {
    let failed = |err: &dyn fmt::Display| HashError(format!("making the dummy hash failed: {err}"));
    let salt = random_salt().map_err(|err| failed(&err))?;
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let out = output_buffer(&mut buffer, params).map_err(|err| failed(&err))?;
    phc_string(params, salt, out).map_err(|err| failed(&err))
}

/// A random salt of the recommended 16 bytes from the system RNG, exactly as
/// argon2's `PasswordHasher::hash_password` makes it.
fn random_salt() -> Result<Salt, Box<dyn std::error::Error>> {
    Ok(Salt::new(&try_generate_salt()?)?)
}

/// The first `params.output_len()` bytes (32 by default) of `buffer`.
fn output_buffer<'a>(
    buffer: &'a mut [u8; Output::MAX_LENGTH],
    params: &Params,
) -> Result<&'a mut [u8], password_hash::Error> {
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    buffer
        .get_mut(..output_len)
        .ok_or(password_hash::Error::OutputSize)
}

/// The PHC string for an Argon2 hash with the configured algorithm and
/// version, as argon2 0.6's `hash_password_with_salt` builds it.
fn phc_string(params: &Params, salt: Salt, output: &[u8]) -> Result<String, password_hash::Error> {
    let hash = PasswordHash {
        algorithm: ALGORITHM.ident(),
        version: Some(VERSION.into()),
        params: ParamsString::try_from(params)?,
        salt: Some(salt),
        hash: Some(Output::new(output)?),
    };
    Ok(hash.to_string())
}

/// Checks `password` against the PHC string `stored`, in `scratch`'s memory:
/// `Ok(false)` on a mismatch, an error when `stored` is not a usable Argon2
/// hash.
///
/// Like argon2's `PasswordVerifier::verify_password`, the algorithm, version,
/// parameters, salt and output length all come from `stored`, not from the
/// hasher's configuration, and the outputs are compared in constant time
/// (`phc::Output`'s `PartialEq` uses `ctutils::CtEq`).
fn check(password: &str, stored: &str, scratch: &mut Scratch) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(stored)
        .map_err(|err| HashError(format!("stored password hash is malformed: {err}")))?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(HashError(
            "stored password hash has no salt or output".to_owned(),
        ));
    };
    let unusable =
        |err: &dyn fmt::Display| HashError(format!("stored password hash is unusable: {err}"));
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(|err| unusable(&err))?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|err| unusable(&err))?
        .unwrap_or_default();
    // Includes the output length of the stored hash.
    let params = Params::try_from(&parsed).map_err(|err| unusable(&err))?;
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let out = buffer
        .get_mut(..expected.len())
        .ok_or_else(|| unusable(&password_hash::Error::OutputSize))?;
    let memory = scratch.blocks(blocks)?;
    argon2
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut *out, memory)
        .map_err(|err| unusable(&err))?;
    let computed = Output::new(out).map_err(|err| unusable(&err))?;
    Ok(computed == *expected)
}

#[async_trait::async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: String) -> Result<String, HashError> {
        let argon2 = self.argon2.clone();
        self.run_blocking(move |scratch| hash_into_phc(&argon2, password.as_bytes(), scratch))
            .await
    }

    async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        match hash {
            Some(stored) => {
                self.run_blocking(move |scratch| check(&password, &stored, scratch))
                    .await
            }
            None => {
                // Same work as a real check (parse + one Argon2 computation with
                // the same parameters, in the same memory), but the answer is
                // always "no".
                let dummy = Arc::clone(&self.dummy_hash);
                self.run_blocking(move |scratch| check(&password, &dummy, scratch).map(|_| false))
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
    async fn unknown_user_path_is_always_false() {
        let hasher = tiny();
        for password in ["anything", "", "correct horse battery"] {
            assert!(!hasher.verify(password.into(), None).await.unwrap());
        }
    }

    /// The dummy hash is a well-formed hash with the configured parameters, a
    /// fresh salt and a full-length output, so checking it does a real check's
    /// work (it is not rejected early as malformed).
    #[tokio::test]
    async fn the_dummy_hash_is_a_usable_hash() {
        let hasher = Argon2Hasher::new(SMALL).unwrap();
        let parsed = PasswordHash::new(&hasher.dummy_hash).unwrap();
        assert_eq!(parsed.salt.as_ref().unwrap().len(), 16);
        assert_eq!(parsed.hash.as_ref().unwrap().len(), 32);
        let stored = hasher.dummy_hash.to_string();
        assert!(
            !hasher
                .verify("anything".into(), Some(stored))
                .await
                .unwrap()
        );
        assert_ne!(
            Argon2Hasher::new(SMALL).unwrap().dummy_hash,
            hasher.dummy_hash,
            "salted afresh"
        );
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

    /// Hashing runs at a lower priority than the caller, on the pool's own
    /// threads; neither the caller's thread nor tokio's blocking pool (where
    /// the database queries run) is reniced.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_threads_run_at_a_lower_priority_than_everything_else() {
        use crate::pool::test_support::current_thread_nice;
        use crate::pool::{MAX_NICE, NICE_INCREMENT};

        let caller = current_thread_nice();
        let hasher = tiny();
        let (nice, name) = hasher
            .run_blocking(|_| {
                let name = std::thread::current().name().map(str::to_owned);
                Ok((current_thread_nice(), name))
            })
            .await
            .unwrap();
        assert_eq!(nice, (caller + NICE_INCREMENT).min(MAX_NICE));
        if caller < MAX_NICE {
            assert!(nice > caller, "hashing at nice {nice}, caller at {caller}");
        }
        assert!(
            name.as_deref().is_some_and(|n| n.starts_with("argon2-")),
            "{name:?}"
        );
        // A real hash and verification run there too.
        let hash = hasher.hash("pw".into()).await.unwrap();
        assert!(hasher.verify("pw".into(), Some(hash)).await.unwrap());

        assert_eq!(current_thread_nice(), caller, "the caller was reniced");
        let blocking = tokio::task::spawn_blocking(current_thread_nice)
            .await
            .unwrap();
        assert_eq!(blocking, caller, "tokio's blocking pool was reniced");
    }

    /// The threads are kept and reused, never more than the bound.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_threads_are_reused_not_spawned_per_call() {
        let limit = NonZeroUsize::new(2).unwrap();
        let hasher = Arc::new(tiny().with_max_concurrency(limit));
        assert_eq!(hasher.pool.thread_count(), 0, "threads start lazily");
        let tasks: Vec<_> = (0..24)
            .map(|_| {
                let hasher = Arc::clone(&hasher);
                tokio::spawn(async move {
                    hasher
                        .run_blocking(|_| Ok(std::thread::current().id()))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut threads = std::collections::HashSet::new();
        for task in tasks {
            threads.insert(task.await.unwrap());
        }
        for _ in 0..8 {
            let id = hasher
                .run_blocking(|_| Ok(std::thread::current().id()))
                .await
                .unwrap();
            threads.insert(id);
        }
        assert!(threads.len() <= 2, "{} distinct threads", threads.len());
        assert!(hasher.pool.thread_count() <= 2);
        assert!(hasher.pool.thread_count() >= 1);
        assert!(!threads.contains(&std::thread::current().id()));
    }

    /// With a bound of N, the N+1th computation waits (asynchronously) for a
    /// permit, and starts as soon as one is released.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_computation_beyond_the_bound_waits_for_a_free_slot() {
        use std::sync::atomic::AtomicBool;
        use std::sync::mpsc;

        let hasher = Arc::new(tiny().with_max_concurrency(NonZeroUsize::new(2).unwrap()));
        // Two computations that hold their slots until released.
        let (started_tx, started_rx) = mpsc::channel();
        let mut releases = Vec::new();
        let mut holders = Vec::new();
        for _ in 0..2 {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            releases.push(release_tx);
            let started_tx = started_tx.clone();
            let hasher = Arc::clone(&hasher);
            holders.push(tokio::spawn(async move {
                hasher
                    .run_blocking(move |_| {
                        started_tx.send(()).unwrap();
                        release_rx.recv().unwrap();
                        Ok(())
                    })
                    .await
            }));
        }
        // Both run at once: the pool has a thread per permit. (The timeout only
        // turns a deadlock into a failure.)
        for _ in 0..2 {
            tokio::task::block_in_place(|| {
                started_rx
                    .recv_timeout(std::time::Duration::from_secs(30))
                    .expect("both bounded computations should run concurrently")
            });
        }
        assert_eq!(hasher.permits.available_permits(), 0);

        let third_ran = Arc::new(AtomicBool::new(false));
        let third = {
            let hasher = Arc::clone(&hasher);
            let third_ran = Arc::clone(&third_ran);
            tokio::spawn(async move {
                hasher
                    .run_blocking(move |_| {
                        third_ran.store(true, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
            })
        };
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!third.is_finished(), "the third computation did not wait");
        assert!(!third_ran.load(Ordering::SeqCst));

        releases.remove(0).send(()).unwrap();
        third.await.unwrap().unwrap();
        assert!(third_ran.load(Ordering::SeqCst));
        releases.remove(0).send(()).unwrap();
        for holder in holders {
            holder.await.unwrap().unwrap();
        }
        assert_eq!(hasher.permits.available_permits(), 2);
        assert!(hasher.pool.thread_count() <= 2);
    }

    /// Dropping the hasher returns at once, even with a computation still
    /// running, and its threads then exit (they do not leak).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropping_the_hasher_does_not_hang_and_its_threads_exit() {
        use std::sync::mpsc;

        let hasher = tiny().with_max_concurrency(NonZeroUsize::new(2).unwrap());
        let threads = hasher.pool.thread_counter();
        let hash = hasher.hash("pw".into()).await.unwrap();
        assert!(hasher.verify("pw".into(), Some(hash)).await.unwrap());
        assert!(threads.load(Ordering::Acquire) >= 1);

        // A computation still running when the hasher goes away: its caller
        // gave up (the future is dropped), the thread finishes it.
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        {
            let pending = hasher.run_blocking(move |_| {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                Ok(())
            });
            tokio::pin!(pending);
            tokio::select! {
                biased;
                _ = &mut pending => panic!("the computation should still be blocked"),
                _ = tokio::task::yield_now() => {}
            }
        }
        tokio::task::block_in_place(|| {
            started_rx
                .recv_timeout(std::time::Duration::from_secs(30))
                .unwrap();
        });
        drop(hasher);
        assert!(
            threads.load(Ordering::Acquire) >= 1,
            "a job is still running"
        );
        release_tx.send(()).unwrap();

        // The threads exit once the queue is closed and empty. (The deadline
        // only turns a leak into a failure instead of a hang.)
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while threads.load(Ordering::Acquire) > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{} hashing threads still alive after the hasher was dropped",
                threads.load(Ordering::Acquire)
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Replacing the bound replaces the pool: the old one's threads exit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn replacing_the_bound_retires_the_old_threads() {
        let hasher = tiny();
        let old = hasher.pool.thread_counter();
        hasher.hash("pw".into()).await.unwrap();
        assert_eq!(old.load(Ordering::Acquire), 1);
        let hasher = hasher.with_max_concurrency(NonZeroUsize::MIN);
        hasher.hash("pw".into()).await.unwrap();
        assert_eq!(hasher.pool.thread_count(), 1);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while old.load(Ordering::Acquire) > 0 {
            assert!(std::time::Instant::now() < deadline, "old threads leaked");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Many tasks hashing at once on a single async worker all complete, and
    /// every permit comes back.
    #[tokio::test(flavor = "current_thread")]
    async fn many_concurrent_tasks_on_one_worker() {
        let hasher = Arc::new(tiny());
        let hash = hasher.hash("pw".into()).await.unwrap();
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let hasher = Arc::clone(&hasher);
                let hash = hash.clone();
                tokio::spawn(async move {
                    let password = if i % 2 == 0 { "pw" } else { "other" };
                    hasher.verify(password.into(), Some(hash)).await.unwrap() == (i % 2 == 0)
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap());
        }
        assert_eq!(hasher.permits.available_permits(), hasher.max_concurrency());
    }

    /// Small parameters for the compatibility tests (m=64 KiB, t=2, p=1).
    const SMALL: HashParams = HashParams {
        m_cost_kib: 64,
        t_cost: 2,
        p_cost: 1,
    };

    fn crate_argon2(params: HashParams) -> Argon2<'static> {
        let params = Params::new(params.m_cost_kib, params.t_cost, params.p_cost, None).unwrap();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// What the reusable-memory path produces is exactly what argon2's own
    /// `hash_password` would (same string for the same salt), and the crate's
    /// verifier accepts it — even when the thread's buffer already held an
    /// earlier computation.
    #[tokio::test]
    async fn new_hashes_are_the_crates_hashes_and_verify_with_the_crate() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};

        let hasher = Argon2Hasher::new(SMALL)
            .unwrap()
            .with_max_concurrency(NonZeroUsize::MIN);
        let crate_argon2 = crate_argon2(SMALL);
        // Dirty the (single) thread's buffer first.
        hasher.hash("something else entirely".into()).await.unwrap();
        for password in ["correct horse battery", "", "\u{e9}t\u{e9} \u{1f600}"] {
            let ours = hasher.hash(password.into()).await.unwrap();
            let parsed = PasswordHash::new(&ours).unwrap();
            assert_eq!(parsed.algorithm.as_str(), "argon2id");
            assert_eq!(parsed.version, Some(19));
            assert_eq!(parsed.params.to_string(), "m=64,t=2,p=1");
            assert_eq!(parsed.salt.as_ref().unwrap().len(), 16);
            assert_eq!(parsed.hash.as_ref().unwrap().len(), 32);

            let salt = parsed.salt.as_ref().unwrap();
            let theirs = crate_argon2
                .hash_password_with_salt(password.as_bytes(), salt)
                .unwrap()
                .to_string();
            assert_eq!(ours, theirs);

            assert_eq!(
                Argon2::default().verify_password(password.as_bytes(), &parsed),
                Ok(())
            );
            assert_eq!(
                Argon2::default().verify_password(b"wrong password", &parsed),
                Err(password_hash::Error::PasswordInvalid)
            );
        }
    }

    /// Hashes made by argon2's own `hash_password` verify through the
    /// reusable-memory path, whatever parameters they were made with.
    #[tokio::test]
    async fn the_crates_hashes_verify_with_the_new_path() {
        use argon2::PasswordHasher as _;

        let hasher = Argon2Hasher::new(SMALL)
            .unwrap()
            .with_max_concurrency(NonZeroUsize::MIN);
        let variants = [
            // The configured parameters.
            crate_argon2(SMALL),
            // Smaller memory than configured (a prefix of the buffer), more
            // lanes and passes.
            crate_argon2(HashParams {
                m_cost_kib: 16,
                t_cost: 3,
                p_cost: 2,
            }),
            // Larger memory than configured (a one-off buffer).
            crate_argon2(HashParams {
                m_cost_kib: 256,
                t_cost: 1,
                p_cost: 1,
            }),
            // Another output length, algorithm and version.
            Argon2::new(
                Algorithm::Argon2i,
                Version::V0x10,
                Params::new(32, 2, 1, Some(16)).unwrap(),
            ),
            Argon2::new(
                Algorithm::Argon2d,
                Version::V0x13,
                Params::new(48, 1, 1, Some(64)).unwrap(),
            ),
        ];
        for argon2 in variants {
            let stored = argon2
                .hash_password(b"correct horse battery")
                .unwrap()
                .to_string();
            assert!(
                hasher
                    .verify("correct horse battery".into(), Some(stored.clone()))
                    .await
                    .unwrap(),
                "{stored}"
            );
            assert!(
                !hasher
                    .verify("correct horse batterY".into(), Some(stored.clone()))
                    .await
                    .unwrap(),
                "{stored}"
            );
            assert!(
                !hasher
                    .verify(String::new(), Some(stored.clone()))
                    .await
                    .unwrap(),
                "{stored}"
            );
        }
    }

    /// Stored hashes the crate would refuse are errors here too, not
    /// mismatches.
    #[tokio::test]
    async fn unusable_stored_hashes_are_errors() {
        let hasher = tiny();
        let good = hasher.hash("pw".into()).await.unwrap();
        let rest = good.strip_prefix("$argon2id$v=19$").unwrap();
        for stored in [
            format!("$argon2x$v=19${rest}"),
            format!("$argon2id$v=18${rest}"),
            format!(
                "$argon2id$v=19$m=8,t=0,p=1${}",
                rest.split_once('$').unwrap().1
            ),
            // No salt/output, or only a salt.
            "$argon2id$v=19$m=8,t=1,p=1".to_owned(),
            good.rsplit_once('$').unwrap().0.to_owned(),
            // An output shorter than the minimum.
            format!("{}$AAAA", good.rsplit_once('$').unwrap().0),
        ] {
            let result = hasher.verify("pw".into(), Some(stored.clone())).await;
            assert!(result.is_err(), "{stored:?} gave {result:?}");
        }
        assert!(hasher.verify("pw".into(), Some(good)).await.unwrap());
    }

    /// Each hashing thread allocates its buffer once, on its first hash, and
    /// every later hash, verification and dummy check reuses it. A stored hash
    /// needing more memory than configured gets a one-off buffer and leaves the
    /// thread's buffer as it was.
    #[tokio::test]
    async fn each_thread_reuses_one_buffer() {
        use argon2::PasswordHasher as _;

        /// (allocations, one-offs, address, length) of the thread's memory.
        async fn probe(hasher: &Argon2Hasher) -> (usize, usize, usize, usize) {
            hasher
                .run_blocking(|scratch| {
                    Ok((
                        scratch.allocations(),
                        scratch.one_offs(),
                        scratch.buffer_address(),
                        scratch.buffer_len(),
                    ))
                })
                .await
                .unwrap()
        }

        let hasher = Argon2Hasher::new(SMALL)
            .unwrap()
            .with_max_concurrency(NonZeroUsize::MIN);
        let (allocations, one_offs, _, len) = probe(&hasher).await;
        assert_eq!((allocations, one_offs, len), (0, 0, 0), "allocated lazily");

        let hash = hasher.hash("pw".into()).await.unwrap();
        let first = probe(&hasher).await;
        assert_eq!(first.0, 1);
        assert_eq!(first.3, 64, "sized for the configured parameters");

        for _ in 0..3 {
            hasher.hash("other".into()).await.unwrap();
            assert!(
                hasher
                    .verify("pw".into(), Some(hash.clone()))
                    .await
                    .unwrap()
            );
            assert!(
                !hasher
                    .verify("no".into(), Some(hash.clone()))
                    .await
                    .unwrap()
            );
            assert!(!hasher.verify("pw".into(), None).await.unwrap());
        }
        // A smaller stored hash uses part of the same buffer.
        let small = crate_argon2(TINY).hash_password(b"pw").unwrap().to_string();
        assert!(hasher.verify("pw".into(), Some(small)).await.unwrap());
        assert_eq!(probe(&hasher).await, first);

        // A larger one: a one-off, the thread's buffer unchanged.
        let large = crate_argon2(HashParams {
            m_cost_kib: 128,
            t_cost: 1,
            p_cost: 1,
        })
        .hash_password(b"pw")
        .unwrap()
        .to_string();
        assert!(hasher.verify("pw".into(), Some(large)).await.unwrap());
        let (allocations, one_offs, address, len) = probe(&hasher).await;
        assert_eq!(one_offs, 1);
        assert_eq!((allocations, address, len), (first.0, first.2, first.3));
        // And the next configured-size hash is back in the same buffer.
        hasher.hash("pw".into()).await.unwrap();
        assert_eq!(probe(&hasher).await, (first.0, 1, first.2, first.3));
    }

    #[test]
    fn debug_does_not_show_the_dummy_hash() {
        let hasher = tiny();
        let shown = format!("{hasher:?}");
        assert!(shown.contains("Argon2Hasher"));
        assert!(!shown.contains("$argon2id$"), "{shown}");
    }
}
