//! flowreplay-elfo: replay a production elfo dump into your real elfo
//! actor group — the `Blueprint` your service already builds, unchanged —
//! and get flowreplay's verdict for your new build: deterministic, on a
//! laptop.
//!
//! The group runs under its recorded name in an elfo topology of its own,
//! started through elfo's start path on the replay's paused tokio clock.
//! Every input the dump recorded reaches it at its recorded time with its
//! trace id; requests it makes are answered with the recorded responses;
//! everything it sends is captured from elfo's own dumping (bodies in
//! dumping mode, so `hide` fields read `"<hidden>"` as recorded) and judged
//! against what production sent.
//!
//! ```no_run
//! use flowreplay::replay::Replay;
//! use flowreplay_elfo::ElfoGroup;
//! # fn blueprint() -> elfo::Blueprint { elfo::ActorGroup::new().exec(|_ctx: elfo::Context| async {}) }
//!
//! let mut replay = Replay::open(&["prod.dump".into()], false)?;
//! ElfoGroup::new("pricer", blueprint).config(serde_json::json!({"margin": 2})).node_no(1).bind(&mut replay)?;
//! replay.run(0)?.assert_group_matches("pricer");
//! # Ok::<(), flowreplay::replay::ReplayError>(())
//! ```
//!
//! The crate pins elfo to exactly `0.2.0-alpha.21`: it drives elfo through
//! its hidden start path and its unstable dumping hook, which change
//! between alpha releases. Your group must be built with that elfo.

mod capture;
mod feeder;
mod service;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use elfo::{Addr, AnyMessage, Blueprint, Context, Request};
use flowreplay::replay::{Replay, ReplayError};
use flowreplay::NodeBuild;

use service::ElfoService;

/// Stands in for any request type when the feeder answers one: the
/// response is the recorded one, decoded by name.
#[elfo::message]
struct ReplayAnyRequest;

impl Request for ReplayAnyRequest {
    type Response = AnyMessage;
    type Wrapper = AnyMessage;
}

/// Sends one decoded request into the group and waits for its response
/// (which elfo dumps, so the verdict sees it).
type RequestSend = Box<dyn FnOnce(Context, Addr) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Turns a decoded message into a [`RequestSend`] when it is of one
/// request type, else gives it back.
type RequestKind = Arc<dyn Fn(AnyMessage) -> Result<RequestSend, AnyMessage> + Send + Sync>;

/// Why a bound group could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupFailure {
    /// Another dumping recorder was installed in this process first (elfo
    /// takes one per process), so the group's sends cannot be captured.
    RecorderTaken,
    /// The node number is not one elfo accepts.
    NodeNo(u16),
    /// The group refused its configuration.
    Config(String),
    /// The topology did not start.
    Start(String),
}

impl std::fmt::Display for GroupFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GroupFailure::RecorderTaken => {
                write!(f, "another elfo dumping recorder was installed first: bind elfo groups before anything sends")
            }
            GroupFailure::NodeNo(n) => write!(f, "node number {n} is not one elfo accepts"),
            GroupFailure::Config(why) => write!(f, "the group refused its config: {why}"),
            GroupFailure::Start(why) => write!(f, "the elfo topology did not start: {why}"),
        }
    }
}

impl std::error::Error for GroupFailure {}

/// What went wrong with one recorded input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrun {
    /// It could not be given to the group (a body the dumper hid or cut, a
    /// type this build does not know, a request type not named).
    Undecodable,
    /// An actor of the group failed (panicked) while this was the last
    /// input given: elfo caught it and restarted the actor.
    Failed,
}

/// A recorded input the group could not be given, or that it failed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable {
    /// What went wrong.
    pub what: Unrun,
    /// The input's name.
    pub name: String,
    /// Its trace id.
    pub trace_id: u64,
    /// Its `ts` in the dump: with the group and name, its dump line.
    pub ts: u64,
    /// Its body, as recorded.
    pub body: String,
    /// Why, or what the actor said on failing.
    pub reason: String,
}

/// A real elfo actor group to bind to a group of a recorded dump.
#[derive(Clone)]
pub struct ElfoGroup {
    name: String,
    blueprint: Arc<dyn Fn() -> Blueprint + Send + Sync>,
    config: serde_json::Value,
    node_no: u16,
    requests: Vec<RequestKind>,
    own: Vec<String>,
    fail_on_undecodable: bool,
    undecodable: Arc<Mutex<Vec<Undecodable>>>,
}

impl ElfoGroup {
    /// The group `name` (its name in the dump) as `blueprint` builds it.
    pub fn new(name: &str, blueprint: impl Fn() -> Blueprint + Send + Sync + 'static) -> ElfoGroup {
        ElfoGroup {
            name: name.to_string(),
            blueprint: Arc::new(blueprint),
            config: serde_json::Value::Object(Default::default()),
            node_no: 1,
            requests: Vec::new(),
            own: Vec::new(),
            fail_on_undecodable: false,
            undecodable: Arc::default(),
        }
    }

    /// The group's config, in place of the recorded config messages.
    pub fn config(mut self, config: serde_json::Value) -> ElfoGroup {
        self.config = config;
        self
    }

    /// The elfo node number (default 1): fixed, so the trace ids the
    /// group's own code makes are the same on every run.
    pub fn node_no(mut self, node_no: u16) -> ElfoGroup {
        self.node_no = node_no;
        self
    }

    /// Names a request type the group receives, so that recorded requests
    /// of it are sent as requests (elfo types them; a message decoded by
    /// name alone can only be sent as a plain message).
    pub fn request<R>(mut self) -> ElfoGroup
    where
        R: Request + Send + 'static,
        R::Response: Send,
    {
        self.requests.push(Arc::new(|any: AnyMessage| {
            let request: R = any.downcast::<R>()?;
            let send: RequestSend = Box::new(move |feeder: Context, to: Addr| {
                Box::pin(async move {
                    let _ = feeder.request_to(to, request).resolve().await;
                })
            });
            Ok(send)
        }));
        self
    }

    /// Names a message the group makes for itself (an `Interval`'s or a
    /// `Delay`'s tick, a signal): the recording has it as an input from
    /// nowhere, but the real code's own timers make it, on the replay's
    /// clock, so recorded ones are not fed. Sends in the traces such ticks
    /// start are paired with the recorded ones by name, receiver and order
    /// (their trace ids are new), and the verdict counts them.
    pub fn own_message(mut self, name: &str) -> ElfoGroup {
        self.own.push(name.to_string());
        self
    }

    fn is_own(&self, name: &str) -> bool {
        self.own.iter().any(|own| own == name)
    }

    fn request_sender(&self, mut any: AnyMessage) -> Result<RequestSend, AnyMessage> {
        for kind in &self.requests {
            match kind(any) {
                Ok(send) => return Ok(send),
                Err(back) => any = back,
            }
        }
        Err(any)
    }

    /// Makes an input the group cannot be given fail the group's verdict (an
    /// extra send `(undecodable input)` naming it), instead of only listing
    /// it in [`ElfoGroup::undecodable`].
    pub fn fail_on_undecodable(mut self) -> ElfoGroup {
        self.fail_on_undecodable = true;
        self
    }

    fn note(&self, what: Unrun, name: &str, trace_id: u64, ts: u64, body: &str, reason: &str) {
        self.undecodable.lock().unwrap_or_else(|e| e.into_inner()).push(Undecodable {
            what,
            name: name.to_string(),
            trace_id,
            ts,
            body: body.to_string(),
            reason: reason.to_string(),
        });
    }

    /// The recorded inputs the group could not be given so far (bodies the
    /// dumper hid or cut, message types this build does not know, requests
    /// whose type was not named), and those an actor failed on (a panic,
    /// caught by elfo): each with its dump `ts`. A failure also fails the
    /// group's verdict, with an extra send `(actor failed)`.
    pub fn undecodable(&self) -> Vec<Undecodable> {
        self.undecodable.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Binds the group (each of its keys) in `replay`, in place of its
    /// recorded stub; `system.*` groups cannot be bound.
    pub fn bind<'r>(&self, replay: &'r mut Replay) -> Result<&'r mut Replay, ReplayError> {
        if self.name.starts_with("system.") {
            return Err(ReplayError::Binding {
                group: self.name.clone(),
                message: "elfo's system groups are never bound: they are not the app".into(),
            });
        }
        let group = self.clone();
        replay.bind_place(&self.name, move |ports| {
            NodeBuild::service(ElfoService::new(group.clone(), ports.clone()), &ports.inputs, &ports.outputs)
        })
    }
}
