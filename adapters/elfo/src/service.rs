//! The long-lived flowreplay node that runs a real elfo group: it starts an
//! elfo topology (the group under its recorded name, and the feeder) on the
//! replay's paused clock, feeds it each recorded input at its recorded time
//! with its trace id, answers the group's requests with the recorded
//! responses, and sends what the group dumped as sending on to the places
//! the dump says those sends went.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use elfo::addr::NodeNo;
use elfo::config::AnyConfig;
use elfo::messages::{SubscribeToActorStatuses, UpdateConfig};
use elfo::tracing::TraceId;
use elfo::{AnyMessage, Message as _, Topology};
use flowreplay::replay::PlacePorts;
use flowreplay::{AsyncContext, Body, HandlerFuture, InPort, Message, MessageKind, Name, Service, VirtualTime};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use crate::capture::{self, Captured, Sink};
use crate::feeder::{self, Handle, Pending};
use crate::{ElfoGroup, GroupFailure};

/// The protocol of elfo's own messages (config, pings, start-up): never
/// replayed into the group and never judged.
const SYSTEM_PROTOCOL: &str = "elfo-core";

/// Trace ids the group's code makes itself (timer ticks) are renumbered
/// from here, in the order they are first seen, so re-captures match.
const MINTED: u64 = 1 << 62;

pub(crate) struct ElfoService {
    group: ElfoGroup,
    ports: PlacePorts,
    inbox: Option<mpsc::UnboundedSender<(Message, VirtualTime)>>,
}

impl ElfoService {
    pub(crate) fn new(group: ElfoGroup, ports: PlacePorts) -> ElfoService {
        ElfoService { group, ports, inbox: None }
    }
}

impl Service for ElfoService {
    fn start(&mut self, ctx: AsyncContext) -> HandlerFuture {
        let (inbox, received) = mpsc::unbounded_channel();
        self.inbox = Some(inbox);
        let (group, ports) = (self.group.clone(), self.ports.clone());
        Box::pin(async move {
            match Running::start(group, ports, ctx.clone()).await {
                Ok(running) => running.run(received).await,
                Err(failure) => ctx.fault(&ctx.derive("(start)", Body::default(), 0), &failure.to_string()),
            }
        })
    }

    fn on_message(&mut self, _port: InPort, msg: Message, at: VirtualTime) {
        if let Some(inbox) = &self.inbox {
            let _ = inbox.send((msg, at));
        }
    }
}

impl Drop for Running {
    /// The replay is over (its runtime drops this task): stop collecting
    /// its dumps.
    fn drop(&mut self) {
        capture::close(self.launch);
    }
}

/// A started group and what it takes to drive it.
struct Running {
    group: ElfoGroup,
    ports: PlacePorts,
    ctx: AsyncContext,
    feeder: Handle,
    address: elfo::Addr,
    sink: Arc<Sink>,
    pending: Pending,
    /// Trace ids of the inputs fed so far: a send in another trace is one
    /// the group's own code started.
    fed: BTreeSet<u64>,
    /// The input fed last, and its recorded ts: what a failure is blamed on.
    last_input: Option<(String, u64, u64)>,
    minted: BTreeMap<u64, u64>,
    /// Sends forwarded so far per (trace id, name): which recorded send's
    /// route the next one takes.
    sent: BTreeMap<(u64, String), usize>,
    launch: elfo::addr::NodeLaunchId,
}

impl Running {
    /// Starts the topology through elfo's own start path (no signal
    /// handlers, no threads) and configures both groups.
    async fn start(group: ElfoGroup, ports: PlacePorts, ctx: AsyncContext) -> Result<Running, GroupFailure> {
        if !capture::install() {
            return Err(GroupFailure::RecorderTaken);
        }
        let mut topology = Topology::empty();
        let node_no = NodeNo::from_bits(group.node_no).ok_or(GroupFailure::NodeNo(group.node_no))?;
        topology.set_node_no(node_no);
        let launch = topology.launch_id();
        let sink = capture::open(launch);
        let pending = Pending::default();
        let (handle, feeder_ready) = oneshot::channel();
        let (address, feeder_address) = {
            let under_test = topology.local(group.name.clone());
            let feeder = topology.local("flowreplay.feeder");
            under_test.route_to(&feeder, |_: &elfo::Envelope| true);
            let addresses = (under_test.addr(), feeder.addr());
            under_test.mount((group.blueprint)());
            feeder.mount(feeder::blueprint(handle, pending.clone(), sink.clone()));
            addresses
        };
        let config = AnyConfig::deserialize(group.config.clone()).map_err(|e| GroupFailure::Config(e.to_string()))?;
        let started = elfo::_priv::do_start(topology, false, move |init, _| async move {
            elfo::scope::set_trace_id(TraceId::try_from(1).expect("1 is a valid trace id"));
            for (to, config) in [(address, config), (feeder_address, AnyConfig::default())] {
                match init.request_to(to, UpdateConfig::new(config)).resolve().await {
                    Ok(Ok(())) => {}
                    Ok(Err(rejected)) => return Err(GroupFailure::Config(format!("{rejected:?}"))),
                    Err(e) => return Err(GroupFailure::Config(format!("{e:?}"))),
                }
            }
            Ok(())
        })
        .await;
        started.map_err(|e| GroupFailure::Start(format!("{e:?}")))??;
        let feeder = feeder_ready.await.map_err(|_| GroupFailure::Start("the feeder never started".into()))?;
        // Hear of the group's actors failing (a panic is caught by elfo's
        // supervisor, which restarts the actor: nothing else would tell).
        let (subscriber, scope) = (feeder.0.pruned(), feeder.1.clone());
        scope.within(async move { subscriber.send_to(address, SubscribeToActorStatuses::default()).await }).await.ok();
        Ok(Running {
            group,
            ports,
            ctx,
            feeder,
            address,
            sink,
            pending,
            fed: BTreeSet::new(),
            last_input: None,
            minted: BTreeMap::new(),
            sent: BTreeMap::new(),
            launch,
        })
    }

    /// Feeds inputs as they are delivered and forwards what the group
    /// sends, until the replay ends.
    async fn run(mut self, mut received: mpsc::UnboundedReceiver<(Message, VirtualTime)>) {
        loop {
            tokio::select! {
                biased;
                _ = self.sink.arrived.notified() => self.forward(),
                input = received.recv() => match input {
                    Some((msg, at)) => self.feed(msg, at).await,
                    None => break,
                },
            }
        }
    }

    /// Hands one recorded input to the group, at its virtual time, with its
    /// trace id; a recorded response answers the group's pending request.
    async fn feed(&mut self, msg: Message, at: VirtualTime) {
        if &*msg.protocol == SYSTEM_PROTOCOL || self.group.is_own(&msg.name) {
            return self.ctx.consume(msg);
        }
        let ts = self.ports.first_ts + at.as_nanos();
        self.last_input = Some((msg.name.to_string(), msg.trace_id.0, ts));
        self.fed.insert(msg.trace_id.0);
        let Ok(trace) = TraceId::try_from(msg.trace_id.0) else {
            self.ctx.fault(&msg, "trace id 0 cannot be replayed into elfo");
            return self.ctx.consume(msg);
        };
        let decoded = AnyMessage::deserialize(&serde_json::json!([&*msg.protocol, &*msg.name, msg.body.value()]));
        let any = match decoded {
            Ok(any) => any,
            Err(e) => {
                self.refuse(&msg, ts, &format!("cannot decode {} {}: {e}", msg.name, msg.body.text()));
                return self.ctx.consume(msg);
            }
        };
        let (feeder, scope) = (self.feeder.0.pruned(), self.feeder.1.clone());
        if msg.kind == MessageKind::Response {
            let request = msg.name.strip_suffix("::Response").unwrap_or(&msg.name).to_string();
            let token = self
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_mut(&(msg.trace_id.0, request))
                .and_then(|q| q.pop_front());
            match token {
                Some(token) => scope.sync_within(|| {
                    elfo::scope::set_trace_id(trace);
                    feeder.respond(token.into_received::<crate::ReplayAnyRequest>(), any);
                }),
                None => self.ctx.fault(&msg, "a recorded response to a request the group did not make"),
            }
            return self.ctx.consume(msg);
        }
        let address = self.address;
        if msg.kind == MessageKind::Request {
            match self.group.request_sender(any) {
                Ok(send) => {
                    tokio::spawn(scope.within(async move {
                        elfo::scope::set_trace_id(trace);
                        send(feeder, address).await;
                    }));
                }
                Err(any) => {
                    let name = any.name();
                    let why = format!("request type {name} not named: add ElfoGroup::request::<{name}>()");
                    self.refuse(&msg, ts, &why);
                }
            }
            return self.ctx.consume(msg);
        }
        scope
            .within(async move {
                elfo::scope::set_trace_id(trace);
                let _ = feeder.send_to(address, any).await;
            })
            .await;
        self.ctx.consume(msg);
    }

    /// Notes an input the group cannot be given (recorded at dump `ts`);
    /// with `fail_on_undecodable`, the group's verdict fails too.
    fn refuse(&mut self, msg: &Message, ts: u64, reason: &str) {
        self.ctx.fault(msg, reason);
        self.group.note(crate::Unrun::Undecodable, &msg.name, msg.trace_id.0, ts, msg.body.text(), reason);
        if self.group.fail_on_undecodable {
            let body = serde_json::json!({"input": &*msg.name, "ts": ts, "reason": reason});
            self.signal("(undecodable input)", msg.trace_id.0, body);
        }
    }

    /// Sends a send that no recording has, so that the group's verdict is
    /// not equal and says why.
    fn signal(&self, name: &str, trace: u64, body: serde_json::Value) {
        let Some(port) = self.ports.outputs.first() else { return };
        let mut message = Message::new(name, Body::new(body), 0);
        message.trace_id = flowreplay::TraceId(trace);
        self.ctx.send(port, message);
    }

    /// Sends on what the group dumped as sending, to the ports the dump
    /// implies, and reports the failures its actors reported.
    fn forward(&mut self) {
        let failures: Vec<String> = std::mem::take(&mut *self.sink.failures.lock().unwrap_or_else(|e| e.into_inner()));
        for details in failures {
            let (name, trace, ts) = self.last_input.clone().unwrap_or_default();
            self.group.note(crate::Unrun::Failed, &name, trace, ts, "", &details);
            self.signal("(actor failed)", trace, serde_json::json!({"input": name, "ts": ts, "details": details}));
        }
        let dumps: Vec<Captured> = std::mem::take(&mut *self.sink.dumps.lock().unwrap_or_else(|e| e.into_inner()));
        for dump in dumps {
            let ours = dump.group == self.group.name && self.ports.key.as_deref().is_none_or(|k| k == dump.key);
            if !ours || !dump.out || dump.protocol == SYSTEM_PROTOCOL {
                continue;
            }
            let next = MINTED + self.minted.len() as u64;
            let trace = match self.fed.contains(&dump.trace_id) {
                true => dump.trace_id,
                false => *self.minted.entry(dump.trace_id).or_insert(next),
            };
            let body = Body::new(dump.body);
            let size = body.text().len() as u32;
            let mut message = Message::new(dump.name.as_str(), body, size);
            message.trace_id = flowreplay::TraceId(trace);
            message.protocol = Name::from(dump.protocol);
            message.kind = match dump.kind {
                elfo::dumping::MessageKind::Regular => MessageKind::Regular,
                elfo::dumping::MessageKind::Request(_) => MessageKind::Request,
                elfo::dumping::MessageKind::Response(_) => MessageKind::Response,
            };
            let nth = self.sent.entry((trace, dump.name.clone())).or_default();
            let mut ports: Vec<String> =
                self.ports.ports_for(trace, &dump.name, *nth).into_iter().map(String::from).collect();
            *nth += 1;
            // A send the recording has nowhere to route (nothing like it was
            // recorded) still goes out, so that the verdict counts it extra.
            if ports.iter().any(|p| !self.ports.outputs.contains(p)) {
                ports = self.ports.outputs.first().cloned().into_iter().collect();
            }
            let Some((last, rest)) = ports.split_last() else { continue };
            for port in rest {
                self.ctx.send(port, message.clone());
            }
            self.ctx.send(last, message);
        }
    }
}
