//! The contact book's use cases: add or update a person, issue a one-time code that links a
//! Telegram chat, remove a person. Each is a fact on the `contacts` stream.

use chrono::{DateTime, Duration, Utc};
use dondoc_core::StreamEvent as _;
use dondoc_core::contact::{CONTACT_STREAM, ContactBook, ContactCard, ContactEvent, QuietHours, Role};
use dondoc_core::event::Channel;
use dondoc_core::text::clean;
use dondoc_store::ExpectedRevision;
use rand::Rng;
use sha2::{Digest as _, Sha256};

use crate::App;
use crate::command::{self, Actor};
use crate::error::{AppError, Result};

/// A person to add or update: channels not given keep their recorded addresses.
#[derive(Debug, Clone)]
pub struct ContactInput {
    pub name: String,
    pub agency: String,
    pub role: Role,
    /// Position (chức vụ), e.g. "Phó Chủ tịch UBND tỉnh", named in the salutation.
    pub position: Option<String>,
    pub email: Option<String>,
    pub telegram: Option<String>,
    pub zalo: Option<String>,
    /// A Vietnamese mobile number as people write it ("0901 234 567", "+84901234567").
    pub phone: Option<String>,
}

/// Whether a contact was added or updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Added,
    Updated,
}

/// The SHA-256 of a link code, as stored (codes are compared case-insensitively).
pub fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.trim().to_uppercase().as_bytes()))
}

/// "0901 234 567", "+84901234567" → "84901234567".
pub fn normalize_phone(p: &str) -> Result<String> {
    let digits: String = p.chars().filter(|c| c.is_ascii_digit()).collect();
    let n = match digits.strip_prefix('0') {
        Some(rest) => format!("84{rest}"),
        None => digits,
    };
    if !(n.starts_with("84") && (10..=12).contains(&n.len())) {
        return Err(AppError::Input(format!("--phone \"{p}\": cần số di động Việt Nam, ví dụ 0901234567")));
    }
    Ok(n)
}

/// An 8-character code without look-alike letters.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..8).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// The one contact named `name` (within `agency` when given).
pub fn find_one<'a>(book: &'a ContactBook, name: &str, agency: Option<&str>) -> Result<&'a ContactCard> {
    let found = book.find(name, agency);
    match found.as_slice() {
        [one] => Ok(one),
        [] => {
            Err(AppError::Input(format!("không có người nhận tên \"{name}\" trong danh bạ (xem: dondoc contact list)")))
        }
        many => Err(AppError::Input(format!(
            "có {} người tên \"{name}\" ({}); thêm --agency",
            many.len(),
            many.iter().map(|c| c.agency.as_str()).collect::<Vec<_>>().join("; ")
        ))),
    }
}

async fn append(app: &App, event: ContactEvent, actor: &Actor) -> Result<()> {
    let (t, data) = event.encode();
    command::append_facts(&app.store, CONTACT_STREAM, ExpectedRevision::Any, vec![(t, data)], &actor.at(app.now()))
        .await?;
    app.catch_up().await?;
    Ok(())
}

/// Adds a person, or updates the one with the same name in the same agency.
pub async fn save(app: &App, input: ContactInput, actor: &Actor) -> Result<(ContactCard, Saved)> {
    let name = clean(&input.name);
    let agency = clean(&input.agency);
    if name.is_empty() || agency.is_empty() {
        return Err(AppError::input("cần --name và --agency không rỗng"));
    }
    let book = app.read().await?.contacts()?;
    let existing = book.find(&name, Some(&agency)).first().map(|c| (*c).clone());
    let keep = |given: Option<String>, recorded: fn(&ContactCard) -> &Option<String>| {
        given.or_else(|| existing.as_ref().and_then(|c| recorded(c).clone()))
    };
    let card = ContactCard {
        id: existing.as_ref().map_or_else(|| book.next_id(), |c| c.id.clone()),
        name,
        agency,
        role: input.role,
        position: keep(input.position.map(|p| clean(&p)).filter(|p| !p.is_empty()), |c| &c.position),
        email: keep(input.email.map(|e| e.trim().to_string()), |c| &c.email),
        telegram: keep(input.telegram, |c| &c.telegram),
        zalo: keep(input.zalo, |c| &c.zalo),
        phone: keep(input.phone.as_deref().map(normalize_phone).transpose()?, |c| &c.phone),
        // The person's own choice of channels stays theirs.
        channels: existing.as_ref().and_then(|c| c.channels.clone()),
        quiet: existing.as_ref().and_then(|c| c.quiet),
    };
    if let Some(e) = &card.email
        && !e.contains('@')
    {
        return Err(AppError::Input(format!("--email \"{e}\" không phải địa chỉ thư")));
    }
    let (event, saved) = match existing {
        Some(_) => (ContactEvent::ContactUpdated { card: card.clone() }, Saved::Updated),
        None => (ContactEvent::ContactAdded { card: card.clone() }, Saved::Added),
    };
    append(app, event, actor).await?;
    Ok((card, saved))
}

/// Issues a one-time code valid `valid_hours` that links the sender's Telegram chat to the
/// contact; only its hash is recorded. Returns the contact, the code and its expiry.
pub async fn issue_link_code(
    app: &App,
    name: &str,
    agency: Option<&str>,
    valid_hours: u32,
    actor: &Actor,
) -> Result<(ContactCard, String, DateTime<Utc>)> {
    let book = app.read().await?.contacts()?;
    let card = find_one(&book, name, agency)?.clone();
    let code = new_code();
    let expires_at = app.now() + Duration::hours(i64::from(valid_hours));
    let event = ContactEvent::LinkCodeIssued { id: card.id.clone(), code_sha256: code_hash(&code), expires_at };
    append(app, event, actor).await?;
    Ok((card, code, expires_at))
}

/// The person `id` chooses the channels to be reached on, in order; those left out are
/// opted out of. At least one channel with an address must remain, so that no reminder
/// is lost.
pub async fn choose_channels(app: &App, id: &str, channels: Vec<Channel>, actor: &Actor) -> Result<ContactCard> {
    let book = app.read().await?.contacts()?;
    let card = book.get(id).cloned().ok_or_else(|| AppError::NotFound(format!("không có người nhận mã \"{id}\"")))?;
    let mut chosen: Vec<Channel> = Vec::new();
    for ch in channels {
        if !chosen.contains(&ch) {
            chosen.push(ch);
        }
    }
    if !chosen.iter().any(|ch| card.address(*ch).is_some()) {
        return Err(AppError::Input(
            "cần giữ ít nhất một kênh đã có địa chỉ để nhắc việc không bị thất lạc".to_string(),
        ));
    }
    append(app, ContactEvent::ChannelsChosen { id: card.id.clone(), channels: chosen }, actor).await?;
    Ok(app.read().await?.contacts()?.get(id).cloned().unwrap_or(card))
}

/// The person `id` chooses quiet hours ("HH:MM" to "HH:MM", local time), or gives them up
/// (`None`). The window must leave part of the working day free (see
/// [`QuietHours::check`]), so that reminders are deferred, never silenced.
pub async fn choose_quiet_hours(app: &App, id: &str, quiet: Option<QuietHours>, actor: &Actor) -> Result<ContactCard> {
    let book = app.read().await?.contacts()?;
    let card = book.get(id).cloned().ok_or_else(|| AppError::NotFound(format!("không có người nhận mã \"{id}\"")))?;
    if let Some(q) = &quiet {
        q.check(app.settings.calendar.get().hours(), app.settings.reminders.send_at).map_err(AppError::Input)?;
    }
    if card.quiet == quiet {
        return Ok(card);
    }
    append(app, ContactEvent::QuietHoursChosen { id: card.id.clone(), quiet }, actor).await?;
    Ok(app.read().await?.contacts()?.get(id).cloned().unwrap_or(card))
}

/// Removes a person from the book (the history keeps them).
pub async fn remove(app: &App, name: &str, agency: Option<&str>, reason: &str, actor: &Actor) -> Result<ContactCard> {
    let book = app.read().await?.contacts()?;
    let card = find_one(&book, name, agency)?.clone();
    append(app, ContactEvent::ContactRemoved { id: card.id.clone(), reason: reason.to_string() }, actor).await?;
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_read_as_people_write_them() {
        let cases = [
            ("0901 234 567", Some("84901234567")),
            ("+84 901 234 567", Some("84901234567")),
            ("84901234567", Some("84901234567")),
            ("12345", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(normalize_phone(text).ok().as_deref(), want, "{text}");
        }
    }

    #[test]
    fn link_codes_are_compared_by_hash_ignoring_case() {
        assert_eq!(code_hash(" abcd2345 "), code_hash("ABCD2345"));
        assert!(new_code().chars().all(|c| c.is_ascii_alphanumeric() && !"01IO".contains(c)));
    }
}
