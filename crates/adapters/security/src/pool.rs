//! A small pool of dedicated OS threads, at a lowered scheduling priority, on
//! which password hashes run.
//!
//! Argon2 is CPU-bound for tens of milliseconds per call. On tokio's blocking
//! pool a login flood would compete on equal terms with the request handlers
//! and with the database queries that also run there. These threads instead
//! raise their own nice value (Linux: `setpriority(PRIO_PROCESS, tid)`, which
//! affects only the calling thread), so the scheduler prefers every normal
//! thread over them while they still use all the CPU nobody else wants. Only
//! the pool's own threads are reniced, never the caller's or tokio's.
//!
//! Each thread also owns one Argon2 working buffer ([`Scratch`]), allocated on
//! its first hash and reused by every later one, so the process holds at most
//! `threads × m_cost` of hashing memory however many logins it serves. (A
//! fresh 19 MiB buffer per hash, as `Argon2::hash_password` allocates, ends up
//! kept by glibc's arenas once its dynamic mmap threshold has risen: the RSS
//! then grows with every concurrent login and never comes back.)

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, Once, PoisonError};

use argon2::Block;
use gatherhub_ports::auth::HashError;

/// How far each hashing thread raises its nice value above the one it started
/// with (capped at 19, the lowest priority).
pub(crate) const NICE_INCREMENT: i32 = 10;

/// The highest nice value (lowest priority) Linux accepts.
#[cfg(any(target_os = "linux", target_os = "android", test))]
pub(crate) const MAX_NICE: i32 = 19;

/// A unit of work for a pool thread, given that thread's working memory.
pub(crate) type Job = Box<dyn FnOnce(&mut Scratch) + Send + 'static>;

/// A hashing thread's Argon2 working memory: one buffer of the configured
/// parameters' block count, allocated on first use and then reused for every
/// computation on that thread until the thread exits.
///
/// Reusing it without clearing it is safe: `Argon2::hash_password_into_with_memory`
/// (argon2 0.6, `fill_blocks`) writes the first two blocks of each lane from the
/// initial hash and then, in the first pass, assigns (not XORs) every further
/// block before any read of it — references only ever point at blocks already
/// computed in this run — and it uses only the first `block_count` blocks of
/// the slice it is given. The result therefore does not depend on what the
/// buffer held before (the tests check this against the crate's own
/// allocating path). The previous password's state stays in the buffer until
/// the next computation overwrites it, as it used to stay in freed memory: the
/// crate does not zero its own buffers either (its `zeroize` feature is off).
pub(crate) struct Scratch {
    /// The block count the buffer is sized for.
    capacity: usize,
    /// Empty until the first computation, then exactly `capacity` blocks.
    blocks: Vec<Block>,
    /// Allocations of the reusable buffer (at most one per thread).
    #[cfg(test)]
    allocations: usize,
    /// One-off buffers allocated for hashes larger than `capacity`.
    #[cfg(test)]
    one_offs: usize,
}

/// Memory for one Argon2 computation: the thread's buffer, or a one-off
/// allocation freed when the computation ends.
pub(crate) enum Memory<'a> {
    /// (A prefix of) the thread's reusable buffer.
    Reused(&'a mut [Block]),
    /// A buffer for a computation larger than the reusable one.
    OneOff(Vec<Block>),
}

impl AsMut<[Block]> for Memory<'_> {
    fn as_mut(&mut self) -> &mut [Block] {
        match self {
            Self::Reused(blocks) => blocks,
            Self::OneOff(blocks) => blocks,
        }
    }
}

impl Scratch {
    /// Working memory sized for `capacity` blocks; nothing is allocated yet.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            blocks: Vec::new(),
            #[cfg(test)]
            allocations: 0,
            #[cfg(test)]
            one_offs: 0,
        }
    }

    /// Memory for a computation over `count` blocks.
    ///
    /// Up to the configured size it is the thread's buffer (allocated now if
    /// this is the thread's first computation). A larger count — a stored hash
    /// made with bigger parameters than the configured ones — gets a one-off
    /// buffer instead, so no stored hash can make the thread keep more than the
    /// configured memory. Allocation failures are errors, not aborts.
    pub(crate) fn blocks(&mut self, count: usize) -> Result<Memory<'_>, HashError> {
        if count > self.capacity {
            #[cfg(test)]
            {
                self.one_offs += 1;
            }
            return Ok(Memory::OneOff(allocate(count)?));
        }
        if self.blocks.len() < self.capacity {
            self.blocks = allocate(self.capacity)?;
            #[cfg(test)]
            {
                self.allocations += 1;
            }
        }
        let blocks = self.blocks.get_mut(..count).ok_or_else(|| {
            HashError("password hashing memory is smaller than configured".to_owned())
        })?;
        Ok(Memory::Reused(blocks))
    }

    /// How often the reusable buffer was allocated.
    #[cfg(test)]
    pub(crate) fn allocations(&self) -> usize {
        self.allocations
    }

    /// How many one-off buffers were allocated.
    #[cfg(test)]
    pub(crate) fn one_offs(&self) -> usize {
        self.one_offs
    }

    /// Where the reusable buffer lives (dangling while unallocated).
    #[cfg(test)]
    pub(crate) fn buffer_address(&self) -> usize {
        self.blocks.as_ptr() as usize
    }

    /// The reusable buffer's length in blocks (0 until first used).
    #[cfg(test)]
    pub(crate) fn buffer_len(&self) -> usize {
        self.blocks.len()
    }
}

/// `count` zeroed blocks, or an error if the memory is not available.
fn allocate(count: usize) -> Result<Vec<Block>, HashError> {
    let mut blocks = Vec::new();
    blocks.try_reserve_exact(count).map_err(|err| {
        HashError(format!(
            "could not allocate {count} KiB for password hashing: {err}"
        ))
    })?;
    blocks.resize(count, Block::new());
    Ok(blocks)
}

/// Up to `max_threads` threads, started lazily (one per submitted job until the
/// limit is reached) and reused for the pool's lifetime. Dropping the pool
/// closes the queue: each thread finishes the jobs already queued and exits; the
/// drop itself never waits for them.
///
/// The pool does not bound how many jobs wait in its queue; callers bound it
/// (the hasher holds a semaphore permit per queued or running job).
pub(crate) struct HashPool {
    jobs: Sender<Job>,
    queue: Arc<Mutex<Receiver<Job>>>,
    max_threads: usize,
    /// The size, in Argon2 blocks, of each thread's reusable buffer.
    blocks_per_thread: usize,
    /// Threads started (or being started) and not yet exited.
    threads: Arc<AtomicUsize>,
}

impl HashPool {
    /// A pool of at most `max_threads` threads (at least one); none is started
    /// until the first job. Each thread's working memory holds
    /// `blocks_per_thread` Argon2 blocks (1 KiB each) once first used.
    pub(crate) fn new(max_threads: usize, blocks_per_thread: usize) -> Self {
        let (jobs, queue) = mpsc::channel();
        Self {
            jobs,
            queue: Arc::new(Mutex::new(queue)),
            max_threads: max_threads.max(1),
            blocks_per_thread,
            threads: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Queues `job` for the next free pool thread, first starting another
    /// thread if fewer than `max_threads` exist. Fails only when no thread can
    /// be started at all.
    pub(crate) fn execute(&self, job: Job) -> Result<(), HashError> {
        self.grow()?;
        self.jobs
            .send(job)
            .map_err(|_| HashError("password hashing pool is shut down".to_owned()))
    }

    /// Threads currently alive (or being started).
    #[cfg(test)]
    pub(crate) fn thread_count(&self) -> usize {
        self.threads.load(Ordering::Acquire)
    }

    /// A handle on the live-thread counter that outlives the pool.
    #[cfg(test)]
    pub(crate) fn thread_counter(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.threads)
    }

    fn grow(&self) -> Result<(), HashError> {
        let max = self.max_threads;
        let Ok(index) = self
            .threads
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
        else {
            return Ok(());
        };
        // The slot is released by the thread when it exits, or below if it
        // never starts.
        let slot = ThreadSlot(Arc::clone(&self.threads));
        let queue = Arc::clone(&self.queue);
        let scratch = Scratch::new(self.blocks_per_thread);
        let spawned = std::thread::Builder::new()
            .name(format!("argon2-{index}"))
            .spawn(move || work(&queue, scratch, slot));
        match spawned {
            Ok(_detached) => Ok(()),
            // The closure (and its slot) was dropped: the counter is back down.
            Err(err) if self.threads.load(Ordering::Acquire) == 0 => Err(HashError(format!(
                "could not start a password hashing thread: {err}"
            ))),
            Err(err) => {
                tracing::warn!(error = %err, "could not start another password hashing thread");
                Ok(())
            }
        }
    }
}

/// Counts a pool thread as alive until dropped (when the thread exits, or
/// with the spawn closure when the thread could not be started).
struct ThreadSlot(Arc<AtomicUsize>);

impl Drop for ThreadSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A pool thread's life: lower its priority, then run jobs, each with the
/// thread's working memory, until the queue is closed and empty.
fn work(queue: &Mutex<Receiver<Job>>, mut scratch: Scratch, _slot: ThreadSlot) {
    lower_priority();
    loop {
        // Whoever holds the lock waits for the next job; the other idle threads
        // wait for the lock.
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = next else {
            return;
        };
        // A panicking job (argon2 does not panic) drops its result sender, so
        // its caller gets an error; the thread keeps serving the others.
        let _ = catch_unwind(AssertUnwindSafe(|| job(&mut scratch)));
    }
}

/// Raises the calling thread's nice value by [`NICE_INCREMENT`], warning once
/// per process if that is not possible.
fn lower_priority() {
    if let Err(reason) = renice_current_thread() {
        static WARNED: Once = Once::new();
        WARNED.call_once(|| {
            tracing::warn!(
                reason = %reason,
                "password hashing threads run at normal priority: lowering it failed"
            );
        });
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn renice_current_thread() -> Result<(), String> {
    // On Linux PRIO_PROCESS with a thread id changes only that thread.
    let tid = rustix::thread::gettid();
    let current = rustix::process::getpriority_process(Some(tid))
        .map_err(|err| format!("getpriority: {err}"))?;
    let target = current.saturating_add(NICE_INCREMENT).min(MAX_NICE);
    if target > current {
        rustix::process::setpriority_process(Some(tid), target)
            .map_err(|err| format!("setpriority: {err}"))?;
    }
    Ok(())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn renice_current_thread() -> Result<(), String> {
    // Elsewhere setpriority(PRIO_PROCESS) would renice the whole process.
    Err("per-thread priorities are only supported on Linux".to_owned())
}

#[cfg(test)]
pub(crate) mod test_support {
    /// The calling thread's nice value.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn current_thread_nice() -> i32 {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
    }
}
