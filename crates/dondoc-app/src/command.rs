//! The command service: load a task's stream, `decide`, append with optimistic
//! concurrency. Every writer (CLI, web, bots, importer, scheduler) goes through here; the
//! facts of the other streams (contacts, silences, summaries) through [`append_facts`].
//!
//! Many hands on one store: a command without an expected revision that meets a concurrent
//! change loads the stream again and decides again (up to [`MAX_ATTEMPTS`]); one with an
//! expected revision is refused with the current one. Every event carries its command's id,
//! so a command retried with the same id (after a lost reply, or by a caller that cannot
//! tell whether it was written) records nothing twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dondoc_core::event::{EventMeta, SCHEMA_VERSION, Source, TaskEvent, TaskKey};
use dondoc_core::task::{DomainError, TaskCommand, TaskState, decide};
use dondoc_store::{
    Direction, EventData, EventStore, ExpectedRevision, RecordedEvent, StoreError, StreamAppend, StreamStart,
};
use uuid::Uuid;

/// Attempts of a command that keeps meeting concurrent changes before it gives up.
pub const MAX_ATTEMPTS: usize = 50;

/// Who acts and from where: a person's name (or "contact:c001 (name)", "dondoc:dispatcher")
/// and the entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub source: Source,
}

impl Actor {
    pub fn new(name: impl Into<String>, source: Source) -> Actor {
        Actor { name: name.into(), source }
    }

    /// A context for this actor's request at `now`.
    pub fn at(&self, now: DateTime<Utc>) -> CommandContext {
        CommandContext::new(self.name.clone(), self.source, now)
    }
}

/// Who acts, from where, when, in which request, and the command's own id.
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub actor: String,
    pub source: Source,
    pub now: DateTime<Utc>,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    /// The command's id (fresh by default; a caller that may retry gives its own).
    pub command_id: Uuid,
}

impl CommandContext {
    /// A context with a fresh correlation id and command id.
    pub fn new(actor: impl Into<String>, source: Source, now: DateTime<Utc>) -> Self {
        CommandContext {
            actor: actor.into(),
            source,
            now,
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            command_id: Uuid::new_v4(),
        }
    }

    /// The same context for a command with the caller's id (an idempotency key).
    pub fn with_command_id(mut self, command_id: Uuid) -> Self {
        self.command_id = command_id;
        self
    }

    /// The metadata of an event recorded in this context.
    pub fn metadata(&self) -> serde_json::Value {
        let meta = EventMeta {
            actor: self.actor.clone(),
            source: self.source,
            recorded_at: self.now,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
            command_id: Some(self.command_id),
            schema_version: SCHEMA_VERSION,
            chain: None,
        };
        serde_json::to_value(meta).unwrap_or_default()
    }
}

/// Why a command did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The task changed since the revision the caller saw (HTTP 409).
    #[error("nhiệm vụ {} đã thay đổi: đồng chí đang xem phiên bản {expected}, phiên bản hiện tại là {}", task.label_vi(), current.map_or("(chưa có)".to_string(), |c| c.to_string()))]
    Conflict { task: TaskKey, expected: u64, current: Option<u64> },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sự kiện {stream}#{revision} không đọc được: {detail}")]
    Decode { stream: String, revision: u64, detail: String },
}

/// The outcome of a command.
#[derive(Debug, Clone)]
pub struct Executed {
    pub events: Vec<TaskEvent>,
    /// The stream's revision afterwards (`None`: the task does not exist).
    pub revision: Option<u64>,
    pub state: TaskState,
    /// The global position of the last event this call appended (`None`: it appended nothing).
    pub position: Option<u64>,
}

/// A task's events as stored, oldest first.
pub async fn read_task<S: EventStore>(store: &S, key: &TaskKey) -> Result<Vec<RecordedEvent>, CommandError> {
    const PAGE: usize = 1_000;
    let stream = key.stream();
    let mut out: Vec<RecordedEvent> = Vec::new();
    loop {
        let from = out.last().map_or(StreamStart::Start, |e| StreamStart::Revision(e.revision + 1));
        let page = store.read_stream(&stream, Direction::Forwards, from, PAGE).await?;
        let done = page.len() < PAGE;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// Decodes a stored task event.
pub fn decode(event: &RecordedEvent) -> Result<(TaskEvent, EventMeta), CommandError> {
    let bad = |detail: String| CommandError::Decode { stream: event.stream.clone(), revision: event.revision, detail };
    let meta: EventMeta = serde_json::from_value(event.metadata.clone()).map_err(|e| bad(e.to_string()))?;
    let task_event = TaskEvent::decode(&event.event_type, meta.schema_version, event.data.clone())
        .map_err(|e| bad(e.to_string()))?;
    Ok((task_event, meta))
}

/// A task's stream folded: its state, revision, and the events a command wrote.
struct Loaded {
    state: TaskState,
    revision: Option<u64>,
    /// The events of the stream written by the command with this id, if any.
    written: Vec<TaskEvent>,
    /// The revision of the last of `written`.
    written_revision: Option<u64>,
}

async fn load_for<S: EventStore>(store: &S, key: &TaskKey, command_id: Uuid) -> Result<Loaded, CommandError> {
    let mut loaded = Loaded {
        state: TaskState { key: key.clone(), ..TaskState::default() },
        revision: None,
        written: Vec::new(),
        written_revision: None,
    };
    for recorded in read_task(store, key).await? {
        let (event, meta) = decode(&recorded)?;
        loaded.state.apply(&event);
        loaded.revision = Some(recorded.revision);
        if meta.command_id == Some(command_id) {
            loaded.written.push(event);
            loaded.written_revision = Some(recorded.revision);
        }
    }
    Ok(loaded)
}

/// A task's current state and revision, folded from its stream.
pub async fn load<S: EventStore>(store: &S, key: &TaskKey) -> Result<(TaskState, Option<u64>), CommandError> {
    let loaded = load_for(store, key, Uuid::nil()).await?;
    Ok((loaded.state, loaded.revision))
}

/// Runs `command` against the task. With `expected`, the task must still be at that
/// revision (else [`CommandError::Conflict`] with the current one); without it, a
/// concurrent change makes the command decide again on the new state. A command whose id
/// (`ctx.command_id`) is already in the stream returns what it wrote and the revision it
/// wrote it at (not the current one: a client that lost the first answer must not be
/// told it has seen changes made since), writing nothing.
pub async fn execute<S: EventStore>(
    store: &S,
    key: &TaskKey,
    expected: Option<u64>,
    command: &TaskCommand,
    ctx: &CommandContext,
) -> Result<Executed, CommandError> {
    let mut last_conflict = None;
    for attempt in 0..MAX_ATTEMPTS {
        let Loaded { mut state, revision, written, written_revision } = load_for(store, key, ctx.command_id).await?;
        if !written.is_empty() {
            return Ok(Executed { events: written, revision: written_revision, state, position: None });
        }
        if let Some(e) = expected
            && revision != Some(e)
        {
            return Err(CommandError::Conflict { task: key.clone(), expected: e, current: revision });
        }
        let events = decide(&state, command, ctx.now)?;
        if events.is_empty() {
            return Ok(Executed { events, revision, state, position: None });
        }
        let data: Vec<EventData> = events.iter().map(|e| event_data(e, ctx)).collect();
        let want = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
        match store.append(&key.stream(), want, data).await {
            Ok(result) => {
                for e in &events {
                    state.apply(e);
                }
                return Ok(Executed {
                    events,
                    revision: Some(result.revision),
                    state,
                    position: Some(result.position),
                });
            }
            Err(StoreError::WrongExpectedRevision { actual, .. }) => {
                let conflict = CommandError::Conflict {
                    task: key.clone(),
                    expected: expected.or(revision).unwrap_or_default(),
                    current: actual,
                };
                if expected.is_some() {
                    return Err(conflict);
                }
                last_conflict = Some(conflict);
                backoff(attempt).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last_conflict.expect("only conflicts repeat the loop"))
}

/// A short pause before deciding again, longer with each conflict, with jitter so that
/// writers racing on one stream spread out.
async fn backoff(attempt: usize) {
    let cap = 1u64 << attempt.min(6);
    let ms = rand::random_range(0..=cap);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// A command of a batch that was refused: which one, and why. Nothing of the batch was written.
#[derive(Debug, thiserror::Error)]
#[error("nhiệm vụ {}: {error}", task.label_vi())]
pub struct BatchError {
    pub index: usize,
    pub task: TaskKey,
    #[source]
    pub error: CommandError,
}

/// Appends events to a stream that is not a task's (contacts, silences, summaries) with
/// this context's metadata.
pub async fn append_facts<S: EventStore>(
    store: &S,
    stream: &str,
    expected: ExpectedRevision,
    events: Vec<(&str, serde_json::Value)>,
    ctx: &CommandContext,
) -> Result<(), CommandError> {
    let events = events
        .into_iter()
        .map(|(event_type, data)| EventData {
            id: Uuid::new_v4(),
            event_type: event_type.to_string(),
            data,
            metadata: ctx.metadata(),
        })
        .collect();
    store.append(stream, expected, events).await?;
    Ok(())
}

/// Other streams' events written with a batch (e.g. the plan's own stream).
#[derive(Debug, Clone)]
pub struct ExtraAppend {
    pub stream: String,
    pub expected: ExpectedRevision,
    pub events: Vec<(String, serde_json::Value)>,
}

/// Runs many commands as one atomic step: every command is decided first (commands on
/// the same task in order, each on the state the previous left), then every stream is
/// appended in one group. Any refusal writes nothing. A concurrent change to one of the
/// tasks makes the batch decide again (up to [`MAX_ATTEMPTS`]); a change to an extra
/// stream refuses it (its expected revision is the caller's). Returns, per command, the
/// events it produced; a batch whose command id is already in its streams writes nothing
/// and returns, per task, what it wrote there (on the task's first command).
pub async fn execute_batch<S: EventStore>(
    store: &S,
    commands: &[(TaskKey, TaskCommand)],
    extra: Vec<ExtraAppend>,
    ctx: &CommandContext,
) -> Result<Vec<Vec<TaskEvent>>, BatchError> {
    let extra_data: Vec<StreamAppend> = extra
        .into_iter()
        .map(|x| StreamAppend {
            stream: x.stream,
            expected: x.expected,
            events: x
                .events
                .into_iter()
                .map(|(event_type, data)| EventData { id: Uuid::new_v4(), event_type, data, metadata: ctx.metadata() })
                .collect(),
        })
        .collect();
    let mut last_conflict = None;
    for attempt in 0..MAX_ATTEMPTS {
        match try_batch(store, commands, &extra_data, ctx).await? {
            Ok(produced) => return Ok(produced),
            Err(conflict) => {
                last_conflict = Some(conflict);
                backoff(attempt).await;
            }
        }
    }
    Err(last_conflict.expect("only conflicts repeat the loop"))
}

/// One attempt: the produced events, a conflict on a task stream to retry (inner `Err`), or
/// a refusal (outer `Err`).
async fn try_batch<S: EventStore>(
    store: &S,
    commands: &[(TaskKey, TaskCommand)],
    extra: &[StreamAppend],
    ctx: &CommandContext,
) -> Result<Result<Vec<Vec<TaskEvent>>, BatchError>, BatchError> {
    let mut states: HashMap<TaskKey, (TaskState, Option<u64>, Vec<TaskEvent>)> = HashMap::new();
    let mut order: Vec<TaskKey> = Vec::new();
    let mut produced = Vec::with_capacity(commands.len());
    let mut already: HashMap<TaskKey, Vec<TaskEvent>> = HashMap::new();
    for (index, (key, command)) in commands.iter().enumerate() {
        let fail = |error: CommandError| BatchError { index, task: key.clone(), error };
        if !states.contains_key(key) {
            let loaded = load_for(store, key, ctx.command_id).await.map_err(fail)?;
            if !loaded.written.is_empty() {
                already.insert(key.clone(), loaded.written);
            }
            states.insert(key.clone(), (loaded.state, loaded.revision, Vec::new()));
            order.push(key.clone());
        }
        let (state, _, pending) = states.get_mut(key).expect("loaded above");
        let events = decide(state, command, ctx.now).map_err(|e| fail(e.into()))?;
        for e in &events {
            state.apply(e);
        }
        pending.extend(events.iter().cloned());
        produced.push(events);
    }
    if !already.is_empty() {
        // Written by an earlier attempt of this command (the group is atomic: all of it).
        return Ok(Ok(commands
            .iter()
            .enumerate()
            .map(|(i, (key, _))| {
                let first = commands.iter().position(|(k, _)| k == key) == Some(i);
                if first { already.remove(key).unwrap_or_default() } else { Vec::new() }
            })
            .collect()));
    }
    let mut appends: Vec<StreamAppend> = order
        .iter()
        .filter_map(|key| {
            let (_, revision, pending) = &states[key];
            (!pending.is_empty()).then(|| StreamAppend {
                stream: key.stream(),
                expected: revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact),
                events: pending.iter().map(|e| event_data(e, ctx)).collect(),
            })
        })
        .collect();
    appends.extend(extra.iter().cloned());
    if appends.is_empty() {
        return Ok(Ok(produced));
    }
    match store.append_group(appends).await {
        Ok(_) => Ok(Ok(produced)),
        Err(StoreError::WrongExpectedRevision { stream, actual, .. }) => {
            let index = commands.iter().position(|(k, _)| k.stream() == stream);
            let task = index.map_or_else(|| TaskKey::new("", stream.clone()), |i| commands[i].0.clone());
            let expected = states.get(&task).and_then(|s| s.1).unwrap_or_default();
            let error = BatchError {
                index: index.unwrap_or(0),
                task: task.clone(),
                error: CommandError::Conflict { task, expected, current: actual },
            };
            // A task stream moved: decide again. Another stream's revision is the caller's.
            Ok(if index.is_some() { Err(error) } else { return Err(error) })
        }
        Err(e) => Err(BatchError { index: 0, task: TaskKey::new("", ""), error: e.into() }),
    }
}

fn event_data(event: &TaskEvent, ctx: &CommandContext) -> EventData {
    let (event_type, _, data) = event.encode();
    EventData { id: Uuid::new_v4(), event_type: event_type.to_string(), data, metadata: ctx.metadata() }
}
