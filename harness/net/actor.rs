//! The traits user code implements to take part in a simulated network.

use std::future::Future;
use std::pin::Pin;

use crate::model::{InPort, Message, VirtualTime};

use super::context::{AsyncContext, Context};
use super::signal::Signal;

/// A node's behaviour, called by the scheduler one input at a time.
///
/// Handlers run at a virtual instant and return at once; everything they do
/// goes through the [`Context`]. The default [`Actor::on_signal`] passes ACKs
/// and NACKs on upstream and ignores the other signals.
pub trait Actor {
    /// Called once at the start of the run, before any message.
    fn on_start(&mut self, _ctx: &mut Context<'_>) {}

    /// Handles one message that arrived on `port`.
    fn on_message(&mut self, ctx: &mut Context<'_>, port: InPort, msg: Message);

    /// Handles a control signal.
    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        ctx.pass_upstream(signal);
    }
}

/// The future an [`AsyncActor`] returns for one message.
pub type HandlerFuture = Pin<Box<dyn Future<Output = ()>>>;

/// A node whose message handler is async: it runs on a tokio current-thread
/// runtime with paused time, so `tokio::time::sleep` advances virtual time and
/// stays deterministic. The node handles one message at a time: it is busy
/// until the returned future completes. Control signals get [`Actor`]'s
/// default handling (ACK/NACK passed upstream).
///
/// ```
/// use flowreplay::{AsyncActor, AsyncContext, HandlerFuture, InPort, Message};
/// use std::time::Duration;
///
/// /// Holds every message for 5 ms of virtual time, then forwards it.
/// struct Sleeper;
/// impl AsyncActor for Sleeper {
///     fn on_message(&mut self, ctx: AsyncContext, _port: InPort, msg: Message) -> HandlerFuture {
///         Box::pin(async move {
///             tokio::time::sleep(Duration::from_millis(5)).await;
///             ctx.send("out", msg);
///         })
///     }
/// }
/// ```
pub trait AsyncActor {
    /// Starts handling one message; the node stays busy until the future ends.
    fn on_message(&mut self, ctx: AsyncContext, port: InPort, msg: Message) -> HandlerFuture;
}

/// A node that runs for the whole run, as a real service does: its own
/// tasks and timers on tokio's paused clock, sending at any virtual time.
///
/// [`Service::start`] is called once, at virtual time 0, inside the run's
/// runtime (a current-thread tokio runtime with paused time, IO enabled,
/// inside a `LocalSet`, so `tokio::task::spawn_local` works); the future it
/// returns is the service's main task. [`Service::on_message`] is called at
/// each delivery, at its virtual time, and hands the message to the
/// service's tasks (through a channel, say); they end it (`consume`,
/// `export`, …) through the [`AsyncContext`] they got at start.
///
/// A run with services ends at its `max_time`; without one, once everything
/// else has drained and the services produce nothing more within a second
/// of virtual time (a service with an endless timer then runs to a day of
/// virtual time: give such runs a `max_time`).
///
/// ```
/// use flowreplay::{AsyncContext, HandlerFuture, InPort, Message, NodeBuild, Service, VirtualTime};
/// use tokio::sync::mpsc;
///
/// /// Forwards what it receives, and says `Tick` every 10 ms on its own.
/// struct Ticker {
///     inbox: Option<mpsc::UnboundedSender<Message>>,
/// }
/// impl Service for Ticker {
///     fn start(&mut self, ctx: AsyncContext) -> HandlerFuture {
///         let (inbox, mut received) = mpsc::unbounded_channel::<Message>();
///         self.inbox = Some(inbox);
///         Box::pin(async move {
///             let mut tick = tokio::time::interval(std::time::Duration::from_millis(10));
///             loop {
///                 tokio::select! {
///                     biased;
///                     Some(msg) = received.recv() => ctx.send("out", msg),
///                     _ = tick.tick() => ctx.send("out", ctx.derive("Tick", Default::default(), 0)),
///                 }
///             }
///         })
///     }
///     fn on_message(&mut self, _port: InPort, msg: Message, _at: VirtualTime) {
///         if let Some(inbox) = &self.inbox {
///             let _ = inbox.send(msg);
///         }
///     }
/// }
/// let build = NodeBuild::service(Ticker { inbox: None }, &["in"], &["out"]);
/// ```
pub trait Service {
    /// Starts the service's work; the future is its main task.
    fn start(&mut self, ctx: AsyncContext) -> HandlerFuture;

    /// A message arrived on `port` at virtual time `at`: hand it to the
    /// service's tasks.
    fn on_message(&mut self, port: InPort, msg: Message, at: VirtualTime);
}

/// A node's behaviour: synchronous, async per message, or a service.
pub enum Behaviour {
    /// Handlers that return at once.
    Sync(Box<dyn Actor>),
    /// Message handlers that are futures on tokio's paused clock.
    Async(Box<dyn AsyncActor>),
    /// A long-lived service on tokio's paused clock.
    Service(Box<dyn Service>),
}
