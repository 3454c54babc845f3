//! The OpenAPI document (`GET /api/openapi.json`), generated from the handlers' attributes
//! and the request types; the actions on a task, one router entry in `tasks`, are
//! documented one path each (their bodies differ) from `dondoc_app::requests::ACTIONS`.
//! The `*Doc` types describe JSON objects built elsewhere (`dondoc_app::views`,
//! `dondoc_app::audit`) for the document only; schemathesis checks the answers against them.

#![allow(dead_code, reason = "the *Doc types are read by the OpenAPI derive only")]

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use dondoc_app::requests::{
    ACTIONS, AckBody, AssignBody, CommentBody, CompleteBody, EvidenceBody, ExplainBody, ExplanationRequestBody,
    ExtensionBody, NoteBody, ProgressBody, ReasonBody, RejectBody, SubmitBody,
};
use dondoc_core::task::CommandKind;
use serde_json::Value;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, Required, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::Web;
use crate::error::ErrorBody;

/// One occurrence of a recurring task.
#[derive(ToSchema)]
pub struct OccurrenceDoc {
    /// "Quý III/2025".
    period: String,
    /// "2025-Q3".
    key: String,
    due: NaiveDate,
    nominal_due: NaiveDate,
    extended: bool,
    submitted_at: Option<DateTime<Utc>>,
    classification: String,
}

/// A task with its standing (`dondoc show --json`).
#[derive(ToSchema)]
pub struct TaskDoc {
    plan: String,
    code: String,
    tt: Option<String>,
    title: String,
    lead: String,
    cooperating: Vec<String>,
    start: Option<String>,
    finish: Option<String>,
    product: Option<String>,
    status: String,
    progress_percent: Option<u8>,
    completed_on: Option<NaiveDate>,
    classification: String,
    classification_vi: String,
    due: Option<NaiveDate>,
    nominal_due: Option<NaiveDate>,
    original_due: Option<NaiveDate>,
    extended: bool,
    revision: u64,
    at: DateTime<Utc>,
    occurrences: Vec<OccurrenceDoc>,
    /// Only on one task (not in listings): a provisional day off lies near the deadline.
    due_provisional: Option<bool>,
    /// A reported completion waits for the secretariat's confirmation.
    completion_pending: bool,
    /// The explanation asked of the lead agency, if any.
    explanation: Option<ExplanationDoc>,
}

/// An explanation (giải trình) asked of the lead agency.
#[derive(ToSchema)]
pub struct ExplanationDoc {
    requested_on: NaiveDate,
    due: NaiveDate,
    reason: String,
    answered_on: Option<NaiveDate>,
    answer: Option<String>,
    /// Missing after its day, or given after it.
    late: bool,
}

/// One event of a timeline.
#[derive(ToSchema)]
pub struct TimelineEventDoc {
    revision: u64,
    position: u64,
    #[schema(rename = "type")]
    event_type: String,
    type_vi: String,
    actor: String,
    source: String,
    recorded_at: DateTime<Utc>,
    occurred_at: DateTime<Utc>,
    correlation_id: String,
    causation_id: Option<String>,
    summary: String,
    data: Value,
    chain: Option<Value>,
}

/// A task's timeline (`dondoc audit --json`).
#[derive(ToSchema)]
pub struct TimelineDoc {
    plan: String,
    code: String,
    events: Vec<TimelineEventDoc>,
}

/// An event a command recorded.
#[derive(ToSchema)]
pub struct EventDoc {
    #[schema(rename = "type")]
    event_type: String,
    data: Value,
    summary: String,
}

/// What a command recorded.
#[derive(ToSchema)]
#[schema(as = Executed)]
pub struct ExecutedDoc {
    plan: String,
    code: String,
    /// The task's revision afterwards (send it as `If-Match` with the next command).
    revision: Option<u64>,
    /// The events recorded (none: nothing changed).
    events: Vec<EventDoc>,
    /// The task afterwards, as `GET` shows it.
    task: TaskDoc,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "dondoc", description = "Theo dõi, đôn đốc thực hiện nhiệm vụ của các kế hoạch."),
    paths(crate::auth::sign_in, crate::auth::sign_out, crate::auth::me, crate::tasks::list, crate::tasks::show,
        crate::tasks::timeline, crate::evidence::upload, crate::evidence::download,
        crate::resources::plans, crate::resources::import_plan, crate::resources::agencies, crate::resources::contacts,
        crate::resources::reminders, crate::resources::failures, crate::resources::silences, crate::resources::weekly),
    components(schemas(ErrorBody, TaskDoc, OccurrenceDoc, TimelineDoc, TimelineEventDoc, EventDoc,
        ExecutedDoc, NoteBody, ReasonBody, ProgressBody, EvidenceBody, SubmitBody, CompleteBody,
        ExtensionBody, RejectBody, CommentBody, AssignBody, AckBody, ExplanationRequestBody, ExplainBody, ExplanationDoc,
        crate::evidence::Stored)),
    modifiers(&Bearer, &Actions),
    tags((name = "auth", description = "Đăng nhập"), (name = "tasks", description = "Nhiệm vụ"),
        (name = "evidence", description = "Tệp minh chứng"), (name = "plans", description = "Kế hoạch, cơ quan"),
        (name = "reminders", description = "Nhắc việc, danh bạ, báo cáo tuần"))
)]
struct Document;

/// The bearer scheme every path but sign-in uses.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The body schema of each action.
fn body_schema(kind: CommandKind) -> &'static str {
    match kind {
        CommandKind::Start | CommandKind::Resume => "NoteBody",
        CommandKind::Pause | CommandKind::Cancel | CommandKind::Reopen => "ReasonBody",
        CommandKind::ReportProgress => "ProgressBody",
        CommandKind::SubmitReport => "SubmitBody",
        CommandKind::Complete => "CompleteBody",
        CommandKind::RequestExtension | CommandKind::Extend => "ExtensionBody",
        CommandKind::RejectExtension => "RejectBody",
        CommandKind::Comment => "CommentBody",
        CommandKind::Assign => "AssignBody",
        CommandKind::ConfirmCompletion => "NoteBody",
        CommandKind::ReturnCompletion => "ReasonBody",
        CommandKind::RequestExplanation => "ExplanationRequestBody",
        CommandKind::Explain => "ExplainBody",
        _ => "AckBody",
    }
}

/// One path per action on a task.
struct Actions;

impl Modify for Actions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let string = || ObjectBuilder::new().schema_type(Type::String).build();
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build()
        };
        for (name, kind) in ACTIONS {
            let body = RequestBodyBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name(body_schema(kind)))).build(),
                )
                .required(Some(Required::True))
                .build();
            let path_param = |n: &str, d: &str, example: &str| {
                ParameterBuilder::new()
                    .name(n)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .description(Some(d))
                    .schema(Some(string()))
                    .example(Some(Value::String(example.into())))
                    .build()
            };
            let header = |n: &str, d: &str| {
                ParameterBuilder::new()
                    .name(n)
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(d))
                    .schema(Some(string()))
                    .build()
            };
            let operation = OperationBuilder::new()
                .tag("tasks")
                .operation_id(Some(format!("task_{}", name.replace('-', "_"))))
                .summary(Some(format!("{} (nhiệm vụ)", kind.label_vi())))
                .parameter(path_param("plan", "Kế hoạch", "MAU-2026"))
                .parameter(path_param("code", "Mã số", "01"))
                .parameter(header("If-Match", "Phiên bản đã đọc (ETag); khác phiên bản hiện tại: 409"))
                .parameter(header("Idempotency-Key", "UUID của lệnh; gửi lại cùng mã: ghi nhận một lần"))
                .request_body(Some(body))
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("Đã ghi nhận")
                        .content(
                            "application/json",
                            ContentBuilder::new().schema(Some(Ref::from_schema_name("Executed"))).build(),
                        )
                        .build(),
                )
                .response("400", error("Nội dung không hợp lệ (nêu trường)"))
                .response("401", error("Chưa đăng nhập"))
                .response("403", error("Vai trò hoặc cơ quan không được làm việc này (nêu lý do)"))
                .response("404", error("Không có nhiệm vụ"))
                .response("409", error("Nhiệm vụ đã thay đổi (kèm current_revision)"))
                .response("413", error("Nội dung quá lớn"))
                .response("422", error("Trạng thái nhiệm vụ không cho phép (nêu các thao tác được phép)"))
                .build();
            openapi
                .paths
                .paths
                .insert(format!("/api/v1/tasks/{{plan}}/{{code}}/{name}"), PathItem::new(HttpMethod::Post, operation));
        }
    }
}

/// The OpenAPI document as JSON.
pub fn document() -> utoipa::openapi::OpenApi {
    Document::openapi()
}

pub(crate) fn routes() -> Router<Arc<Web>> {
    Router::new().route("/api/openapi.json", get(|| async { Json(document()) }))
}
