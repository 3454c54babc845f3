//! Officers answering on Telegram: `/start <code>` links a chat to a contact; the buttons
//! under a reminder acknowledge it ("Đã nhận") or ask for a progress report or an
//! extension request, whose text the next message carries. Every answer becomes events on
//! the tasks' streams with the linked officer as actor.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dondoc_core::StreamEvent as _;
use dondoc_core::contact::{CONTACT_STREAM, ContactCard, ContactEvent};
use dondoc_core::event::{Channel, ReminderKey, Source, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_notify::channel::telegram::{Inbound, TelegramSender};
use dondoc_notify::message::ActionKind;
use dondoc_store::ExpectedRevision;
use tokio::sync::{mpsc, watch};

use super::parse::{Pending, answer, prompt};
use super::{acknowledgements, actor};
use crate::App;
use crate::command;
use crate::contacts::code_hash;
use crate::error::{AppError, Result};

/// Handles updates until shutdown.
pub async fn run(
    app: &App,
    bot: &TelegramSender,
    mut rx: mpsc::Receiver<Inbound>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let mut pending: HashMap<i64, Pending> = HashMap::new();
    loop {
        let update = tokio::select! {
            u = rx.recv() => match u { Some(u) => u, None => return Ok(()) },
            _ = shutdown.changed() => return Ok(()),
        };
        let now = app.now();
        if let Err(e) = handle(app, bot, &mut pending, update, now).await {
            tracing::error!(error = %e, "không xử lý được tin nhắn Telegram");
        }
    }
}

/// A Telegram failure while answering, as an application error.
fn sent(e: dondoc_notify::SendError) -> AppError {
    AppError::Input(format!("không trả lời được trên Telegram: {e}"))
}

async fn handle(
    app: &App,
    bot: &TelegramSender,
    pending: &mut HashMap<i64, Pending>,
    update: Inbound,
    now: DateTime<Utc>,
) -> Result<()> {
    let book = app.read().await?.contacts()?;
    match update {
        Inbound::Start { chat_id, code, .. } => {
            let Some(code) = code else {
                bot.reply(chat_id, "Xin chào! Hãy gửi /start kèm mã liên kết do Tổ giúp việc cấp.")
                    .await
                    .map_err(sent)?;
                return Ok(());
            };
            let hash = code_hash(&code);
            let Some(card) = book.redeem(&hash, now).cloned() else {
                bot.reply(chat_id, "Mã liên kết không đúng hoặc đã hết hạn. Vui lòng xin mã mới từ Tổ giúp việc.")
                    .await
                    .map_err(sent)?;
                return Ok(());
            };
            let event = ContactEvent::ContactLinked {
                id: card.id.clone(),
                channel: Channel::Telegram,
                address: chat_id.to_string(),
                code_sha256: Some(hash),
            };
            let (t, data) = event.encode();
            let ctx = actor(&card, Source::Telegram).at(now);
            command::append_facts(&app.store, CONTACT_STREAM, ExpectedRevision::Any, vec![(t, data)], &ctx).await?;
            bot.reply(
                chat_id,
                &format!(
                    "Đã liên kết Telegram với {} ({}). Từ nay nhắc việc sẽ được gửi vào đây.",
                    card.name, card.agency
                ),
            )
            .await
            .map_err(sent)?;
        }
        Inbound::Callback { chat_id, callback_id, action, message_ref } => {
            let Some(card) = book.by_address(Channel::Telegram, &chat_id.to_string()).cloned() else {
                bot.answer_callback(&callback_id, "Tài khoản Telegram này chưa được liên kết.").await.map_err(sent)?;
                return Ok(());
            };
            let keys: Vec<ReminderKey> = app.read().await?.message_keys(&message_ref)?;
            // Only the officer a reminder was sent to answers it (callback data can be forged).
            let keys: Vec<ReminderKey> = keys.into_iter().filter(|k| k.recipient == card.id).collect();
            if keys.is_empty() {
                bot.answer_callback(&callback_id, "Không tìm thấy nhắc việc này.").await.map_err(sent)?;
                return Ok(());
            }
            match action {
                ActionKind::Acknowledge => {
                    let commands = acknowledgements(&keys);
                    let n = commands.len();
                    execute(app, &card, commands, now).await?;
                    bot.answer_callback(&callback_id, &format!("Đã ghi nhận: đã nhận {n} nhắc việc."))
                        .await
                        .map_err(sent)?;
                }
                ActionKind::Progress | ActionKind::Extension => {
                    pending.insert(chat_id, Pending { action, keys: keys.clone() });
                    let asked = if action == ActionKind::Progress {
                        "Mời nhập báo cáo tiến độ."
                    } else {
                        "Mời nhập đề nghị gia hạn."
                    };
                    bot.answer_callback(&callback_id, asked).await.map_err(sent)?;
                    bot.reply(chat_id, &prompt(action, &keys)).await.map_err(sent)?;
                }
            }
        }
        Inbound::Text { chat_id, text, .. } => {
            let Some(card) = book.by_address(Channel::Telegram, &chat_id.to_string()).cloned() else {
                bot.reply(chat_id, "Tài khoản Telegram này chưa được liên kết. Hãy gửi /start kèm mã liên kết.")
                    .await
                    .map_err(sent)?;
                return Ok(());
            };
            let Some(p) = pending.get(&chat_id).cloned() else {
                bot.reply(chat_id, "Vui lòng bấm nút dưới tin nhắc việc để báo cáo tiến độ hoặc đề nghị gia hạn.")
                    .await
                    .map_err(sent)?;
                return Ok(());
            };
            match answer(&p, &text) {
                Ok(commands) => {
                    let n = commands.len();
                    execute(app, &card, commands, now).await?;
                    pending.remove(&chat_id);
                    bot.reply(chat_id, &format!("Đã ghi nhận cho {n} nhiệm vụ. Cảm ơn đồng chí."))
                        .await
                        .map_err(sent)?;
                }
                Err(help) => {
                    bot.reply(chat_id, &help).await.map_err(sent)?;
                }
            }
        }
    }
    Ok(())
}

async fn execute(
    app: &App,
    card: &ContactCard,
    commands: Vec<(TaskKey, TaskCommand)>,
    now: DateTime<Utc>,
) -> Result<()> {
    let ctx = actor(card, Source::Telegram).at(now);
    command::execute_batch(&app.store, &commands, Vec::new(), &ctx).await?;
    app.catch_up().await?;
    Ok(())
}
