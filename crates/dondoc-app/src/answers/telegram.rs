//! Officers answering on Telegram: `/start <code>` in their private chat with the bot links
//! it to a contact; the buttons under a reminder acknowledge it ("Đã nhận") or ask for a
//! progress report or an extension request, whose text the next message carries. A press
//! is authorised by the Telegram user who pressed, never by the chat it happened in. Every
//! answer becomes events on the tasks' streams with the linked officer as actor, under a
//! command id drawn from Telegram's update id: an update delivered again (it is confirmed
//! to Telegram only after its events are appended) records nothing twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dondoc_core::StreamEvent as _;
use dondoc_core::contact::{CONTACT_STREAM, ContactBook, ContactCard, ContactEvent};
use dondoc_core::event::{Channel, ReminderKey, Source, TaskKey};
use dondoc_core::task::TaskCommand;
use dondoc_notify::channel::telegram::{Inbound, Incoming, TelegramSender};
use dondoc_notify::message::ActionKind;
use dondoc_store::ExpectedRevision;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use super::parse::{Pending, answer, prompt};
use super::{acknowledgements, actor, find_contact, message_keys};
use crate::App;
use crate::command;
use crate::contacts::code_hash;
use crate::error::Result;

/// Handles updates until shutdown.
pub async fn run(
    app: &App,
    bot: &TelegramSender,
    mut rx: mpsc::Receiver<Incoming>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let mut pending: HashMap<i64, Pending> = HashMap::new();
    loop {
        let incoming = tokio::select! {
            u = rx.recv() => match u { Some(u) => u, None => return Ok(()) },
            _ = shutdown.changed() => return Ok(()),
        };
        let now = app.now();
        let command_id =
            Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("telegram:update:{}", incoming.update_id).as_bytes());
        let handled = match handle(app, bot, &mut pending, incoming.inbound, now, command_id).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, update_id = incoming.update_id, "không ghi nhận được tin nhắn Telegram: sẽ xử lý lại");
                false
            }
        };
        let _ = incoming.handled.send(handled);
    }
}

/// Answers in a chat. A reply that cannot be sent is logged: what the officer did is
/// recorded already, and sending the update through again would not bring the reply back.
async fn reply(bot: &TelegramSender, chat_id: i64, text: &str) {
    if let Err(e) = bot.reply(chat_id, text).await {
        tracing::warn!(error = %e, chat_id, "không trả lời được trên Telegram");
    }
}

/// Answers a button press (the notice Telegram shows); logged like [`reply`].
async fn answer_press(bot: &TelegramSender, callback_id: &str, text: &str) {
    if let Err(e) = bot.answer_callback(callback_id, text).await {
        tracing::warn!(error = %e, "không trả lời được nút Telegram");
    }
}

/// Records what an update means, then answers. An error means nothing (or not all) was
/// recorded: the update is handled again.
async fn handle(
    app: &App,
    bot: &TelegramSender,
    pending: &mut HashMap<i64, Pending>,
    update: Inbound,
    now: DateTime<Utc>,
    command_id: Uuid,
) -> Result<()> {
    let by_chat = |chat: i64| {
        let chat = chat.to_string();
        move |book: &ContactBook| book.by_address(Channel::Telegram, &chat).cloned()
    };
    match update {
        Inbound::Start { chat_id, private: false, .. } => {
            reply(bot, chat_id, "Mã liên kết chỉ dùng trong trò chuyện riêng với bot, không dùng trong nhóm.").await;
        }
        Inbound::Start { chat_id, code, .. } => {
            let Some(code) = code else {
                reply(bot, chat_id, "Xin chào! Hãy gửi /start kèm mã liên kết do Tổ giúp việc cấp.").await;
                return Ok(());
            };
            let hash = code_hash(&code);
            // A one-time code is checked against the log as it is now, never a stale view.
            let Some(card) = app.read().await?.contacts()?.redeem(&hash, now).cloned() else {
                // A spent code from a linked chat is most likely this update delivered again.
                let text = match find_contact(app, by_chat(chat_id)).await? {
                    Some(card) => format!(
                        "Mã liên kết không đúng hoặc đã dùng. Telegram này đang được liên kết với {} ({}).",
                        card.name, card.agency
                    ),
                    None => "Mã liên kết không đúng hoặc đã hết hạn. Đề nghị đồng chí liên hệ Tổ giúp việc để được cấp mã mới.".to_string(),
                };
                reply(bot, chat_id, &text).await;
                return Ok(());
            };
            let event = ContactEvent::ContactLinked {
                id: card.id.clone(),
                channel: Channel::Telegram,
                address: chat_id.to_string(),
                code_sha256: Some(hash),
            };
            let (t, data) = event.encode();
            let ctx = actor(&card, Source::Telegram).at(now).with_command_id(command_id);
            command::append_facts(&app.store, CONTACT_STREAM, ExpectedRevision::Any, vec![(t, data)], &ctx).await?;
            let text = format!(
                "Đã liên kết Telegram với {} ({}). Từ nay nhắc việc sẽ được gửi vào đây.",
                card.name, card.agency
            );
            reply(bot, chat_id, &text).await;
        }
        Inbound::Callback { chat_id: _, user_id, callback_id, action, message_ref } => {
            // The officer is the user who pressed (their private chat has their user id).
            let Some(card) = find_contact(app, by_chat(user_id)).await? else {
                answer_press(bot, &callback_id, "Tài khoản Telegram này chưa được liên kết.").await;
                return Ok(());
            };
            let keys: Vec<ReminderKey> = message_keys(app, &message_ref).await?;
            // Only the officer a reminder was sent to answers it (callback data can be forged).
            let keys: Vec<ReminderKey> = keys.into_iter().filter(|k| k.recipient == card.id).collect();
            if keys.is_empty() {
                answer_press(bot, &callback_id, "Không tìm thấy nhắc việc này.").await;
                return Ok(());
            }
            match action {
                ActionKind::Acknowledge => {
                    let commands = acknowledgements(&keys);
                    let n = commands.len();
                    execute(app, &card, commands, now, command_id).await?;
                    answer_press(bot, &callback_id, &format!("Đã ghi nhận: đã nhận {n} nhắc việc.")).await;
                }
                ActionKind::Progress | ActionKind::Extension => {
                    // The text comes in the officer's private chat.
                    pending.insert(user_id, Pending { action, keys: keys.clone() });
                    let asked = if action == ActionKind::Progress {
                        "Mời nhập báo cáo tiến độ."
                    } else {
                        "Mời nhập đề nghị gia hạn."
                    };
                    answer_press(bot, &callback_id, asked).await;
                    reply(bot, user_id, &prompt(action, &keys)).await;
                }
            }
        }
        Inbound::Text { chat_id, text, .. } => {
            let Some(card) = find_contact(app, by_chat(chat_id)).await? else {
                reply(bot, chat_id, "Tài khoản Telegram này chưa được liên kết. Hãy gửi /start kèm mã liên kết.").await;
                return Ok(());
            };
            if let Some(asked) = super::chat_command(&text) {
                let answer = super::chat_reply(app, &card, asked, Source::Telegram, command_id).await?;
                reply(bot, chat_id, &answer).await;
                return Ok(());
            }
            let Some(p) = pending.get(&chat_id).cloned() else {
                reply(
                    bot,
                    chat_id,
                    "Đồng chí bấm nút dưới tin nhắc việc để báo cáo tiến độ hoặc đề nghị gia hạn; \
                     gửi /viec để xem các nhiệm vụ đang thực hiện, /trehan để xem các nhiệm vụ quá hạn, \
                     /giaitrinh <mã nhiệm vụ> <nội dung> để gửi giải trình.",
                )
                .await;
                return Ok(());
            };
            match answer(&p, &text) {
                Ok(commands) => {
                    let n = commands.len();
                    execute(app, &card, commands, now, command_id).await?;
                    pending.remove(&chat_id);
                    reply(bot, chat_id, &format!("Đã ghi nhận cho {n} nhiệm vụ. Cảm ơn đồng chí.")).await;
                }
                Err(help) => reply(bot, chat_id, &help).await,
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
    command_id: Uuid,
) -> Result<()> {
    let ctx = actor(card, Source::Telegram).at(now).with_command_id(command_id);
    command::execute_batch(&app.store, &commands, Vec::new(), &ctx).await?;
    app.catch_up().await?;
    Ok(())
}
