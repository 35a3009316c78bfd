//! The batching log writer behind [`super::init`].
//!
//! A logging thread appends its formatted line to one shared buffer (the lock
//! is held for that copy only) and goes on: it wakes nobody. One background
//! thread (`gatherhub-log`) swaps the buffer out every flush interval, or
//! sooner when it passes the high-water mark, and hands the batch to the sink
//! in one `write_all` + `flush`, outside the lock.
//!
//! Memory is bounded both ways: buffers grow on demand (nothing is allocated
//! up front) and a drained buffer keeping more than [`Limits::keep_capacity`]
//! is shrunk. When the sink is blocked, pending bytes stop at
//! [`Limits::cap`]: the next logging thread waits for the writer to drain
//! (backpressure, no line is dropped), so the most held is one batch being
//! written plus `cap` pending (a single line longer than `cap` goes alone).
//!
//! Failures never make the buffer grow or a logging thread hang:
//! - a sink error (`EPIPE`, a full disk) loses the batch that failed, one
//!   note goes to stderr per run of failures, and the next batch is tried as
//!   usual (a pipe may come back; a full disk may be cleared);
//! - if the writer thread dies (a panicking sink), pending lines are freed
//!   and every later line is discarded, waiting threads included;
//! - after the guard is dropped, lines are discarded likewise.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// When the writer drains, and how much may wait for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest a line waits in the buffer before it is written.
    pub flush_interval: Duration,
    /// Pending bytes that wake the writer before the interval is over.
    pub high_water: usize,
    /// Pending bytes past which a logging thread waits for the writer.
    pub cap: usize,
    /// A drained buffer keeping more capacity than this is shrunk to it.
    pub keep_capacity: usize,
    /// The longest dropping the guard waits for the last batch to be written
    /// (a sink blocked for good must not hold the process up forever).
    pub shutdown_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            flush_interval: Duration::from_millis(25),
            high_water: 64 * 1024,
            cap: 4 * 1024 * 1024,
            keep_capacity: 256 * 1024,
            shutdown_wait: Duration::from_secs(5),
        }
    }
}

/// Hands tracing-subscriber a [`LineWriter`] per event; cheap to clone.
#[derive(Clone)]
pub struct BatchWriter {
    shared: Arc<Shared>,
}

/// Stops the writer thread when dropped, after writing every line logged
/// before (waiting at most [`Limits::shutdown_wait`]).
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// One event's writer: appends to the shared buffer.
pub struct LineWriter<'a> {
    shared: &'a Shared,
}

struct Shared {
    limits: Limits,
    state: Mutex<State>,
    /// The writer thread waits here (for lines, the high-water mark or the
    /// shutdown).
    wake_writer: Condvar,
    /// Logging threads at the cap (and the guard) wait here for a drain (or
    /// for the writer to finish).
    drained: Condvar,
}

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    /// The writer is parked waiting for a first line.
    writer_idle: bool,
    /// The writer was told to drain now (high-water mark or cap reached).
    kicked: bool,
    /// Logging threads waiting for a drain.
    blocked: usize,
    /// The guard was dropped: drain what is there and stop.
    shutdown: bool,
    /// The writer thread is gone (stopped or panicked): lines are discarded.
    finished: bool,
    /// The most bytes ever pending, for the tests.
    #[cfg(test)]
    peak: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held; if it ever did, the buffer
        // is still a valid byte vector.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn append(&self, line: &[u8]) {
        let mut state = self.lock();
        loop {
            if state.finished {
                return;
            }
            if state.pending.is_empty() || state.pending.len() + line.len() <= self.limits.cap {
                break;
            }
            // Full: the sink is behind. Make sure the writer is draining and
            // wait for it rather than drop the line or grow further.
            if !state.kicked {
                state.kicked = true;
                self.wake_writer.notify_one();
            }
            state.blocked += 1;
            state = self
                .drained
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.blocked -= 1;
        }
        let was_empty = state.pending.is_empty();
        state.pending.extend_from_slice(line);
        #[cfg(test)]
        {
            state.peak = state.peak.max(state.pending.len());
        }
        // At most two wakes per batch: the first line to a parked writer (it
        // then waits out the interval), and the line passing the high-water
        // mark. Every other line wakes nobody.
        let first = was_empty && state.writer_idle;
        let over = state.pending.len() >= self.limits.high_water && !state.kicked;
        if first {
            state.writer_idle = false;
        }
        if over {
            state.kicked = true;
        }
        if first || over {
            self.wake_writer.notify_one();
        }
    }
}

impl BatchWriter {
    /// Starts the `gatherhub-log` thread writing to `sink`.
    ///
    /// # Errors
    /// The thread could not be spawned.
    pub fn new(sink: impl Write + Send + 'static, limits: Limits) -> io::Result<(Self, LogGuard)> {
        let shared = Arc::new(Shared {
            limits,
            state: Mutex::new(State::default()),
            wake_writer: Condvar::new(),
            drained: Condvar::new(),
        });
        let thread = std::thread::Builder::new()
            .name("gatherhub-log".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || drain(&shared, sink)
            })?;
        let guard = LogGuard {
            shared: Arc::clone(&shared),
            thread: Some(thread),
        };
        Ok((Self { shared }, guard))
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
        }
    }
}

impl Write for LineWriter<'_> {
    /// Takes the whole of `buf` at once, so a line (tracing-subscriber writes
    /// each event with one `write_all`) is never split by another thread's.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.shared.append(buf);
        Ok(buf.len())
    }

    /// Does not wait for the sink: lines go out with the next batch.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Marks the writer finished however its thread ends, panics included, so no
/// logging thread waits at the cap for a drain that will never come.
struct Finish<'a>(&'a Shared);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.finished = true;
        state.pending = Vec::new();
        drop(state);
        self.0.drained.notify_all();
    }
}

/// The writer thread's loop.
fn drain(shared: &Shared, mut sink: impl Write) {
    let _finish = Finish(shared);
    let limits = shared.limits;
    let mut batch = Vec::new();
    let mut failing = false;
    loop {
        let mut state = shared.lock();
        // Parked (no timer) until a first line arrives.
        while state.pending.is_empty() && !state.shutdown {
            state.writer_idle = true;
            state = shared
                .wake_writer
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.writer_idle = false;
        if state.pending.is_empty() {
            return; // shut down, everything written
        }
        // Let lines gather for one interval, unless told to hurry.
        let deadline = Instant::now() + limits.flush_interval;
        while !state.kicked && !state.shutdown {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = shared
                .wake_writer
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.kicked = false;
        std::mem::swap(&mut state.pending, &mut batch);
        let wake_blocked = state.blocked > 0;
        drop(state);
        if wake_blocked {
            shared.drained.notify_all();
        }

        match sink.write_all(&batch).and_then(|()| sink.flush()) {
            Ok(()) => failing = false,
            Err(error) => {
                // The batch is lost; keep going with the next one. Say so once
                // per run of failures (stderr may be broken too: ignore that).
                if !failing {
                    let _ = writeln!(
                        io::stderr(),
                        "gatherhub: writing logs failed ({error}); lines are lost until it works again"
                    );
                }
                failing = true;
            }
        }
        batch.clear();
        if batch.capacity() > limits.keep_capacity {
            batch.shrink_to(limits.keep_capacity);
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.shutdown = true;
        self.shared.wake_writer.notify_one();
        let deadline = Instant::now() + self.shared.limits.shutdown_wait;
        while !state.finished {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // The sink is stuck: leave the thread to the process exit.
                return;
            }
            state = self
                .shared
                .drained
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(state);
        if let Some(thread) = self.thread.take() {
            // Finished: this returns at once (a panic was already reported).
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;

    use super::*;

    /// Upper bound for "eventually": only a broken writer takes this long.
    const EVENTUALLY: Duration = Duration::from_secs(30);

    /// Collects what the writer thread writes.
    #[derive(Clone, Default)]
    struct MemorySink(Arc<Mutex<Vec<u8>>>);

    impl MemorySink {
        fn contents(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl Write for MemorySink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Each write waits for a permit; once the permits' sender is gone,
    /// writes fail.
    struct BlockingSink {
        permits: mpsc::Receiver<()>,
        out: MemorySink,
    }

    impl Write for BlockingSink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.permits
                .recv()
                .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
            self.out.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Every write fails, like stdout after the reader went away; records
    /// the number of writes and the largest batch offered.
    #[derive(Clone, Default)]
    struct FailingSink {
        writes: Arc<AtomicUsize>,
        largest: Arc<AtomicUsize>,
    }

    impl Write for FailingSink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            self.largest.fetch_max(buf.len(), Ordering::SeqCst);
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The writer thread dies on its first write.
    struct PanickingSink;

    impl Write for PanickingSink {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            panic!("the sink broke");
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn limits(flush_interval: Duration, high_water: usize, cap: usize) -> Limits {
        Limits {
            flush_interval,
            high_water,
            cap,
            keep_capacity: 1024,
            shutdown_wait: EVENTUALLY,
        }
    }

    /// Logs the way tracing-subscriber does: one `write_all` per line.
    fn log(writer: &BatchWriter, line: &str) {
        writer.make_writer().write_all(line.as_bytes()).unwrap();
    }

    /// Runs `work` on its own thread; fails the test if it is not done in
    /// [`EVENTUALLY`] (a hang must fail, not block the test run).
    fn finishes<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, result) = mpsc::channel();
        std::thread::spawn(move || done.send(work()).unwrap());
        result
            .recv_timeout(EVENTUALLY)
            .unwrap_or_else(|_| panic!("{what} did not finish (hung?)"))
    }

    /// Polls `condition` until it holds, for at most [`EVENTUALLY`].
    fn eventually(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + EVENTUALLY;
        while !condition() {
            assert!(Instant::now() < deadline, "never happened: {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Line `seq` of thread `thread`; its length and filler depend on both,
    /// so a line cut or mixed with another's does not parse back.
    fn line(thread: usize, seq: usize) -> String {
        let filler = char::from(b'a' + u8::try_from((thread * 7 + seq) % 26).unwrap());
        let width = (thread * 31 + seq * 17) % 120;
        format!(
            "{thread} {seq} {width} {}\n",
            filler.to_string().repeat(width)
        )
    }

    fn parse(text: &str) -> (usize, usize) {
        let mut fields = text.split(' ');
        let thread: usize = fields.next().unwrap().parse().unwrap();
        let seq: usize = fields.next().unwrap().parse().unwrap();
        assert_eq!(line(thread, seq), format!("{text}\n"), "line mangled");
        (thread, seq)
    }

    #[test]
    fn lines_from_many_threads_arrive_whole_and_in_order() {
        const THREADS: usize = 4;
        const LINES: usize = 3000;
        let sink = MemorySink::default();
        // Small high-water mark and interval: many batches, drained while
        // the threads are writing.
        let (writer, guard) = BatchWriter::new(
            sink.clone(),
            limits(Duration::from_millis(1), 2048, 16 * 1024),
        )
        .unwrap();
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    for seq in 0..LINES {
                        log(&writer, &line(thread, seq));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);

        let text = sink.contents();
        assert!(text.ends_with('\n'));
        let mut next: HashMap<usize, usize> = HashMap::new();
        for text in text.lines() {
            let (thread, seq) = parse(text);
            let expected = next.entry(thread).or_default();
            assert_eq!(
                seq, *expected,
                "thread {thread}'s lines out of order or lost"
            );
            *expected += 1;
        }
        assert_eq!(next.len(), THREADS);
        assert!(next.values().all(|&count| count == LINES), "{next:?}");
    }

    #[test]
    fn lines_wait_for_the_interval_and_the_guard_drop_writes_them() {
        let sink = MemorySink::default();
        let hour = Duration::from_secs(3600);
        let (writer, guard) =
            BatchWriter::new(sink.clone(), limits(hour, 1 << 20, 4 << 20)).unwrap();
        log(&writer, "first\n");
        log(&writer, "second\n");
        // Not written per line: nothing may reach the sink for an hour (a
        // bug writing early would be seen here most of the time).
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(sink.contents(), "");

        finishes("dropping the guard", move || drop(guard));
        assert_eq!(sink.contents(), "first\nsecond\n");
        // Once stopped, lines are discarded and logging does not block.
        finishes("logging after the guard", move || {
            for _ in 0..1000 {
                log(&writer, "late\n");
            }
        });
        assert_eq!(sink.contents(), "first\nsecond\n");
    }

    #[test]
    fn a_quiet_line_is_written_once_the_interval_passes() {
        let sink = MemorySink::default();
        let (writer, _guard) = BatchWriter::new(
            sink.clone(),
            limits(Duration::from_millis(1), 1 << 20, 4 << 20),
        )
        .unwrap();
        // The writer is parked (nothing pending): the first line must start
        // its timer, though it is far below the high-water mark.
        eventually("the writer parks", || writer.shared.lock().writer_idle);
        log(&writer, "alone\n");
        eventually("the line is written", || sink.contents() == "alone\n");
    }

    #[test]
    fn the_high_water_mark_drains_before_the_interval() {
        let sink = MemorySink::default();
        let hour = Duration::from_secs(3600);
        let (writer, _guard) = BatchWriter::new(sink.clone(), limits(hour, 100, 4096)).unwrap();
        log(&writer, "small\n");
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            sink.contents(),
            "",
            "below the mark: waits for the interval"
        );
        let long = format!("{}\n", "x".repeat(120));
        log(&writer, &long);
        eventually("the batch is written", || !sink.contents().is_empty());
        assert_eq!(sink.contents(), format!("small\n{long}"));
    }

    #[test]
    fn a_blocked_sink_makes_writers_wait_at_the_cap() {
        const CAP: usize = 1024;
        const LINES: usize = 200;
        let (permits, permit_rx) = mpsc::sync_channel(0);
        let out = MemorySink::default();
        let sink = BlockingSink {
            permits: permit_rx,
            out: out.clone(),
        };
        let (writer, guard) =
            BatchWriter::new(sink, limits(Duration::from_millis(1), 256, CAP)).unwrap();
        let logged = Arc::new(AtomicUsize::new(0));
        let logger = std::thread::spawn({
            let (writer, logged) = (writer.clone(), Arc::clone(&logged));
            move || {
                for seq in 0..LINES {
                    log(&writer, &format!("{seq:063}\n"));
                    logged.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        // The sink holds the first batch; the next fills up to the cap and
        // the logger waits.
        eventually("the logger waits at the cap", || {
            writer.shared.lock().blocked > 0
        });
        let state = writer.shared.lock();
        assert!(
            state.peak <= CAP,
            "pending grew to {} past the cap",
            state.peak
        );
        drop(state);
        let held = logged.load(Ordering::SeqCst);
        assert!(
            held < LINES / 2,
            "{held} lines logged while the sink was blocked"
        );

        // The sink catches up: everything arrives, in order, none dropped.
        let release = std::thread::spawn(move || while permits.send(()).is_ok() {});
        finishes("the logger", move || logger.join().unwrap());
        finishes("dropping the guard", move || drop(guard));
        release.join().unwrap();
        let expected: String = (0..LINES).map(|seq| format!("{seq:063}\n")).collect();
        assert_eq!(out.contents(), expected);
        assert!(writer.shared.lock().peak <= CAP);
    }

    #[test]
    fn a_failing_sink_neither_hangs_nor_grows() {
        const CAP: usize = 1024;
        let sink = FailingSink::default();
        let (writer, guard) =
            BatchWriter::new(sink.clone(), limits(Duration::from_millis(1), 256, CAP)).unwrap();
        let logging = writer.clone();
        finishes("logging to a failing sink", move || {
            let threads: Vec<_> = (0..4)
                .map(|thread| {
                    let writer = logging.clone();
                    std::thread::spawn(move || {
                        for seq in 0..500 {
                            log(&writer, &line(thread, seq));
                        }
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
        });
        assert!(sink.writes.load(Ordering::SeqCst) > 0, "the sink was tried");
        // Failed batches are let go: neither what waits nor what is retried
        // grows past the cap.
        assert!(writer.shared.lock().peak <= CAP);
        let largest = sink.largest.load(Ordering::SeqCst);
        assert!(largest <= CAP, "a batch of {largest} bytes");
        finishes("dropping the guard", move || drop(guard));
    }

    #[test]
    fn a_dead_writer_thread_releases_waiting_writers() {
        let (writer, guard) =
            BatchWriter::new(PanickingSink, limits(Duration::from_millis(1), 256, 1024)).unwrap();
        let logging = writer.clone();
        // Far more than the cap: without the dead writer noticed, this waits
        // for a drain forever.
        finishes("logging after the writer died", move || {
            for seq in 0..1000 {
                log(&logging, &line(0, seq));
            }
        });
        eventually("the writer is marked finished", || {
            writer.shared.lock().finished
        });
        assert_eq!(
            writer.shared.lock().pending.capacity(),
            0,
            "pending lines freed"
        );
        finishes("dropping the guard", move || drop(guard));
    }

    #[test]
    fn dropping_the_guard_gives_up_on_a_stuck_sink() {
        let (permits, permit_rx) = mpsc::sync_channel::<()>(0);
        let sink = BlockingSink {
            permits: permit_rx,
            out: MemorySink::default(),
        };
        let mut limits = limits(Duration::from_millis(1), 256, 1024);
        limits.shutdown_wait = Duration::from_millis(50);
        let (writer, guard) = BatchWriter::new(sink, limits).unwrap();
        log(&writer, "never written\n");
        eventually("the writer is stuck in the sink", || {
            writer.shared.lock().pending.is_empty()
        });
        finishes("dropping the guard", move || drop(guard));
        drop(permits); // lets the writer thread end
    }
}
