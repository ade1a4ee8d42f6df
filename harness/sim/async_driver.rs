//! Runs async handlers on a tokio current-thread runtime with paused time.
//!
//! Tokio's clock only moves when the engine lets it: to reach the next
//! scheduled event the driver sleeps until that instant, and tokio's paused
//! clock jumps straight to the earliest timer (an actor's `sleep`, or the
//! engine's own). Whenever a handler produces an effect it wakes the engine,
//! which collects the effects stamped with their virtual time and merges them
//! into its queue. Tokio's timers have millisecond resolution, so the clock
//! always rests on a whole millisecond; each handler measures its own time
//! from the instant it started, so a 5 ms sleep is exactly 5 ms of virtual
//! time wherever the handler started.
//!
//! Determinism holds because everything runs on one thread and tokio's
//! current-thread scheduler polls ready tasks in FIFO order. Known leaks:
//! `tokio::select!` without `biased;` picks ready branches at random;
//! `spawn_blocking`, real threads and `std::time` escape the virtual clock.

use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio::task::LocalSet;
use tokio::time::Instant;

use crate::model::VirtualTime;
use crate::net::{AsyncLog, AsyncRecord};

/// How many times ready tasks are let run when the clock reaches the next
/// event: enough for work that hops through a few tasks (a service's mailbox,
/// then its handler) to finish at the instant it is due.
const SETTLE_YIELDS: usize = 64;

/// The runtime, the task set and the shared effect log.
pub(crate) struct AsyncDriver {
    runtime: Runtime,
    tasks: LocalSet,
    base: Instant,
    pub(crate) log: AsyncLog,
    pub(crate) wake: Rc<tokio::sync::Notify>,
    /// Handlers started and not yet finished.
    pub(crate) running: usize,
    /// Long-lived services started (they never finish).
    pub(crate) services: usize,
}

impl AsyncDriver {
    pub(crate) fn new() -> std::io::Result<AsyncDriver> {
        // IO is enabled for services that register signal handlers or
        // sockets (elfo's configurer does); nothing here uses it.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build()?;
        let base = runtime.block_on(async { Instant::now() });
        Ok(AsyncDriver {
            runtime,
            tasks: LocalSet::new(),
            base,
            log: AsyncLog::default(),
            wake: Rc::new(tokio::sync::Notify::new()),
            running: 0,
            services: 0,
        })
    }

    fn deadline(&self, at: VirtualTime) -> Instant {
        self.base + Duration::from_nanos(at.as_nanos())
    }

    /// Brings tokio's clock up to virtual `now` (to the next whole
    /// millisecond) and starts a handler there. `make` runs inside the
    /// runtime, so the handler's context reads the paused clock.
    pub(crate) fn start<F: Future<Output = ()> + 'static>(&mut self, now: VirtualTime, make: impl FnOnce() -> F) {
        let deadline = self.deadline(now);
        self.tasks.block_on(&self.runtime, async {
            if Instant::now() < deadline {
                tokio::time::sleep_until(deadline).await;
            }
        });
        let _inside = self.runtime.enter();
        self.tasks.spawn_local(make());
        self.running += 1;
    }

    /// Starts a long-lived service's main task at virtual time 0.
    pub(crate) fn start_service<F: Future<Output = ()> + 'static>(&mut self, make: impl FnOnce() -> F) {
        // Inside the task set, so that `start` can spawn tasks of its own.
        self.tasks.block_on(&self.runtime, async {
            tokio::task::spawn_local(make());
        });
        self.services += 1;
    }

    /// Lets handlers run until one produces an effect or tokio's clock
    /// reaches virtual `until`, rounded down to a whole millisecond; returns
    /// what they produced.
    ///
    /// Rounding down matters: tokio's timers fire on whole milliseconds, so
    /// a sleep to a point inside a millisecond would carry the clock to the
    /// next one, ahead of the engine. Many inputs a few microseconds apart
    /// would then push tokio's clock ever further ahead of virtual time.
    /// Rounded down, the clock never passes the engine; work between two
    /// milliseconds runs at the earlier one, and its effects are queued at
    /// the engine's current time.
    pub(crate) fn advance(&mut self, until: VirtualTime) -> Vec<AsyncRecord> {
        const MS: u64 = 1_000_000;
        let deadline = self.deadline(VirtualTime(until.as_nanos() / MS * MS));
        let (wake, log) = (self.wake.clone(), self.log.clone());
        self.tasks.block_on(&self.runtime, async move {
            let limit = tokio::time::sleep_until(deadline);
            tokio::pin!(limit);
            // A wake-up can be stale (a permit left by an effect collected
            // earlier), so wait until the log really holds something.
            while log.borrow().is_empty() {
                tokio::select! {
                    biased;
                    _ = wake.notified() => {}
                    _ = &mut limit => {
                        // Work due at this instant may pass through several
                        // tasks (a channel, then a handler): let ready tasks
                        // run a while before stopping.
                        for _ in 0..SETTLE_YIELDS {
                            tokio::task::yield_now().await;
                            if !log.borrow().is_empty() {
                                break;
                            }
                        }
                        break;
                    }
                }
            }
        });
        std::mem::take(&mut *self.log.borrow_mut())
    }
}
