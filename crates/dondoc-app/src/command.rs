//! The command service: load a task's stream, `decide`, append with optimistic
//! concurrency. Every writer (CLI, web, bots, importer, scheduler) goes through here; the
//! facts of the other streams (contacts, silences, summaries) through [`append_facts`].

use chrono::{DateTime, Utc};
use dondoc_core::event::{EventMeta, SCHEMA_VERSION, Source, TaskEvent, TaskKey};
use dondoc_core::task::{DomainError, TaskCommand, TaskState, decide};
use dondoc_store::{Direction, EventData, EventStore, ExpectedRevision, RecordedEvent, StoreError, StreamStart};
use uuid::Uuid;

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

/// Who acts, from where, when, and in which request.
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub actor: String,
    pub source: Source,
    pub now: DateTime<Utc>,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
}

impl CommandContext {
    /// A context with a fresh correlation id.
    pub fn new(actor: impl Into<String>, source: Source, now: DateTime<Utc>) -> Self {
        CommandContext { actor: actor.into(), source, now, correlation_id: Uuid::new_v4(), causation_id: None }
    }

    /// The metadata of an event recorded in this context.
    pub fn metadata(&self) -> serde_json::Value {
        let meta = EventMeta {
            actor: self.actor.clone(),
            source: self.source,
            recorded_at: self.now,
            correlation_id: self.correlation_id,
            causation_id: self.causation_id,
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
    #[error("nhiệm vụ {task} đã thay đổi: bạn đang xem phiên bản {expected}, phiên bản hiện tại là {}", current.map_or("(chưa có)".to_string(), |c| c.to_string()))]
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

/// A task's current state and revision, folded from its stream.
pub async fn load<S: EventStore>(store: &S, key: &TaskKey) -> Result<(TaskState, Option<u64>), CommandError> {
    let mut state = TaskState { key: key.clone(), ..TaskState::default() };
    let mut revision = None;
    for recorded in read_task(store, key).await? {
        let (event, _) = decode(&recorded)?;
        state.apply(&event);
        revision = Some(recorded.revision);
    }
    Ok((state, revision))
}

/// Runs `command` against the task. With `expected`, the task must still be at that
/// revision (else [`CommandError::Conflict`]); without it, a concurrent change makes the
/// command re-decide once on the new state.
pub async fn execute<S: EventStore>(
    store: &S,
    key: &TaskKey,
    expected: Option<u64>,
    command: &TaskCommand,
    ctx: &CommandContext,
) -> Result<Executed, CommandError> {
    let attempts = if expected.is_some() { 1 } else { 2 };
    let mut last_conflict = None;
    for _ in 0..attempts {
        let (mut state, revision) = load(store, key).await?;
        if let Some(e) = expected
            && revision != Some(e)
        {
            return Err(CommandError::Conflict { task: key.clone(), expected: e, current: revision });
        }
        let events = decide(&state, command, ctx.now)?;
        if events.is_empty() {
            return Ok(Executed { events, revision, state });
        }
        let data: Vec<EventData> = events.iter().map(|e| event_data(e, ctx)).collect();
        let want = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
        match store.append(&key.stream(), want, data).await {
            Ok(result) => {
                for e in &events {
                    state.apply(e);
                }
                return Ok(Executed { events, revision: Some(result.revision), state });
            }
            Err(StoreError::WrongExpectedRevision { actual, .. }) => {
                last_conflict = Some(CommandError::Conflict {
                    task: key.clone(),
                    expected: revision.unwrap_or_default(),
                    current: actual,
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last_conflict.expect("a conflict ended the loop"))
}

/// A command of a batch that was refused: which one, and why. Nothing of the batch was written.
#[derive(Debug, thiserror::Error)]
#[error("nhiệm vụ {task}: {error}")]
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
/// appended in one group with its expected revision. Any refusal or conflict writes
/// nothing. Returns, per command, the events it produced.
pub async fn execute_batch<S: EventStore>(
    store: &S,
    commands: &[(TaskKey, TaskCommand)],
    extra: Vec<ExtraAppend>,
    ctx: &CommandContext,
) -> Result<Vec<Vec<TaskEvent>>, BatchError> {
    use std::collections::HashMap;
    let mut states: HashMap<TaskKey, (TaskState, Option<u64>, Vec<TaskEvent>)> = HashMap::new();
    let mut order: Vec<TaskKey> = Vec::new();
    let mut produced = Vec::with_capacity(commands.len());
    for (index, (key, command)) in commands.iter().enumerate() {
        let fail = |error: CommandError| BatchError { index, task: key.clone(), error };
        if !states.contains_key(key) {
            let (state, revision) = load(store, key).await.map_err(fail)?;
            states.insert(key.clone(), (state, revision, Vec::new()));
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
    let mut appends: Vec<dondoc_store::StreamAppend> = order
        .iter()
        .filter_map(|key| {
            let (_, revision, pending) = &states[key];
            (!pending.is_empty()).then(|| dondoc_store::StreamAppend {
                stream: key.stream(),
                expected: revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact),
                events: pending.iter().map(|e| event_data(e, ctx)).collect(),
            })
        })
        .collect();
    for x in extra {
        let events = x
            .events
            .into_iter()
            .map(|(event_type, data)| EventData { id: Uuid::new_v4(), event_type, data, metadata: ctx.metadata() })
            .collect();
        appends.push(dondoc_store::StreamAppend { stream: x.stream, expected: x.expected, events });
    }
    if appends.is_empty() {
        return Ok(produced);
    }
    match store.append_group(appends).await {
        Ok(_) => Ok(produced),
        Err(StoreError::WrongExpectedRevision { stream, actual, .. }) => {
            // Someone changed a stream after it was read: name the first command on it.
            let index = commands.iter().position(|(k, _)| k.stream() == stream).unwrap_or(0);
            let task = commands.get(index).map_or_else(|| TaskKey::new("", stream.clone()), |(k, _)| k.clone());
            let expected = states.get(&task).and_then(|s| s.1).unwrap_or_default();
            Err(BatchError {
                index,
                task: task.clone(),
                error: CommandError::Conflict { task, expected, current: actual },
            })
        }
        Err(e) => Err(BatchError { index: 0, task: TaskKey::new("", ""), error: e.into() }),
    }
}

fn event_data(event: &TaskEvent, ctx: &CommandContext) -> EventData {
    let (event_type, _, data) = event.encode();
    EventData { id: Uuid::new_v4(), event_type: event_type.to_string(), data, metadata: ctx.metadata() }
}
