//! The secretariat's pages: importing a plan (the file uploaded, the difference shown,
//! then confirmed; the file is kept beside the store by its hash between the two steps)
//! and the state of deliveries (reminders no channel delivered, silences).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use dondoc_app::import::{self, Format, ImportOutcome, ImportRequest, Mode};
use dondoc_app::{access, evidence};
use dondoc_core::access::Capability;
use dondoc_core::event::Source;
use dondoc_import::tasks::Change;
use serde::Deserialize;

use super::session::flash;
use super::{Auth, Frame, PageError, checked_form, frame, local_time, render, signed};
use crate::Web;

pub(crate) fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/plans/import", get(import_form).post(import_preview))
        .route("/plans/import/confirm", axum::routing::post(import_confirm))
        .route("/deliveries", get(deliveries))
}

struct ChangeRow {
    kind: &'static str,
    code: String,
    text: String,
}

struct Diff {
    plan: String,
    format: &'static str,
    tasks: usize,
    file: String,
    sha256: String,
    tracked_from: String,
    changes: Vec<ChangeRow>,
    review: Vec<String>,
    withdrawals: Option<usize>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    page: Frame,
    diff: Option<Diff>,
}

fn change_row(c: &Change) -> ChangeRow {
    let row = |kind, code: &str, text: String| ChangeRow { kind, code: code.to_string(), text };
    match c {
        Change::New(s) => row("thêm", &s.code, format!("{} (chủ trì: {})", s.title, s.lead)),
        Change::Revised { spec, fields } => row("điều chỉnh", &spec.code, fields.join(", ")),
        Change::Reassigned { spec, from_lead, .. } => {
            row("giao lại", &spec.code, format!("{from_lead} → {}", spec.lead))
        }
        Change::Withdrawn { code, title } => row("rút", code, title.clone()),
        Change::Renumbered { code, from_tt, to_tt, .. } => row("đánh số lại", code, format!("{from_tt} → {to_tt}")),
        Change::ExtensionProposed { code, to_text, .. } => {
            row("đề nghị gia hạn", code, format!("thời hạn mới theo kế hoạch: {to_text}"))
        }
    }
}

fn secretariat(auth: &Auth, here: &str) -> Result<dondoc_core::account::Account, PageError> {
    let account = signed(auth, here)?;
    access::require(&account, Capability::Import).map_err(PageError::from)?;
    Ok(account)
}

async fn import_form(auth: Auth) -> Result<Html<String>, PageError> {
    secretariat(&auth, "/plans/import")?;
    Ok(render(&ImportPage { page: frame(&auth, "Nhập kế hoạch").await, diff: None }))
}

fn bad(message: impl Into<String>) -> PageError {
    PageError::Message(StatusCode::BAD_REQUEST, message.into())
}

/// A plan's file as the form gave it.
struct Upload<'a> {
    plan: &'a str,
    file: &'a str,
    bytes: &'a [u8],
    tracked_from: Option<NaiveDate>,
}

/// Runs an import of an uploaded file.
async fn run(
    web: &Web,
    actor: &str,
    upload: &Upload<'_>,
    mode: Mode,
    allow_withdraw: Option<usize>,
) -> Result<ImportOutcome, PageError> {
    let request = ImportRequest {
        file_name: upload.file,
        bytes: upload.bytes,
        format: Format::Auto,
        sheet: None,
        plan: upload.plan.trim().to_string(),
        actor,
        tracked_from: upload.tracked_from,
        mode,
        strict: false,
        allow_withdraw,
        on_progress: &|_, _| {},
    };
    Ok(import::import(&web.app, &request).await?)
}

async fn import_preview(
    State(web): State<Arc<Web>>,
    auth: Auth,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let account = secretariat(&auth, "/plans/import")?;
    let (mut csrf, mut plan, mut tracked, mut file) = (String::new(), String::new(), String::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(|e| bad(format!("biểu mẫu không đọc được: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| bad(format!("tệp không đọc được: {e}")))?;
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "plan" => plan = String::from_utf8_lossy(&bytes).trim().to_string(),
            "tracked_from" => tracked = String::from_utf8_lossy(&bytes).trim().to_string(),
            "file" => file = Some((file_name.unwrap_or_else(|| "ke-hoach.txt".into()), bytes)),
            _ => {}
        }
    }
    checked_form(&auth, &csrf).await?;
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(bad("cần chọn tệp kế hoạch"));
    };
    if plan.is_empty() {
        return Err(bad("cần mã kế hoạch"));
    }
    if bytes.len() > import::MAX_FILE_BYTES {
        return Err(PageError::Message(StatusCode::PAYLOAD_TOO_LARGE, "tệp quá lớn đối với một kế hoạch".into()));
    }
    let tracked_from = (!tracked.is_empty())
        .then(|| NaiveDate::parse_from_str(&tracked, "%Y-%m-%d"))
        .transpose()
        .map_err(|_| bad(format!("ngày \"{tracked}\" không hợp lệ")))?;
    // Kept by its hash until confirmed (the same file is not uploaded twice).
    let stored = evidence::store(&web.app, &file_name, "application/octet-stream", bytes.to_vec()).await?;
    let actor = access::actor(&account, Source::Web);
    let upload = Upload { plan: &plan, file: &file_name, bytes: &bytes, tracked_from };
    let outcome = run(&web, &actor.name, &upload, Mode::DryRun, None).await;
    let mut page = frame(&auth, "Nhập kế hoạch").await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(PageError::Message(_, message)) => {
            page.error = Some(message);
            return Ok((StatusCode::BAD_REQUEST, render(&ImportPage { page, diff: None })).into_response());
        }
        Err(e) => return Err(e),
    };
    let diff = Diff {
        plan: outcome.plan.clone(),
        format: outcome.format,
        tasks: outcome.spec.tasks.len(),
        file: file_name,
        sha256: stored.sha256,
        tracked_from: tracked,
        changes: outcome.changes.iter().map(change_row).collect(),
        review: outcome.review.iter().map(|r| format!("dòng {}: {} – {}", r.line, r.reason, r.text)).collect(),
        withdrawals: outcome.withdrawals_to_confirm,
    };
    Ok(render(&ImportPage { page, diff: Some(diff) }).into_response())
}

#[derive(Deserialize)]
struct ConfirmForm {
    csrf: String,
    plan: String,
    file: String,
    sha256: String,
    tracked_from: String,
    allow_withdraw: String,
}

async fn import_confirm(
    State(web): State<Arc<Web>>,
    auth: Auth,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    let account = secretariat(&auth, "/plans/import")?;
    checked_form(&auth, &form.csrf).await?;
    let (_, bytes) = evidence::fetch(&web.app, &form.sha256).await?;
    let tracked_from = NaiveDate::parse_from_str(form.tracked_from.trim(), "%Y-%m-%d").ok();
    let allow_withdraw = form.allow_withdraw.trim().parse().ok();
    let actor = access::actor(&account, Source::Web);
    let upload = Upload { plan: &form.plan, file: &form.file, bytes: &bytes, tracked_from };
    let outcome = run(&web, &actor.name, &upload, Mode::Atomic, allow_withdraw).await?;
    let c = &outcome.counts;
    let message = format!(
        "Đã nhập kế hoạch {}: thêm {}, điều chỉnh {}, giao lại {}, rút {}{}.",
        outcome.plan,
        c.added,
        c.revised,
        c.reassigned,
        c.withdrawn,
        if outcome.review.is_empty() {
            String::new()
        } else {
            format!("; {} dòng cần xem xét", outcome.review.len())
        }
    );
    flash(&auth.session, &message).await;
    Ok(Redirect::to(&format!("/tasks?plan={}", super::urlencoding(&outcome.plan))).into_response())
}

struct FailureRow {
    task: String,
    key: String,
    attempt: u32,
    at: String,
    error: String,
    retry: &'static str,
}

struct SilenceRow {
    id: String,
    scope: String,
    from: String,
    until: String,
    reason: String,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    page: Frame,
    failures: Vec<FailureRow>,
    silences: Vec<SilenceRow>,
}

async fn deliveries(State(web): State<Arc<Web>>, auth: Auth) -> Result<Html<String>, PageError> {
    let account = signed(&auth, "/deliveries")?;
    access::require(&account, Capability::Deliveries).map_err(PageError::from)?;
    let (failures, silences) = web.app.query(|p| Ok((p.open_failures()?, p.silences()?))).await?;
    let now = web.app.now();
    let page = DeliveriesPage {
        page: frame(&auth, "Tình hình gửi nhắc việc").await,
        failures: failures
            .into_iter()
            .map(|f| FailureRow {
                task: dondoc_core::event::TaskKey::new(f.plan.clone(), f.code.clone()).label_vi(),
                key: f.key,
                attempt: f.attempt,
                at: f.at.map_or_else(|| "—".into(), local_time),
                error: f.error,
                retry: if f.will_retry { "sẽ thử lại" } else { "không thử lại trên kênh này" },
            })
            .collect(),
        silences: silences
            .records()
            .iter()
            .map(|r| SilenceRow {
                id: r.id.clone(),
                scope: r.silence.scope.label_vi(),
                from: local_time(r.silence.from),
                until: local_time(r.silence.until),
                reason: r.silence.reason.clone(),
                state: if r.expired_at.is_some() {
                    "đã kết thúc"
                } else if r.is_active(now) {
                    "đang tạm dừng"
                } else if r.silence.from > now {
                    "sắp tới"
                } else {
                    "đã hết"
                },
            })
            .collect(),
    };
    Ok(render(&page))
}
