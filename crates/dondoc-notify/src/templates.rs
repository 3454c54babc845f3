//! Messages from minijinja templates: the templates of `config/templates/` (built in, or
//! overridden by the operator), rendered per channel. Reminder digests here, with the
//! answer hint each channel allows (buttons on Telegram and Zalo, a reply address by
//! email); the weekly summary and the daily digest in [`crate::summary`].

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use dondoc_core::event::{Channel, Milestone};
use dondoc_core::reminder::{Digest, Notice};
use dondoc_core::text::weekday_vi;
use minijinja::{Environment, context};
use serde::Serialize;

use crate::message::{Message, MessageKind, idempotency_key, reminder_actions};

/// Every template, built in from `config/templates/`.
pub const BUILTIN: [(&str, &str); 8] = [
    ("reminder.subject.j2", include_str!("../../../config/templates/reminder.subject.j2")),
    ("reminder.txt.j2", include_str!("../../../config/templates/reminder.txt.j2")),
    ("reminder.html.j2", include_str!("../../../config/templates/reminder.html.j2")),
    ("summary.html.j2", include_str!("../../../config/templates/summary.html.j2")),
    ("summary.txt.j2", include_str!("../../../config/templates/summary.txt.j2")),
    ("summary.chat.j2", include_str!("../../../config/templates/summary.chat.j2")),
    ("daily.subject.j2", include_str!("../../../config/templates/daily.subject.j2")),
    ("daily.txt.j2", include_str!("../../../config/templates/daily.txt.j2")),
];

/// Characters of a Telegram message (the Bot API allows 4,096), with room for the ending.
pub const TELEGRAM_TEXT_LIMIT: usize = 3_900;
/// Characters of a Zalo consultation message (about 2,000 allowed: unconfirmed).
pub const ZALO_TEXT_LIMIT: usize = 1_900;

/// A template that cannot be compiled or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("mẫu {name} lỗi: {source}")]
    Render { name: String, source: minijinja::Error },
    #[error("không có mẫu nào tên {0}; các mẫu: {1}")]
    Unknown(String, String),
}

/// Wording that is not in the templates: the sender's name and how to answer.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Wording {
    /// The signature, e.g. "Tổ giúp việc – Văn phòng UBND tỉnh".
    pub sender: String,
    /// How to answer an email reminder.
    pub answer_email: String,
    /// How to answer on Telegram (buttons under the message).
    pub answer_telegram: String,
    /// How to answer on Zalo.
    pub answer_zalo: String,
}

impl Default for Wording {
    fn default() -> Self {
        Wording {
            sender: "Tổ giúp việc (hệ thống đôn đốc nhiệm vụ dondoc)".into(),
            answer_email: "Để báo cáo tiến độ, đề nghị gia hạn hoặc xác nhận đã nhận, vui lòng trả lời thư này \
                           hoặc liên hệ Tổ giúp việc."
                .into(),
            answer_telegram: "Bấm «Đã nhận» để xác nhận, «Báo cáo tiến độ» hoặc «Đề nghị gia hạn» để trả lời \
                              ngay trong Telegram."
                .into(),
            answer_zalo: "Bấm «Đã nhận» để xác nhận, hoặc trả lời tin nhắn này để báo cáo tiến độ.".into(),
        }
    }
}

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
    wording: Wording,
}

/// A notice as templates see it.
#[derive(Debug, Serialize)]
struct NoticeView {
    plan: String,
    plan_title: String,
    code: String,
    title: String,
    /// The title cut to 60 characters (subjects).
    title_short: String,
    lead: String,
    occurrence: String,
    headline: &'static str,
    date_label: &'static str,
    date: String,
    weekday: &'static str,
    working_days_left: i64,
    left_text: String,
    overdue: bool,
    milestone: &'static str,
}

impl Templates {
    /// The built-in templates.
    pub fn builtin(wording: Wording) -> Result<Templates, TemplateError> {
        Templates::new(&BTreeMap::new(), wording)
    }

    /// The built-in templates, each replaced by the source of the same name in
    /// `overrides` (read by the caller from the operator's directory). An override that
    /// names no template is refused.
    pub fn new(overrides: &BTreeMap<String, String>, wording: Wording) -> Result<Templates, TemplateError> {
        let names = || BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        if let Some(unknown) = overrides.keys().find(|n| !BUILTIN.iter().any(|(b, _)| b == *n)) {
            return Err(TemplateError::Unknown(unknown.clone(), names()));
        }
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") { minijinja::AutoEscape::Html } else { minijinja::AutoEscape::None }
        });
        for (name, builtin) in BUILTIN {
            let source = overrides.get(name).cloned().unwrap_or_else(|| builtin.to_string());
            env.add_template_owned(name, source)
                .map_err(|source| TemplateError::Render { name: name.to_string(), source })?;
        }
        Ok(Templates { env, wording })
    }

    /// Renders a digest for `channel` at `address`. `plan_titles` maps plan ids to titles.
    ///
    /// A chat message has a length limit (Telegram 4,096 characters, Zalo about 2,000): a
    /// digest too long for it carries its first notices only, and says that the others
    /// follow. Their keys are not in the message, so the next sweep sends them.
    pub fn render_digest(
        &self,
        digest: &Digest,
        channel: Channel,
        address: &str,
        plan_titles: &HashMap<String, String>,
    ) -> Result<Message, TemplateError> {
        let limit = match channel {
            Channel::Email => return self.render_part(digest, channel, address, plan_titles, 0),
            Channel::Telegram => TELEGRAM_TEXT_LIMIT,
            Channel::Zalo => ZALO_TEXT_LIMIT,
        };
        let mut part = digest.clone();
        loop {
            let more = digest.notices.len() - part.notices.len();
            let message = self.render_part(&part, channel, address, plan_titles, more)?;
            let length = message.text.chars().count();
            if length <= limit || part.notices.len() <= 1 {
                return Ok(message);
            }
            // Shrink in proportion, at least by one notice.
            let keep = (part.notices.len() * limit / length).clamp(1, part.notices.len() - 1);
            part.notices.truncate(keep);
        }
    }

    fn render_part(
        &self,
        digest: &Digest,
        channel: Channel,
        address: &str,
        plan_titles: &HashMap<String, String>,
        more: usize,
    ) -> Result<Message, TemplateError> {
        let notices: Vec<NoticeView> = digest.notices.iter().map(|n| view(n, plan_titles)).collect();
        let overdue = notices.iter().filter(|n| n.overdue).count();
        let answer = match channel {
            Channel::Email => &self.wording.answer_email,
            Channel::Telegram => &self.wording.answer_telegram,
            Channel::Zalo => &self.wording.answer_zalo,
        };
        let ctx = context! {
            name => digest.name, sender => self.wording.sender, answer => answer,
            notices => notices, overdue => overdue, more => more,
        };
        let subject = self.render("reminder.subject.j2", &ctx)?.trim().to_string();
        let text = self.render("reminder.txt.j2", &ctx)?;
        let html = match channel {
            Channel::Email => Some(self.render("reminder.html.j2", &context! { subject => subject, ..ctx.clone() })?),
            _ => None,
        };
        let keys: Vec<_> = digest
            .notices
            .iter()
            .map(|n| {
                let mut k = n.key.clone();
                k.channel = channel;
                k
            })
            .collect();
        let id = idempotency_key(&keys, "reminder");
        let mut tasks: Vec<_> = digest.notices.iter().map(|n| n.task.clone()).collect();
        tasks.dedup();
        let first = &digest.notices[0];
        let params = [
            ("ten_can_bo", digest.name.clone()),
            ("so_nhiem_vu", digest.notices.len().to_string()),
            ("ma_nhiem_vu", first.task.code.clone()),
            ("ten_nhiem_vu", first.title.chars().take(90).collect()),
            ("thoi_han", first.date.format("%d/%m/%Y").to_string()),
            ("so_qua_han", overdue.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Ok(Message {
            kind: MessageKind::Reminder,
            channel,
            recipient: digest.recipient.clone(),
            name: digest.name.clone(),
            address: address.to_string(),
            subject,
            text,
            html,
            attachments: Vec::new(),
            actions: if channel == Channel::Email { Vec::new() } else { reminder_actions(&id) },
            params,
            tasks,
            keys,
            idempotency_key: id,
        })
    }

    /// The signature of messages.
    pub fn sender(&self) -> &str {
        &self.wording.sender
    }

    pub(crate) fn render(&self, name: &str, ctx: &minijinja::Value) -> Result<String, TemplateError> {
        let err = |source| TemplateError::Render { name: name.to_string(), source };
        self.env.get_template(name).map_err(err)?.render(ctx).map_err(err)
    }
}

/// `s` cut to `max` characters at a word boundary, with "…".
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

fn view(n: &Notice, plan_titles: &HashMap<String, String>) -> NoticeView {
    let left = n.working_days_left;
    let (headline, date_label) = match n.key.milestone {
        Milestone::Start => ("Sắp đến ngày bắt đầu", "Ngày bắt đầu"),
        Milestone::Due if left <= 0 => ("Đến hạn hôm nay", "Thời hạn"),
        Milestone::Due => ("Sắp đến hạn", "Thời hạn"),
        Milestone::Overdue => ("Quá hạn", "Thời hạn"),
        Milestone::Escalation => ("Quá hạn – báo cáo lãnh đạo", "Thời hạn"),
    };
    let left_text = match left {
        0 => "hôm nay là hạn cuối".to_string(),
        l if l > 0 => format!("còn {l} ngày làm việc"),
        l => format!("quá hạn {} ngày làm việc", -l),
    };
    NoticeView {
        plan: n.task.plan.clone(),
        plan_title: plan_titles.get(&n.task.plan).cloned().unwrap_or_else(|| n.task.plan.clone()),
        code: n.task.code.clone(),
        title: n.title.clone(),
        title_short: short(&n.title, 60),
        lead: n.lead.clone(),
        occurrence: n.occurrence.map(|p| p.label()).unwrap_or_default(),
        headline,
        date_label,
        date: n.date.format("%d/%m/%Y").to_string(),
        weekday: weekday_vi(n.date.weekday()),
        working_days_left: left,
        left_text,
        overdue: matches!(n.key.milestone, Milestone::Overdue | Milestone::Escalation),
        milestone: n.key.milestone.as_str(),
    }
}
