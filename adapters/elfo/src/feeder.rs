//! The feeder: an elfo group of flowreplay's own beside the group under
//! test. Everything the group sends is routed to it; it keeps the response
//! token of every request the group makes, so that the recorded response
//! (which the rest of the replay delivers) can answer it.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use elfo::_priv::MessageKind;
use elfo::messages::ActorStatusReport;
use elfo::ActorStatusKind;

use crate::capture::Sink;
use elfo::scope::Scope;
use elfo::{ActorGroup, AnyMessage, Blueprint, Context, Message as _, MoveOwnership, ResponseToken};
use tokio::sync::oneshot;

/// Requests the group made and nobody has answered yet, by (trace id,
/// request name), oldest first.
pub(crate) type Pending = Arc<Mutex<BTreeMap<(u64, String), VecDeque<ResponseToken>>>>;

/// The feeder's context and scope, for sending into the group from outside
/// elfo's own tasks.
pub(crate) type Handle = (Context, Scope);

/// The feeder's blueprint: it hands out its context once, then keeps the
/// tokens of the requests it receives, and passes on the failures the
/// group's actors report (it subscribes to their statuses).
pub(crate) fn blueprint(handle: oneshot::Sender<Handle>, pending: Pending, sink: Arc<Sink>) -> Blueprint {
    let handle = MoveOwnership::from(handle);
    ActorGroup::new().exec(move |mut ctx: Context| {
        let (handle, pending, sink) = (handle.clone(), pending.clone(), sink.clone());
        async move {
            if let Some(handle) = handle.take() {
                let _ = handle.send((ctx.pruned(), elfo::scope::expose()));
            }
            while let Some(envelope) = ctx.recv().await {
                if let Some(report) = envelope.message().downcast_ref::<ActorStatusReport>() {
                    if report.status.kind() == ActorStatusKind::Failed {
                        let details = report.status.details().unwrap_or("failed").to_string();
                        sink.failures.lock().unwrap_or_else(|e| e.into_inner()).push(details);
                        sink.arrived.notify_one();
                    }
                    continue;
                }
                let key = (u64::from(envelope.trace_id()), envelope.message().name().to_string());
                let Some((_message, kind)) = envelope.unpack::<AnyMessage>() else { continue };
                if let MessageKind::RequestAny(token) | MessageKind::RequestAll(token) = kind {
                    pending.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default().push_back(token);
                }
            }
        }
    })
}
