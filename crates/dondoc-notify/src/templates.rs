//! Messages from minijinja templates: the templates of `config/templates/` (built in, or
//! overridden by the operator), rendered per channel. Reminder digests here, written for
//! their reader (an officer is asked to do the work, an agency head to direct it, the
//! secretariat gets a follow-up list), with the answer hint each channel allows (buttons
//! on Telegram and Zalo, a reply address by email); the weekly summary and the daily digest
//! in [`crate::summary`]. The wording follows docs/van-phong.md.

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use dondoc_core::contact::Role;
use dondoc_core::event::{Channel, Milestone};
use dondoc_core::reminder::{Digest, Notice};
use dondoc_core::text::{lower_first, weekday_vi};
use minijinja::{Environment, context};
use serde::Serialize;

use crate::message::{Message, MessageKind, idempotency_key, reminder_actions};

/// Every template, built in from `config/templates/`.
pub const BUILTIN: [(&str, &str); 16] = [
    ("reminder.subject.j2", include_str!("../../../config/templates/reminder.subject.j2")),
    ("reminder.txt.j2", include_str!("../../../config/templates/reminder.txt.j2")),
    ("reminder.html.j2", include_str!("../../../config/templates/reminder.html.j2")),
    ("escalation.subject.j2", include_str!("../../../config/templates/escalation.subject.j2")),
    ("escalation.txt.j2", include_str!("../../../config/templates/escalation.txt.j2")),
    ("escalation.html.j2", include_str!("../../../config/templates/escalation.html.j2")),
    ("followup.subject.j2", include_str!("../../../config/templates/followup.subject.j2")),
    ("followup.txt.j2", include_str!("../../../config/templates/followup.txt.j2")),
    ("followup.html.j2", include_str!("../../../config/templates/followup.html.j2")),
    ("summary.html.j2", include_str!("../../../config/templates/summary.html.j2")),
    ("summary.txt.j2", include_str!("../../../config/templates/summary.txt.j2")),
    ("summary.chat.j2", include_str!("../../../config/templates/summary.chat.j2")),
    ("daily.subject.j2", include_str!("../../../config/templates/daily.subject.j2")),
    ("daily.txt.j2", include_str!("../../../config/templates/daily.txt.j2")),
    ("delivery.subject.j2", include_str!("../../../config/templates/delivery.subject.j2")),
    ("delivery.txt.j2", include_str!("../../../config/templates/delivery.txt.j2")),
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

/// Wording that is not in the templates: who signs, where reports go, how to answer.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Wording {
    /// The signature, e.g. "TỔ GIÚP VIỆC – VĂN PHÒNG UBND TỈNH".
    pub sender: String,
    /// Who asks, in the opening sentence: "Tổ giúp việc".
    pub requester: String,
    /// Where results and requests are sent: "Văn phòng UBND tỉnh".
    pub office: String,
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
            sender: "TỔ GIÚP VIỆC – VĂN PHÒNG UBND TỈNH".into(),
            requester: "Tổ giúp việc".into(),
            office: "Văn phòng UBND tỉnh".into(),
            answer_email: "Đồng chí trả lời thư này để xác nhận đã nhận, báo cáo tiến độ hoặc đề nghị gia hạn \
                           (nêu rõ lý do và thời hạn đề nghị)."
                .into(),
            answer_telegram: "Đồng chí bấm «Đã nhận» để xác nhận; «Báo cáo tiến độ» hoặc «Đề nghị gia hạn» để \
                              phản hồi ngay trên Telegram."
                .into(),
            answer_zalo: "Đồng chí bấm «Đã nhận» để xác nhận, hoặc trả lời tin nhắn này để báo cáo tiến độ.".into(),
        }
    }
}

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
    wording: Wording,
    /// "Sắp đến hạn" within this many working days; earlier reminders are "nhắc trước hạn".
    due_soon_working_days: i64,
}

/// A notice as templates see it.
#[derive(Debug, Serialize)]
struct NoticeView {
    plan: String,
    /// How the plan is cited: "Kế hoạch số … ngày … của … về …".
    plan_citation: String,
    /// The same (the name of templates written before the citation).
    plan_title: String,
    code: String,
    title: String,
    /// The title cut to 60 characters (subjects).
    title_short: String,
    lead: String,
    /// The cooperating agencies, "; "-separated (empty when none).
    cooperating: String,
    product: String,
    /// "Quý III/2025" (empty for a one-off deadline); `occurrence_lower`: "quý III/2025".
    occurrence: String,
    occurrence_lower: String,
    /// What the reader is asked to do about this notice.
    request: String,
    headline: &'static str,
    date_label: &'static str,
    date: String,
    weekday: &'static str,
    /// Inside a sentence: "thứ Ba", "chủ nhật".
    weekday_lower: String,
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

    /// Sets the "sắp đến hạn" window (working days; 5 unless configured).
    pub fn with_due_soon(mut self, working_days: u32) -> Templates {
        self.due_soon_working_days = i64::from(working_days);
        self
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
        Ok(Templates { env, wording, due_soon_working_days: 5 })
    }

    /// Renders a digest for `channel` at `address`, written for the recipient's role.
    /// `plan_titles` maps plan ids to their citations.
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
        let notices: Vec<NoticeView> = digest.notices.iter().map(|n| self.view(n, plan_titles, digest.role)).collect();
        let overdue = notices.iter().filter(|n| n.overdue).count();
        let answer = match channel {
            Channel::Email => &self.wording.answer_email,
            Channel::Telegram => &self.wording.answer_telegram,
            Channel::Zalo => &self.wording.answer_zalo,
        };
        let template = match digest.role {
            Role::Head => "escalation",
            Role::Secretariat => "followup",
            Role::Officer | Role::Leadership => "reminder",
        };
        let mut leads: Vec<&str> = digest.notices.iter().map(|n| n.lead.as_str()).collect();
        leads.sort_unstable();
        leads.dedup();
        let ctx = context! {
            name => digest.name, salutation => salutation(&digest.name, digest.position.as_deref()),
            sender => self.wording.sender, requester => self.wording.requester, office => self.wording.office,
            answer => answer, notices => notices, overdue => overdue, more => more, leads => leads.join("; "),
        };
        let subject = self.render(&format!("{template}.subject.j2"), &ctx)?.trim().to_string();
        let text = self.render(&format!("{template}.txt.j2"), &ctx)?;
        let html = match channel {
            Channel::Email => {
                Some(self.render(&format!("{template}.html.j2"), &context! { subject => subject, ..ctx.clone() })?)
            }
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
        let mut tasks: Vec<_> = digest.notices.iter().map(Notice::task).collect();
        tasks.dedup();
        let first = &digest.notices[0];
        let params = [
            ("ten_can_bo", digest.name.clone()),
            ("so_nhiem_vu", digest.notices.len().to_string()),
            ("ma_nhiem_vu", first.key.code.clone()),
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

/// "Đồng chí Hồ Quang Em, Phó Chủ tịch UBND tỉnh" (the position when known).
pub fn salutation(name: &str, position: Option<&str>) -> String {
    match position.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => format!("Đồng chí {name}, {p}"),
        None => format!("Đồng chí {name}"),
    }
}

impl Templates {
    fn view(&self, n: &Notice, plan_titles: &HashMap<String, String>, role: Role) -> NoticeView {
        let left = n.working_days_left;
        let soon = self.due_soon_working_days;
        let (headline, date_label) = match n.key.milestone {
            Milestone::Start => ("Nhắc trước ngày bắt đầu", "Ngày bắt đầu"),
            Milestone::Due if left <= 0 => ("Đến hạn hôm nay", "Hạn hoàn thành"),
            Milestone::Due if left <= soon => ("Sắp đến hạn", "Hạn hoàn thành"),
            Milestone::Due => ("Nhắc trước hạn", "Hạn hoàn thành"),
            Milestone::Overdue | Milestone::Escalation => ("Quá hạn", "Hạn hoàn thành"),
            Milestone::Explanation => ("Yêu cầu giải trình", "Hạn giải trình"),
        };
        let left_text = match left {
            0 if n.key.milestone == Milestone::Start => "bắt đầu hôm nay".to_string(),
            0 if n.key.milestone == Milestone::Explanation => "hạn giải trình là hôm nay".to_string(),
            0 => "đến hạn hôm nay".to_string(),
            l if l > 0 => format!("còn {l} ngày làm việc"),
            l => format!("quá hạn {} ngày làm việc", -l),
        };
        let office = &self.wording.office;
        let report = n.occurrence.is_some();
        let request = match (role, n.key.milestone) {
            (_, Milestone::Explanation) => format!(
                "Nhiệm vụ đã quá hạn; đề nghị có văn bản giải trình gửi {office}, nêu rõ nguyên nhân và thời hạn \
                 hoàn thành."
            ),
            (Role::Head, _) => {
                format!("Đề nghị đồng chí chỉ đạo khẩn trương hoàn thành hoặc có văn bản đề nghị gia hạn gửi {office}.")
            }
            (Role::Secretariat, _) => "Đề nghị theo dõi, đôn đốc; tổng hợp báo cáo lãnh đạo nếu cần.".to_string(),
            (_, Milestone::Start) => "Đề nghị chuẩn bị triển khai thực hiện đúng kế hoạch.".to_string(),
            (_, Milestone::Due) if report => format!("Đề nghị gửi báo cáo về {office} đúng hạn."),
            (_, Milestone::Due) => format!("Đề nghị hoàn thành đúng hạn, báo cáo kết quả về {office}."),
            (_, Milestone::Overdue | Milestone::Escalation) if report => {
                format!("Đề nghị khẩn trương gửi báo cáo về {office}; nếu chưa gửi được, nêu rõ lý do.")
            }
            (_, Milestone::Overdue | Milestone::Escalation) => format!(
                "Đề nghị khẩn trương hoàn thành, báo cáo kết quả về {office}; nếu chưa hoàn thành, nêu rõ lý do \
                 và đề xuất thời hạn."
            ),
        };
        let citation = plan_titles.get(&n.key.plan).cloned().unwrap_or_else(|| format!("Kế hoạch {}", n.key.plan));
        NoticeView {
            plan: n.key.plan.clone(),
            plan_citation: citation.clone(),
            plan_title: citation,
            code: n.key.code.clone(),
            title: n.title.clone(),
            title_short: short(&n.title, 60),
            lead: n.lead.clone(),
            cooperating: n.cooperating.join("; "),
            product: n.product.clone().unwrap_or_default(),
            occurrence: n.occurrence.map(|p| p.label()).unwrap_or_default(),
            occurrence_lower: n.occurrence.map(|p| p.label_in_sentence()).unwrap_or_default(),
            request,
            headline,
            date_label,
            date: n.date.format("%d/%m/%Y").to_string(),
            weekday: weekday_vi(n.date.weekday()),
            weekday_lower: lower_first(weekday_vi(n.date.weekday())),
            working_days_left: left,
            left_text,
            overdue: matches!(n.key.milestone, Milestone::Overdue | Milestone::Escalation),
            milestone: n.key.milestone.as_str(),
        }
    }
}
