//! A dump as a replay holds it: one small fixed-size [`Line`] per record,
//! with every name, actor and body stored once in shared tables. Records
//! stream in one at a time, so a million-line dump never holds a million
//! [`DumpRecord`]s, and the plan and the run refer to lines by index.

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::dump::{dump_order, Direction, DumpRecord, End, FlowEnd};
use crate::model::{Body, Headers, Message, MessageId, MessageKind, Name, TraceId};

/// One dump record, its strings and body as indices into the [`Recording`]'s tables.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line {
    /// `ts`: when it was dumped.
    pub(super) ts_ns: u64,
    /// `t`: trace id.
    pub(super) trace_id: u64,
    /// `s`: sequence number within (node, group).
    pub(super) seq: u64,
    /// `c`: correlation id.
    pub(super) correlation: Option<u64>,
    /// The group and key as written: an index into `actors`.
    pub(super) actor: u32,
    /// `mn`: an index into `names`.
    pub(super) name: u32,
    /// `mp`: an index into `names`.
    pub(super) protocol: u32,
    /// `m`: an index into `bodies`.
    pub(super) body: u32,
    /// `n`: node number.
    pub(super) node: u16,
    pub(super) direction: Direction,
    pub(super) kind: MessageKind,
}

// A line is what a replay holds per record: keep it at 64 bytes.
const _: () = assert!(std::mem::size_of::<Line>() == 64);

/// A group and key as the dump wrote them, and the place they name.
#[derive(Debug, Clone)]
pub(super) struct Actor {
    pub(super) group: CompactString,
    pub(super) key: Option<CompactString>,
    /// An index into `places`: `g` with key `"_"` and `g` with none are one place.
    pub(super) place: u32,
}

/// A body, with the length of the dump's text of it: the size a replayed
/// message stands for.
#[derive(Debug, Clone)]
struct StoredBody {
    body: Body,
    raw_len: u32,
}

/// A dump's lines in dump order, and the tables they index.
#[derive(Debug, Default)]
pub(super) struct Recording {
    /// In dump order: a line's index is how the plan names it.
    pub(super) lines: Vec<Line>,
    /// Every (group, key) the lines name.
    pub(super) actors: Vec<Actor>,
    /// Place names (`group` or `group/key`), each once.
    places: Vec<CompactString>,
    place_ids: FxHashMap<CompactString, u32>,
    names: Vec<Name>,
    bodies: Vec<StoredBody>,
}

impl Recording {
    /// Reads records in any order (leaving out `system.*` groups) and puts
    /// them in dump order (see [`dump_order`]).
    pub(super) fn from_records<E>(records: impl IntoIterator<Item = Result<DumpRecord, E>>) -> Result<Recording, E> {
        let mut builder = Builder::default();
        for record in records {
            let record = record?;
            if !record.is_system() {
                builder.push(&record);
            }
        }
        Ok(builder.finish())
    }

    /// The line at `index`.
    pub(super) fn line(&self, index: u32) -> &Line {
        &self.lines[index as usize]
    }

    /// The place a line belongs to.
    pub(super) fn place_of(&self, line: &Line) -> u32 {
        self.actors[line.actor as usize].place
    }

    /// A place's name.
    pub(super) fn place_name(&self, place: u32) -> &CompactString {
        &self.places[place as usize]
    }

    /// How many places there are.
    pub(super) fn place_count(&self) -> usize {
        self.places.len()
    }

    /// The place named `name`, if the recording has one.
    pub(super) fn place_id(&self, name: &str) -> Option<u32> {
        self.place_ids.get(name).copied()
    }

    /// The place named `name`, added when new (the replay's `(outside)`).
    pub(super) fn add_place(&mut self, name: &str) -> u32 {
        let places = &mut self.places;
        *self.place_ids.entry(name.into()).or_insert_with(|| {
            places.push(name.into());
            places.len() as u32 - 1
        })
    }

    /// A line's message name.
    pub(super) fn name(&self, line: &Line) -> Name {
        self.names[line.name as usize]
    }

    /// A line's body.
    pub(super) fn body(&self, line: &Line) -> &Body {
        &self.bodies[line.body as usize].body
    }

    /// The [`MessageKey`] of a line's message.
    pub(super) fn key(&self, line: &Line) -> MessageKey<'_> {
        (line.trace_id, self.name(line).as_str(), self.body(line).checksum())
    }

    /// The message a line describes (unnumbered, keeping its trace id).
    pub(super) fn message(&self, line: &Line) -> Message {
        let body = &self.bodies[line.body as usize];
        Message {
            id: MessageId::UNASSIGNED,
            trace_id: TraceId(line.trace_id),
            name: self.name(line),
            protocol: self.names[line.protocol as usize],
            kind: line.kind,
            correlation: line.correlation,
            headers: Headers::default(),
            body: body.body.clone(),
            size_bytes: body.raw_len,
            return_path: Default::default(),
        }
    }

    /// What flow matching needs of a line. Names, bodies and places are
    /// compared by index: an index stands for exactly one name, body text
    /// (by its hash, as a record's [`FlowEnd`] compares it) or place.
    pub(super) fn flow_end(&self, line: &Line) -> FlowEnd {
        let key = (line.trace_id, u64::from(line.name), u64::from(line.body));
        FlowEnd { key, direction: line.direction, ts_ns: line.ts_ns, place: u64::from(self.place_of(line)) }
    }

    /// A line as clock-skew reports need it.
    pub(super) fn end(&self, line: &Line) -> End {
        let actor = &self.actors[line.actor as usize];
        End { ts_ns: line.ts_ns, node: line.node, group: actor.group.clone(), key: actor.key.clone() }
    }
}

/// How a stub recognises a message: trace id, name and body checksum.
pub(super) type MessageKey<'a> = (u64, &'a str, u64);

/// The [`MessageKey`] of a message.
pub(super) fn message_key(msg: &Message) -> MessageKey<'_> {
    (msg.trace_id.0, msg.name.as_str(), msg.body.checksum())
}

/// Turns records into lines, sharing what repeats.
#[derive(Default)]
struct Builder {
    recording: Recording,
    actor_ids: FxHashMap<(CompactString, Option<CompactString>), u32>,
    name_ids: FxHashMap<CompactString, u32>,
    /// By the hash of the body's text, as flow matching compares bodies.
    body_ids: FxHashMap<u64, u32>,
}

impl Builder {
    fn push(&mut self, record: &DumpRecord) {
        let line = Line {
            ts_ns: record.ts_ns,
            trace_id: record.trace_id,
            seq: record.seq,
            correlation: record.correlation,
            actor: self.actor(record),
            name: self.name(&record.name),
            protocol: self.name(&record.protocol),
            body: self.body(record),
            node: record.node,
            direction: record.direction,
            kind: record.kind,
        };
        self.recording.lines.push(line);
    }

    fn actor(&mut self, record: &DumpRecord) -> u32 {
        if let Some(&id) = self.actor_ids.get(&(record.group.clone(), record.key.clone())) {
            return id;
        }
        let recording = &mut self.recording;
        let place = recording.add_place(&record.place());
        recording.actors.push(Actor { group: record.group.clone(), key: record.key.clone(), place });
        let id = recording.actors.len() as u32 - 1;
        self.actor_ids.insert((record.group.clone(), record.key.clone()), id);
        id
    }

    fn name(&mut self, name: &CompactString) -> u32 {
        let names = &mut self.recording.names;
        *self.name_ids.entry(name.clone()).or_insert_with(|| {
            names.push(Name::from(name.as_str()));
            names.len() as u32 - 1
        })
    }

    fn body(&mut self, record: &DumpRecord) -> u32 {
        let raw = record.body.get();
        let raw_hash = xxhash_rust::xxh3::xxh3_64(raw.as_bytes());
        let bodies = &mut self.recording.bodies;
        *self.body_ids.entry(raw_hash).or_insert_with(|| {
            // The text was validated as JSON when the line was read.
            let body = Body::parse(raw).unwrap_or_default();
            bodies.push(StoredBody { body, raw_len: raw.len() as u32 });
            bodies.len() as u32 - 1
        })
    }

    /// The recording, its lines sorted by `ts`, then node, group and `s`
    /// (stable, so lines equal in all four keep their input order).
    fn finish(self) -> Recording {
        let mut recording = self.recording;
        let actors = &recording.actors;
        let order = |l: &Line| dump_order(l.ts_ns, l.node, &actors[l.actor as usize].group, l.seq);
        recording.lines.sort_by(|a, b| order(a).cmp(&order(b)));
        recording
    }
}
