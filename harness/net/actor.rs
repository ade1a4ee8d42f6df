//! The traits user code implements to take part in a simulated network.

use std::future::Future;
use std::pin::Pin;

use crate::model::{InPort, Message};

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

/// A node's behaviour: synchronous or async.
pub enum Behaviour {
    /// Handlers that return at once.
    Sync(Box<dyn Actor>),
    /// Message handlers that are futures on tokio's paused clock.
    Async(Box<dyn AsyncActor>),
}
