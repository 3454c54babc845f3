//! `dondoc contact add | list | link-code | remove`: the people who receive reminders.

use anyhow::Result;
use dondoc_app::contacts::{self, ContactInput, Saved};
use dondoc_core::calendar::TZ;
use dondoc_core::contact::{ContactBook, ContactCard, Role};
use dondoc_core::event::Source;

use crate::cli::{ContactAction, ContactArgs, Global, RoleArg};
use crate::{datadir, outln};

pub async fn run(global: &Global, args: &ContactArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    let actor = super::actor(&global.actor, Source::Cli);
    match &args.action {
        ContactAction::Add { name, agency, role, position, email, telegram, zalo, phone, json } => {
            if email.is_none() && telegram.is_none() && zalo.is_none() && phone.is_none() {
                outln!(
                    "Lưu ý: chưa có kênh nào (--email, --telegram, --zalo, --phone); có thể cấp mã liên kết Telegram sau."
                );
            }
            let input = ContactInput {
                name: name.clone(),
                agency: agency.clone(),
                role: role_of(*role),
                position: position.clone(),
                email: email.clone(),
                telegram: telegram.clone(),
                zalo: zalo.clone(),
                phone: phone.clone(),
            };
            let (card, saved) = contacts::save(&app, input, &actor).await?;
            if *json {
                outln!("{}", serde_json::to_string_pretty(&card)?);
            } else {
                let verb = if saved == Saved::Updated { "Đã cập nhật" } else { "Đã thêm" };
                outln!("{verb} {} – {} ({}), mã {}.", card.name, card.agency, card.role.label_vi(), card.id);
            }
        }
        ContactAction::List { json } => list(&app.read().await?.contacts()?, *json)?,
        ContactAction::LinkCode { name, agency, valid_hours, json } => {
            let (card, code, expires_at) =
                contacts::issue_link_code(&app, name, agency.as_deref(), *valid_hours, &actor).await?;
            if *json {
                outln!(
                    "{}",
                    serde_json::json!({ "contact": card.id, "code": code, "expires_at": expires_at.with_timezone(&TZ).to_rfc3339() })
                );
            } else {
                outln!(
                    "Mã liên kết của {} ({}): {code}\nNgười nhận gửi \"/start {code}\" cho bot Telegram trước {}. Mã chỉ dùng một lần.",
                    card.name,
                    card.agency,
                    expires_at.with_timezone(&TZ).format("%H:%M %d/%m/%Y")
                );
            }
        }
        ContactAction::Remove { name, agency, reason } => {
            let card = contacts::remove(&app, name, agency.as_deref(), reason, &actor).await?;
            outln!("Đã xóa {} ({}) khỏi danh bạ.", card.name, card.agency);
        }
    }
    Ok(())
}

fn list(book: &ContactBook, json: bool) -> Result<()> {
    let cards: Vec<&ContactCard> = book.cards().collect();
    if json {
        // Each card, with when the officer last wrote to the Zalo OA (the reply window).
        let rows: Vec<serde_json::Value> = cards
            .iter()
            .map(|c| {
                let mut row = serde_json::to_value(c)?;
                if let Some(at) = book.zalo_last_interaction(&c.id) {
                    row["zalo_last_message"] = serde_json::json!(at.with_timezone(&TZ).to_rfc3339());
                }
                Ok(row)
            })
            .collect::<Result<_, serde_json::Error>>()?;
        outln!("{}", serde_json::to_string_pretty(&rows)?);
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
        outln!("  {}  {} – {} ({}): {channels}", c.id, c.name, c.agency, c.role.label_vi());
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
