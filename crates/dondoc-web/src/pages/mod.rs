//! The pages for the secretariat, leadership and officers: server-rendered HTML in
//! Vietnamese (askama templates in `templates/`, every value escaped), usable without
//! JavaScript and on a phone. Sign-in with a session cookie (`session`), every form with
//! the session's CSRF token; a form's action runs the same use case as the API
//! (`dondoc_app::access::act`, source `web`).
//!
//! - `/login`, `/logout`; `/` the overview (counts per classification with a chart, per
//!   lead agency, exports); `/overdue`, `/due-soon`, `/tasks` (filters `plan`, `agency`);
//!   `/agencies/{name}`; `/tasks/{plan}/{code}` (state, occurrences, the forms the account
//!   may use, the timeline with its chain checked); `/export` (XLSX or CSV of a plan).

mod forms;
mod preferences;
mod secretariat;
pub(crate) mod session;
pub(crate) mod session_store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_login::AuthSession;
use chrono::{DateTime, NaiveDate, Utc};
use dondoc_app::requests::ActionRequest;
use dondoc_app::views::{self, Listing};
use dondoc_app::{AppError, access, audit, evidence, export};
use dondoc_core::access::Capability;
use dondoc_core::account::Account;
use dondoc_core::calendar::TZ;
use dondoc_core::classify::{Classification, TaskStanding};
use dondoc_core::event::{Source, TaskKey};
use dondoc_projections::BoardTask;
use dondoc_projections::board::{TaskFilter, agency_counts};
use serde::Deserialize;

use crate::Web;
use session::{Backend, Credentials, csrf_ok, csrf_token, flash, take_flash};

pub(crate) type Auth = AuthSession<Backend>;

/// The pages' routes; a task page's forms may carry an evidence file of `max_evidence`
/// bytes.
pub(crate) fn routes(max_evidence: usize) -> Router<Arc<Web>> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/", get(overview))
        .route("/overdue", get(overdue))
        .route("/due-soon", get(due_soon))
        .route("/tasks", get(all_tasks))
        .route("/agencies/{name}", get(agency))
        .route("/tasks/{plan}/{code}", get(task_page))
        .route(
            "/tasks/{plan}/{code}/do/{action}",
            // Room for the file and the form's other inputs.
            post(task_action).layer(axum::extract::DefaultBodyLimit::max(max_evidence + (64 << 10))),
        )
        .route("/export", get(export_plan))
        .merge(secretariat::routes())
        .merge(preferences::routes())
}

/// What every page's frame shows.
pub struct Frame {
    pub title: String,
    /// "Nguyễn Văn An (chuyên viên, Sở Tài chính)".
    pub user: Option<String>,
    pub csrf: String,
    pub flash: Option<String>,
    pub error: Option<String>,
    /// Whether the secretariat's pages are offered (imports, deliveries).
    pub secretariat: bool,
    /// Whether the account is a reminder recipient (its preferences page is offered).
    pub has_contact: bool,
}

pub(crate) async fn frame(auth: &Auth, title: impl Into<String>) -> Frame {
    let user = auth.user.as_ref().map(|u| {
        let a = &u.account;
        let name = a.full_name.clone().unwrap_or_else(|| a.login.clone());
        match &a.agency {
            Some(agency) => format!("{name} ({}, {agency})", a.role.label_vi()),
            None => format!("{name} ({})", a.role.label_vi()),
        }
    });
    Frame {
        title: title.into(),
        has_contact: auth.user.as_ref().is_some_and(|u| u.account.contact.is_some()),
        secretariat: auth
            .user
            .as_ref()
            .is_some_and(|u| dondoc_core::access::allows(u.account.role, Capability::Import)),
        user,
        csrf: csrf_token(&auth.session).await,
        flash: take_flash(&auth.session).await,
        error: None,
    }
}

/// A page that could not be shown: to the sign-in page, or a message with its status.
pub(crate) enum PageError {
    SignIn(String),
    Message(StatusCode, String),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        let status = crate::error::ApiError::from(e);
        PageError::Message(status.status, status.message)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn(next) => Redirect::to(&format!("/login?next={}", urlencoding(&next))).into_response(),
            PageError::Message(status, message) => {
                let page = MessagePage {
                    page: Frame {
                        title: message,
                        user: None,
                        csrf: String::new(),
                        flash: None,
                        error: None,
                        secretariat: false,
                        has_contact: false,
                    },
                };
                (status, render(&page)).into_response()
            }
        }
    }
}

pub(crate) fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub(crate) fn render(t: &impl Template) -> Html<String> {
    match t.render() {
        Ok(html) => Html(html),
        Err(e) => {
            tracing::error!(error = %e, "không dựng được trang");
            Html("<!DOCTYPE html><title>Lỗi</title><p>Không hiển thị được trang.</p>".to_string())
        }
    }
}

/// Refuses (403) a form whose CSRF token is not the session's (a page left open across a
/// sign-out, or a form posted from elsewhere).
pub(crate) async fn checked_form(auth: &Auth, given: &str) -> Result<(), PageError> {
    if csrf_ok(&auth.session, given).await {
        return Ok(());
    }
    Err(PageError::Message(
        StatusCode::FORBIDDEN,
        "phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ; hãy tải lại trang".into(),
    ))
}

/// The signed-in account, or the sign-in page (coming back to `here` afterwards).
pub(crate) fn signed(auth: &Auth, here: &str) -> Result<Account, PageError> {
    auth.user.as_ref().map(|u| u.account.clone()).ok_or_else(|| PageError::SignIn(here.to_string()))
}

fn forbidden(e: AppError) -> PageError {
    PageError::from(e)
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    page: Frame,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Frame,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only a path of this site (never another site) is a place to come back to.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

async fn login_form(auth: Auth, Query(q): Query<NextQuery>) -> Html<String> {
    let page = frame(&auth, "Đăng nhập").await;
    render(&LoginPage { page, next: local_path(q.next.as_deref()) })
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login(
    State(web): State<Arc<Web>>,
    mut auth: Auth,
    address: Result<ConnectInfo<SocketAddr>, axum::extract::rejection::ExtensionRejection>,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = local_path(form.next.as_deref());
    let again = |auth: &Auth, message: String| {
        let auth = auth.clone();
        let next = next.clone();
        async move {
            let mut page = frame(&auth, "Đăng nhập").await;
            page.error = Some(message);
            (StatusCode::UNAUTHORIZED, render(&LoginPage { page, next })).into_response()
        }
    };
    if !csrf_ok(&auth.session, &form.csrf).await {
        return again(&auth, "phiên làm việc đã hết hạn; hãy đăng nhập lại".into()).await;
    }
    if let Err(wait) = web.limits.check(&form.name, address.ok().map(|a| a.0.ip())) {
        return again(&auth, format!("đăng nhập sai quá nhiều lần; thử lại sau {wait} giây")).await;
    }
    match auth.authenticate(Credentials { name: form.name, password: form.password }).await {
        Ok(Some(user)) => {
            if auth.login(&user).await.is_err() {
                return again(&auth, "không tạo được phiên đăng nhập".into()).await;
            }
            Redirect::to(&next).into_response()
        }
        Ok(None) => again(&auth, "sai tên đăng nhập hoặc mật khẩu".into()).await,
        Err(e) => {
            tracing::error!(error = %e, "lỗi khi đăng nhập trang web");
            again(&auth, "không kiểm tra được tài khoản; thử lại sau".into()).await
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(mut auth: Auth, Form(form): Form<CsrfForm>) -> Response {
    if csrf_ok(&auth.session, &form.csrf).await {
        let _ = auth.logout().await;
    }
    Redirect::to("/login").into_response()
}

pub(crate) fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&TZ).format("%d/%m/%Y %H:%M").to_string()
}

fn dmy(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "—".to_string(), |d| d.format("%d/%m/%Y").to_string())
}

/// One bar of the overview's chart.
struct Bar {
    y: u32,
    width: u32,
    count: usize,
    label: &'static str,
    class: &'static str,
    color: &'static str,
}

struct CountRow {
    label: &'static str,
    class: &'static str,
    count: usize,
}

struct AgencyRow {
    name: String,
    link: String,
    total: u32,
    overdue: u32,
    due_soon: u32,
    on_time: u32,
    late: u32,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    page: Frame,
    at: String,
    total: usize,
    bars: Vec<Bar>,
    chart_height: u32,
    counts: Vec<CountRow>,
    agencies: Vec<AgencyRow>,
    can_export: bool,
    plans: Vec<String>,
}

fn color(c: Classification) -> &'static str {
    match c {
        Classification::InProgressOverdue => "#c0392b",
        Classification::DueSoon => "#e6a100",
        Classification::InProgressOnTime => "#2e6fb7",
        Classification::NotYetDue => "#7fa7d9",
        Classification::CompletedLate => "#8e44ad",
        Classification::CompletedOnTime => "#2e8b57",
        Classification::NoDeadline | Classification::Cancelled => "#95a5a6",
    }
}

async fn overview(State(web): State<Arc<Web>>, auth: Auth) -> Result<Html<String>, PageError> {
    let account = signed(&auth, "/")?;
    access::require(&account, Capability::Read).map_err(forbidden)?;
    let app = &web.app;
    let at = app.now();
    let rows = views::list(app, &Listing::default(), at).await?;
    let mut by: HashMap<Classification, usize> = HashMap::new();
    for (_, s) in &rows {
        *by.entry(s.classification).or_default() += 1;
    }
    let max = by.values().copied().max().unwrap_or(1).max(1);
    let shown: Vec<Classification> = Classification::ALL.into_iter().filter(|c| by.contains_key(c)).collect();
    let bars = shown
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let count = by[c];
            Bar {
                y: i as u32 * 26 + 4,
                width: (count * 360 / max).max(1) as u32,
                count,
                label: c.label_vi(),
                class: c.as_str(),
                color: color(*c),
            }
        })
        .collect();
    let counts =
        shown.iter().map(|c| CountRow { label: c.label_vi(), class: c.as_str(), count: by[c] }).collect::<Vec<_>>();
    let tasks: Vec<BoardTask> = rows.iter().map(|(t, _)| t.clone()).collect();
    let calendar = app.calendar();
    let agencies = agency_counts(&tasks, &app.classifier(&calendar), at)
        .into_iter()
        .map(|a| AgencyRow {
            link: urlencoding(&a.agency),
            total: a.total(),
            overdue: a.get(Classification::InProgressOverdue),
            due_soon: a.get(Classification::DueSoon),
            on_time: a.get(Classification::CompletedOnTime),
            late: a.get(Classification::CompletedLate),
            name: a.agency,
        })
        .collect();
    let mut plans: Vec<String> = tasks.iter().map(|t| t.state.key.plan.clone()).collect();
    plans.dedup();
    let page = OverviewPage {
        page: frame(&auth, "Tổng quan").await,
        at: local_time(at),
        total: rows.len(),
        chart_height: shown.len() as u32 * 26 + 8,
        bars,
        counts,
        agencies,
        can_export: dondoc_core::access::allows(account.role, Capability::Read),
        plans,
    };
    Ok(render(&page))
}

struct TaskRow {
    plan: String,
    code: String,
    title: String,
    lead: String,
    due: String,
    label: String,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    page: Frame,
    rows: Vec<TaskRow>,
}

fn task_row((t, s): &(BoardTask, TaskStanding)) -> TaskRow {
    TaskRow {
        plan: t.state.key.plan.clone(),
        code: t.state.key.code.clone(),
        title: t.state.title.clone(),
        lead: t.state.lead.clone(),
        due: dmy(views::next_open_due(s)),
        label: views::classification_vi(t, s),
        class: s.classification.as_str(),
    }
}

async fn listing(web: &Web, auth: &Auth, here: &str, title: &str, listing: Listing) -> Result<Html<String>, PageError> {
    let account = signed(auth, here)?;
    access::require(&account, Capability::Read).map_err(forbidden)?;
    let rows = views::list(&web.app, &listing, web.app.now()).await?;
    let page = TasksPage { page: frame(auth, title).await, rows: rows.iter().map(task_row).collect() };
    Ok(render(&page))
}

async fn overdue(State(web): State<Arc<Web>>, auth: Auth) -> Result<Html<String>, PageError> {
    listing(&web, &auth, "/overdue", "Nhiệm vụ quá hạn", Listing { overdue: true, ..Listing::default() }).await
}

async fn due_soon(State(web): State<Arc<Web>>, auth: Auth) -> Result<Html<String>, PageError> {
    let due_soon = Listing { classification: Some(Classification::DueSoon), ..Listing::default() };
    listing(&web, &auth, "/due-soon", "Nhiệm vụ sắp đến hạn", due_soon).await
}

#[derive(Deserialize)]
struct TasksQuery {
    plan: Option<String>,
    agency: Option<String>,
}

async fn all_tasks(
    State(web): State<Arc<Web>>,
    auth: Auth,
    Query(q): Query<TasksQuery>,
) -> Result<Html<String>, PageError> {
    let title = match &q.plan {
        Some(p) => format!("Nhiệm vụ của kế hoạch {p}"),
        None => "Tất cả nhiệm vụ".to_string(),
    };
    let filter = TaskFilter { plan: q.plan, agency: q.agency };
    listing(&web, &auth, "/tasks", &title, Listing { filter, ..Listing::default() }).await
}

async fn agency(State(web): State<Arc<Web>>, auth: Auth, Path(name): Path<String>) -> Result<Html<String>, PageError> {
    let filter = TaskFilter { plan: None, agency: Some(name.clone()) };
    let here = format!("/agencies/{}", urlencoding(&name));
    listing(&web, &auth, &here, &format!("Nhiệm vụ của {name}"), Listing { filter, ..Listing::default() }).await
}

struct OccurrenceRow {
    period: String,
    due: String,
    submitted: String,
    label: &'static str,
    class: &'static str,
}

struct TimelineRow {
    revision: u64,
    at: String,
    actor: String,
    source: &'static str,
    kind: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "task.html")]
struct TaskPage {
    page: Frame,
    plan: String,
    code: String,
    title: String,
    citation: String,
    lead: String,
    cooperating: String,
    start: String,
    finish: String,
    due: String,
    product: String,
    status: &'static str,
    progress: Option<u8>,
    label: String,
    class: &'static str,
    revision: u64,
    explanation: Option<String>,
    occurrences: Vec<OccurrenceRow>,
    forms: Vec<forms::ActionForm>,
    timeline: Vec<TimelineRow>,
    chain_problem: Option<String>,
}

async fn task_page(
    State(web): State<Arc<Web>>,
    auth: Auth,
    Path((plan, code)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    let here = format!("/tasks/{}/{}", urlencoding(&plan), urlencoding(&code));
    let account = signed(&auth, &here)?;
    access::require(&account, Capability::Read).map_err(forbidden)?;
    let app = &web.app;
    let key = TaskKey::new(plan.trim(), code.trim());
    let (task, standing) = views::task(app, &key, app.now()).await?;
    let entries = audit::timeline(app, &key).await?;
    let kinds: Vec<_> = forms::all().iter().map(|f| f.kind).collect();
    // The moves both the account's role and the task's state allow.
    let movable = dondoc_core::task::allowed_commands(&task.state);
    let kinds: Vec<_> = kinds.into_iter().filter(|k| movable.contains(k)).collect();
    let allowed = access::allowed(app, &account, &key, &kinds).await?;
    let s = &task.state;
    let page = TaskPage {
        page: frame(&auth, format!("Nhiệm vụ {}", key.label_vi())).await,
        citation: dondoc_app::plans::record(app, &key.plan).await?.citation(),
        plan: key.plan.clone(),
        code: key.code.clone(),
        title: s.title.clone(),
        lead: s.lead.clone(),
        cooperating: if s.cooperating.is_empty() { "—".into() } else { s.cooperating.join("; ") },
        start: s.start.as_ref().map_or_else(|| "—".into(), |p| p.input.clone()),
        finish: s.finish.as_ref().map_or_else(|| "—".into(), |p| p.input.clone()),
        due: dmy(standing.deadline.map(|d| d.due)),
        product: s.product.clone().unwrap_or_else(|| "—".into()),
        status: s.status.label_vi(),
        progress: s.progress_percent,
        label: views::classification_vi(&task, &standing),
        class: standing.classification.as_str(),
        revision: task.revision,
        explanation: s.explanation.as_ref().map(|e| {
            let asked = format!("yêu cầu ngày {}, hạn {}: {}", dmy(Some(e.requested_on)), dmy(Some(e.due)), e.reason);
            match &e.answer {
                Some((on, text)) => format!("{asked} — đã giải trình ngày {}: {text}", dmy(Some(*on))),
                None if e.late(dondoc_core::calendar::local_date(app.now())) => {
                    format!("{asked} — chưa giải trình, đã quá hạn")
                }
                None => format!("{asked} — chưa giải trình"),
            }
        }),
        occurrences: standing
            .occurrences
            .iter()
            .map(|o| OccurrenceRow {
                period: o.occurrence.period.label(),
                due: dmy(Some(o.deadline.due)),
                submitted: o.submitted_at.map_or_else(|| "—".into(), local_time),
                label: o.classification.label_vi(),
                class: o.classification.as_str(),
            })
            .collect(),
        forms: forms::all().into_iter().filter(|f| allowed.contains(&f.kind)).collect(),
        chain_problem: audit::chain_break(&entries),
        timeline: entries
            .iter()
            .map(|e| TimelineRow {
                revision: e.recorded.revision,
                at: local_time(e.recorded.recorded_at),
                actor: e.meta.actor.clone(),
                source: e.meta.source.label_vi(),
                kind: dondoc_core::event::event_name_vi(&e.recorded.event_type).to_string(),
                summary: dondoc_core::describe::describe(&e.event),
            })
            .collect(),
    };
    Ok(render(&page))
}

async fn task_action(
    State(web): State<Arc<Web>>,
    auth: Auth,
    Path((plan, code, action)): Path<(String, String, String)>,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let here = format!("/tasks/{}/{}", urlencoding(&plan), urlencoding(&code));
    let account = signed(&auth, &here)?;
    let (mut form, upload) = forms::read(request, &web).await.map_err(|(status, m)| PageError::Message(status, m))?;
    checked_form(&auth, form.get("csrf").map_or("", String::as_str)).await?;
    let key = TaskKey::new(plan.trim(), code.trim());
    let revision = form.get("revision").and_then(|r| r.trim().parse().ok());
    let outcome = async {
        if let Some(file) = upload {
            evidence::check(&web.config.evidence_policy(), &file.name, file.bytes.len() as u64).map_err(
                |r| match r {
                    evidence::Refusal::TooLarge(m) | evidence::Refusal::WrongType(m) => AppError::Input(m),
                },
            )?;
            let stored = evidence::store(&web.app, &file.name, &file.media_type, file.bytes.to_vec()).await?;
            form.insert("file_sha256".into(), stored.sha256);
        }
        let request = ActionRequest::from_json(&action, forms::body(&action, &form))?;
        access::act(&web.app, &account, Source::Web, &key, revision, request, None).await
    }
    .await;
    let message = match outcome {
        Ok(executed) if executed.events.is_empty() => "Không có thay đổi.".to_string(),
        Ok(executed) => format!(
            "Đã ghi nhận: {}",
            executed.events.iter().map(dondoc_core::describe::describe).collect::<Vec<_>>().join("; ")
        ),
        Err(e @ (AppError::Store(_) | AppError::ReadModel(_) | AppError::Integrity(_) | AppError::Template(_))) => {
            return Err(e.into());
        }
        Err(e) => format!("Chưa ghi nhận: {e}"),
    };
    flash(&auth.session, &message).await;
    Ok(Redirect::to(&here).into_response())
}

#[derive(Deserialize)]
struct ExportQuery {
    plan: String,
    format: Option<String>,
}

async fn export_plan(
    State(web): State<Arc<Web>>,
    auth: Auth,
    Query(q): Query<ExportQuery>,
) -> Result<Response, PageError> {
    let account = signed(&auth, "/")?;
    access::require(&account, Capability::Read).map_err(forbidden)?;
    let table = export::table(&web.app, &q.plan, web.app.now()).await?;
    let name = q.plan.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>();
    match q.format.as_deref() {
        Some("csv") => {
            let mut out = Vec::new();
            table
                .write_csv(&mut out, export::Titles::Vietnamese)
                .map_err(|e| PageError::Message(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"theo-doi-{name}.csv\"")),
                ],
                out,
            )
                .into_response())
        }
        _ => {
            let bytes =
                table.xlsx().map_err(|e| PageError::Message(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                    ),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"theo-doi-{name}.xlsx\"")),
                ],
                bytes,
            )
                .into_response())
        }
    }
}
