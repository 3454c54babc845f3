//! Reading the small streams the jobs need: contacts, silences, plans, the agency directory.

use dondoc_core::StreamEvent as _;
use std::collections::HashMap;

use anyhow::{Context, Result};
use dondoc_core::agency::{AGENCY_STREAM, AgencyConfig, AgencyEvent, Directory};
use dondoc_core::contact::{CONTACT_STREAM, ContactBook, ContactEvent};
use dondoc_core::plan::PlanEvent;
use dondoc_core::silence::{SILENCE_STREAM, SilenceEvent, Silences};
use dondoc_store::{Direction, EventStore, StreamStart};

/// Decodes every event of a stream with `decode`, naming the event that cannot be read.
async fn fold<S: EventStore, T>(
    store: &S,
    stream: &str,
    mut decode: impl FnMut(&str, serde_json::Value) -> Result<T, serde_json::Error>,
) -> Result<Vec<T>> {
    let events = store.read_stream(stream, Direction::Forwards, StreamStart::Start, usize::MAX).await?;
    events
        .into_iter()
        .map(|e| {
            decode(&e.event_type, e.data).with_context(|| format!("sự kiện {stream}#{} không đọc được", e.revision))
        })
        .collect()
}

/// The contact book.
pub async fn contacts<S: EventStore>(store: &S) -> Result<ContactBook> {
    let mut book = ContactBook::default();
    for e in fold(store, CONTACT_STREAM, ContactEvent::decode).await? {
        book.apply(&e);
    }
    Ok(book)
}

/// Every silence.
pub async fn silences<S: EventStore>(store: &S) -> Result<Silences> {
    let mut s = Silences::default();
    for e in fold(store, SILENCE_STREAM, SilenceEvent::decode).await? {
        s.apply(&e);
    }
    Ok(s)
}

/// The agency directory: configuration plus recorded renames and mergers.
pub async fn directory<S: EventStore>(store: &S, config: &AgencyConfig) -> Result<Directory> {
    let mut directory = Directory::new(config.clone());
    for e in fold(store, AGENCY_STREAM, AgencyEvent::decode).await? {
        directory.apply(&e);
    }
    Ok(directory)
}

/// Plan titles by plan id (the latest registration or revision).
pub async fn plan_titles<S: EventStore>(store: &S, plans: &[String]) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for plan in plans {
        let last = store.read_stream(&PlanEvent::stream(plan), Direction::Backwards, StreamStart::End, 1).await?;
        if let Some(e) = last.into_iter().next()
            && let Ok(event) = PlanEvent::decode(&e.event_type, e.data)
            && let Some(title) = &event.info().title
        {
            out.insert(plan.clone(), title.clone());
        }
    }
    Ok(out)
}
