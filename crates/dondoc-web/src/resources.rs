//! The API's other resources: plans (the list; an import as a dry-run difference, then
//! confirmed), agencies, contacts, the delivery log and its open failures, silences and
//! the weekly summary as data. Each is a use case of `dondoc_app` read as JSON, behind the
//! role's capability.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use dondoc_app::import::{Format, ImportRequest, Mode};
use dondoc_app::{access, import};
use dondoc_core::access::Capability;
use dondoc_core::event::Source;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::Web;
use crate::auth::Signed;
use crate::error::{ApiError, ApiPath, ApiResult, ErrorBody};

pub(crate) fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/api/v1/plans", get(plans))
        .route(
            "/api/v1/plans/{plan}/import",
            post(import_plan).layer(DefaultBodyLimit::max(import::MAX_FILE_BYTES + 1)),
        )
        .route("/api/v1/agencies", get(agencies))
        .route("/api/v1/contacts", get(contacts))
        .route("/api/v1/reminders", get(reminders))
        .route("/api/v1/reminders/failures", get(failures))
        .route("/api/v1/silences", get(silences))
        .route("/api/v1/summaries/weekly", get(weekly))
}

fn to_json<T: serde::Serialize>(value: &T) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// The plans: id and how the office cites them.
#[utoipa::path(get, path = "/api/v1/plans", tag = "plans", security(("bearer" = [])),
    responses(
        (status = 200, description = "Các kế hoạch", body = Value),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Vai trò không được xem", body = ErrorBody),
    ))]
pub(crate) async fn plans(State(web): State<Arc<Web>>, signed: Signed) -> ApiResult<Json<Value>> {
    access::require(&signed.account, Capability::Read)?;
    let ids = web.app.query(|p| Ok(p.plans()?)).await?;
    let mut out = Vec::new();
    for id in ids {
        let record = dondoc_app::plans::record(&web.app, &id).await?;
        out.push(json!({ "plan": id, "citation": record.citation(), "review": record.open_review().len() }));
    }
    Ok(Json(Value::Array(out)))
}

/// How an import is given.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name (its extension chooses the reader: .txt, .csv, .xlsx, .docx, .pdf).
    pub file: String,
    /// `true` writes the import; otherwise only the difference is computed (a dry run).
    pub confirm: Option<bool>,
    /// Track recurring occurrences from this day (default: today).
    pub tracked_from: Option<NaiveDate>,
    /// The number of withdrawals confirmed (needed above 3, or a tenth of the plan).
    pub allow_withdraw: Option<usize>,
}

/// Imports a plan's file: the difference first (`confirm` absent), then written
/// (`confirm=true`). The body is the file.
#[utoipa::path(post, path = "/api/v1/plans/{plan}/import", tag = "plans", security(("bearer" = [])),
    params(("plan" = String, Path, description = "Kế hoạch", example = "MAU-2026"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Tệp kế hoạch"),
    responses(
        (status = 200, description = "Các thay đổi (và đã ghi khi confirm=true)", body = Value),
        (status = 400, description = "Tệp không đọc được (nêu dòng, cột)", body = ErrorBody),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Chỉ tổ giúp việc được nhập kế hoạch", body = ErrorBody),
        (status = 409, description = "Kế hoạch vừa thay đổi", body = ErrorBody),
        (status = 413, description = "Tệp quá lớn", body = ErrorBody),
        (status = 422, description = "Bị từ chối (nêu lý do)", body = ErrorBody),
    ))]
pub(crate) async fn import_plan(
    State(web): State<Arc<Web>>,
    signed: Signed,
    ApiPath(plan): ApiPath<String>,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<Value>> {
    access::require(&signed.account, Capability::Import)?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("tham số không hợp lệ: {e}")))?;
    let body = body?;
    let actor = access::actor(&signed.account, Source::Api);
    let confirm = q.confirm.unwrap_or(false);
    let request = ImportRequest {
        file_name: &q.file,
        bytes: &body,
        format: Format::Auto,
        sheet: None,
        plan: plan.trim().to_string(),
        actor: &actor.name,
        tracked_from: q.tracked_from,
        mode: if confirm { Mode::Atomic } else { Mode::DryRun },
        strict: false,
        allow_withdraw: q.allow_withdraw,
        on_progress: &|_, _| {},
    };
    let outcome = import::import(&web.app, &request).await?;
    let mut value = outcome.to_json();
    value["dry_run"] = json!(!confirm);
    Ok(Json(value))
}

/// The agency directory: agencies with their aliases, and groups with their members.
#[utoipa::path(get, path = "/api/v1/agencies", tag = "plans", security(("bearer" = [])),
    responses(
        (status = 200, description = "Danh mục cơ quan", body = Value),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Vai trò không được xem", body = ErrorBody),
    ))]
pub(crate) async fn agencies(State(web): State<Arc<Web>>, signed: Signed) -> ApiResult<Json<Value>> {
    access::require(&signed.account, Capability::Read)?;
    let directory = web.app.directory().await?;
    let config = directory.config();
    Ok(Json(json!({
        "agencies": to_json(&config.agencies)?,
        "groups": to_json(&config.groups)?,
        "successions": to_json(&directory.successions())?,
    })))
}

/// The contact book.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "reminders", security(("bearer" = [])),
    responses(
        (status = 200, description = "Danh bạ người nhận nhắc việc", body = Value),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Chỉ tổ giúp việc", body = ErrorBody),
    ))]
pub(crate) async fn contacts(State(web): State<Arc<Web>>, signed: Signed) -> ApiResult<Json<Value>> {
    access::require(&signed.account, Capability::Deliveries)?;
    let book = web.app.query(|p| Ok(p.contacts()?)).await?;
    Ok(Json(to_json(&book.cards().collect::<Vec<_>>())?))
}

/// The reminders delivered.
#[utoipa::path(get, path = "/api/v1/reminders", tag = "reminders", security(("bearer" = [])),
    responses(
        (status = 200, description = "Nhật ký gửi nhắc việc", body = Value),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Chỉ tổ giúp việc", body = ErrorBody),
    ))]
pub(crate) async fn reminders(State(web): State<Arc<Web>>, signed: Signed) -> ApiResult<Json<Value>> {
    access::require(&signed.account, Capability::Deliveries)?;
    let rows = web.app.query(|p| Ok(p.deliveries()?)).await?;
    Ok(Json(to_json(&rows)?))
}

/// The reminders no channel delivered yet.
#[utoipa::path(get, path = "/api/v1/reminders/failures", tag = "reminders", security(("bearer" = [])),
    responses(
        (status = 200, description = "Nhắc việc gửi không thành công", body = Value),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Chỉ tổ giúp việc", body = ErrorBody),
    ))]
pub(crate) async fn failures(State(web): State<Arc<Web>>, signed: Signed) -> ApiResult<Json<Value>> {
    access::require(&signed.account, Capability::Deliveries)?;
    let rows = web.app.query(|p| Ok(p.open_failures()?)).await?;
    Ok(Json(to_json(&rows)?))
}

/// The silences recorded.
#[utoipa::path(get, path = "/api/v1/silences", tag = "reminders", security(("bearer" = [])),
    responses(
        (status = 200, description = "Các lần tạm dừng nhắc việc", body = Value),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Chỉ tổ giúp việc", body = ErrorBody),
    ))]
pub(crate) async fn silences(State(web): State<Arc<Web>>, signed: Signed) -> ApiResult<Json<Value>> {
    access::require(&signed.account, Capability::Deliveries)?;
    let silences = web.app.query(|p| Ok(p.silences()?)).await?;
    Ok(Json(to_json(&silences.records())?))
}

/// The weekly summary as data, as of now.
#[utoipa::path(get, path = "/api/v1/summaries/weekly", tag = "reminders", security(("bearer" = [])),
    responses(
        (status = 200, description = "Báo cáo tuần (dữ liệu)", body = Value),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Vai trò không được xem", body = ErrorBody),
    ))]
pub(crate) async fn weekly(State(web): State<Arc<Web>>, signed: Signed) -> ApiResult<Json<Value>> {
    access::require(&signed.account, Capability::Read)?;
    let summary = dondoc_app::summary::weekly::compute(&web.app, web.app.now()).await?;
    Ok(Json(to_json(&summary)?))
}
