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

/// The runtime, the task set and the shared effect log.
pub(crate) struct AsyncDriver {
    runtime: Runtime,
    tasks: LocalSet,
    base: Instant,
    pub(crate) log: AsyncLog,
    pub(crate) wake: Rc<tokio::sync::Notify>,
    /// Handlers started and not yet finished.
    pub(crate) running: usize,
}

impl AsyncDriver {
    pub(crate) fn new() -> std::io::Result<AsyncDriver> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build()?;
        let base = runtime.block_on(async { Instant::now() });
        Ok(AsyncDriver {
            runtime,
            tasks: LocalSet::new(),
            base,
            log: AsyncLog::default(),
            wake: Rc::new(tokio::sync::Notify::new()),
            running: 0,
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

    /// Lets handlers run until one produces an effect or tokio's clock
    /// reaches virtual `until`; returns what they produced.
    pub(crate) fn advance(&mut self, until: VirtualTime) -> Vec<AsyncRecord> {
        let deadline = self.deadline(until);
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
                        // A handler whose sleep ends on the same millisecond
                        // is ready too: let it run before stopping.
                        tokio::task::yield_now().await;
                        break;
                    }
                }
            }
        });
        std::mem::take(&mut *self.log.borrow_mut())
    }
}
