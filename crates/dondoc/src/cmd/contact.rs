//! `dondoc contact add | list | link-code | remove`: the people who receive reminders.

use anyhow::Result;
use chrono::Duration;
use dondoc_core::StreamEvent as _;
use dondoc_core::contact::{CONTACT_STREAM, ContactBook, ContactCard, ContactEvent};
use dondoc_core::event::Source;
use dondoc_core::planner::Role;
use dondoc_core::text::clean;
use dondoc_projections::service::{self, CommandContext};
use dondoc_store::ExpectedRevision;
use rand::Rng;

use crate::app::{self, App};
use crate::cli::{ContactAction, ContactArgs, Global, RoleArg};
use crate::cmd::task::actor;
use crate::daemon::{inbound, load};
use crate::{InputError, outln};

pub async fn run(global: &Global, args: &ContactArgs) -> Result<()> {
    let app = App::open(global).await?;
    let book = load::contacts(&app.store).await?;
    let now = app::now()?;
    let ctx = CommandContext::new(actor(&args.actor), Source::Cli, now);
    match &args.action {
        ContactAction::Add { name, agency, role, email, telegram, zalo, phone, json } => {
            let name = clean(name);
            let agency = clean(agency);
            if name.is_empty() || agency.is_empty() {
                return Err(InputError("cần --name và --agency không rỗng".into()).into());
            }
            if email.is_none() && telegram.is_none() && zalo.is_none() && phone.is_none() {
                outln!(
                    "Lưu ý: chưa có kênh nào (--email, --telegram, --zalo, --phone); có thể cấp mã liên kết Telegram sau."
                );
            }
            let existing = book.find(&name, Some(&agency)).first().map(|c| (*c).clone());
            let card = ContactCard {
                id: existing.as_ref().map_or_else(|| book.next_id(), |c| c.id.clone()),
                name,
                agency,
                role: role_of(*role),
                email: email.clone().map(|e| e.trim().to_string()).or(existing.as_ref().and_then(|c| c.email.clone())),
                telegram: telegram.clone().or(existing.as_ref().and_then(|c| c.telegram.clone())),
                zalo: zalo.clone().or(existing.as_ref().and_then(|c| c.zalo.clone())),
                phone: phone
                    .as_deref()
                    .map(normalize_phone)
                    .transpose()?
                    .or(existing.as_ref().and_then(|c| c.phone.clone())),
            };
            if let Some(e) = &card.email
                && !e.contains('@')
            {
                return Err(InputError(format!("--email \"{e}\" không phải địa chỉ thư")).into());
            }
            let event = if existing.is_some() {
                ContactEvent::ContactUpdated { card: card.clone() }
            } else {
                ContactEvent::ContactAdded { card: card.clone() }
            };
            append(&app, event, &ctx).await?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&card)?);
            } else {
                let verb = if existing.is_some() { "Đã cập nhật" } else { "Đã thêm" };
                outln!("{verb} {} – {} ({}), mã {}.", card.name, card.agency, role_vi(card.role), card.id);
            }
        }
        ContactAction::List { json } => list(&book, *json)?,
        ContactAction::LinkCode { name, agency, valid_hours, json } => {
            let card = one(&book, name, agency.as_deref())?;
            let code = new_code();
            let expires_at = now + Duration::hours(i64::from(*valid_hours));
            let event = ContactEvent::LinkCodeIssued {
                id: card.id.clone(),
                code_sha256: inbound::code_hash(&code),
                expires_at,
            };
            append(&app, event, &ctx).await?;
            if *json {
                outln!(
                    "{}",
                    serde_json::json!({ "contact": card.id, "code": code, "expires_at": expires_at.with_timezone(&dondoc_core::calendar::TZ).to_rfc3339() })
                );
            } else {
                outln!(
                    "Mã liên kết của {} ({}): {code}\nNgười nhận gửi \"/start {code}\" cho bot Telegram trước {}. Mã chỉ dùng một lần.",
                    card.name,
                    card.agency,
                    expires_at.with_timezone(&dondoc_core::calendar::TZ).format("%H:%M %d/%m/%Y")
                );
            }
        }
        ContactAction::Remove { name, agency, reason } => {
            let card = one(&book, name, agency.as_deref())?;
            append(&app, ContactEvent::ContactRemoved { id: card.id.clone(), reason: reason.clone() }, &ctx).await?;
            outln!("Đã xóa {} ({}) khỏi danh bạ.", card.name, card.agency);
        }
    }
    Ok(())
}

async fn append(app: &App, event: ContactEvent, ctx: &CommandContext) -> Result<()> {
    let (t, data) = event.encode();
    service::append_facts(&app.store, CONTACT_STREAM, ExpectedRevision::Any, vec![(t, data)], ctx).await?;
    Ok(())
}

fn one<'a>(book: &'a ContactBook, name: &str, agency: Option<&str>) -> Result<&'a ContactCard> {
    let found = book.find(name, agency);
    match found.as_slice() {
        [one] => Ok(one),
        [] => {
            Err(InputError(format!("không có người nhận tên \"{name}\" trong danh bạ (xem: dondoc contact list)"))
                .into())
        }
        many => Err(InputError(format!(
            "có {} người tên \"{name}\" ({}); thêm --agency",
            many.len(),
            many.iter().map(|c| c.agency.as_str()).collect::<Vec<_>>().join("; ")
        ))
        .into()),
    }
}

fn list(book: &ContactBook, json: bool) -> Result<()> {
    let cards: Vec<&ContactCard> = book.cards().collect();
    if json {
        outln!("{}", serde_json::to_string_pretty(&cards)?);
        return Ok(());
    }
    outln!("Danh bạ ({} người):", cards.len());
    for c in cards {
        let mut channels = Vec::new();
        if let Some(t) = &c.telegram {
            channels.push(format!("Telegram {t}"));
        }
        if let Some(z) = &c.zalo {
            channels.push(format!("Zalo {z}"));
        }
        if let Some(p) = &c.phone {
            channels.push(format!("ĐT {p}"));
        }
        if let Some(e) = &c.email {
            channels.push(format!("email {e}"));
        }
        let channels = if channels.is_empty() { "chưa có kênh".to_string() } else { channels.join(", ") };
        outln!("  {}  {} – {} ({}): {channels}", c.id, c.name, c.agency, role_vi(c.role));
    }
    Ok(())
}

fn role_of(r: RoleArg) -> Role {
    match r {
        RoleArg::Officer => Role::Officer,
        RoleArg::Head => Role::Head,
        RoleArg::Secretariat => Role::Secretariat,
        RoleArg::Leadership => Role::Leadership,
    }
}

/// The Vietnamese name of a role.
pub fn role_vi(r: Role) -> &'static str {
    match r {
        Role::Officer => "chuyên viên đầu mối",
        Role::Head => "lãnh đạo cơ quan",
        Role::Secretariat => "tổ giúp việc",
        Role::Leadership => "lãnh đạo tỉnh",
    }
}

/// "0901 234 567", "+84901234567" → "84901234567".
fn normalize_phone(p: &str) -> Result<String> {
    let digits: String = p.chars().filter(|c| c.is_ascii_digit()).collect();
    let n = match digits.strip_prefix('0') {
        Some(rest) => format!("84{rest}"),
        None => digits,
    };
    if !(n.starts_with("84") && (10..=12).contains(&n.len())) {
        return Err(InputError(format!("--phone \"{p}\": cần số di động Việt Nam, ví dụ 0901234567")).into());
    }
    Ok(n)
}

/// An 8-character code without look-alike letters.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..8).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}
