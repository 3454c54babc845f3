//! Tasks: `GET /api/v1/tasks` (filtered listing), `GET /api/v1/tasks/{plan}/{code}` (the
//! object of `dondoc show --json`, with an `ETag` of its revision), its timeline, and
//! `POST /api/v1/tasks/{plan}/{code}/{action}` (a command; `If-Match` with the revision
//! read makes a stale one 409 with the current revision; `Idempotency-Key` (a UUID) makes
//! a retried one record once).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, FixedOffset, Utc};
use dondoc_app::requests::ActionRequest;
use dondoc_app::views::{self, Listing, Within};
use dondoc_app::{access, audit, requests};
use dondoc_core::access::Capability;
use dondoc_core::classify::Classification;
use dondoc_core::event::{Source, TaskKey};
use dondoc_projections::board::TaskFilter;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::Web;
use crate::auth::Signed;
use crate::error::{ApiError, ApiPath, ApiResult, ErrorBody};

pub(crate) fn routes() -> Router<Arc<Web>> {
    Router::new()
        .route("/api/v1/tasks", get(list))
        .route("/api/v1/tasks/{plan}/{code}", get(show))
        .route("/api/v1/tasks/{plan}/{code}/timeline", get(timeline))
        .route("/api/v1/tasks/{plan}/{code}/{action}", post(act))
}

/// Filters of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this plan.
    pub plan: Option<String>,
    /// Only tasks this agency leads or cooperates on.
    pub agency: Option<String>,
    /// Only tasks so classified (e.g. `in_progress_overdue`, `due_soon`).
    pub classification: Option<String>,
    /// Only overdue tasks.
    pub overdue: Option<bool>,
    /// Only open tasks due within this window: `7d` (days) or `5wd` (working days).
    pub due_within: Option<String>,
    /// The instant of the standing (RFC 3339; default now).
    pub at: Option<DateTime<FixedOffset>>,
}

/// The instant of a standing: `at` within the years it can be computed for (400 else), or now.
fn instant(web: &Web, at: Option<DateTime<FixedOffset>>) -> ApiResult<DateTime<Utc>> {
    match at {
        Some(t) => Ok(views::standing_instant(t.with_timezone(&Utc))?),
        None => Ok(web.app.now()),
    }
}

fn classification(text: &str) -> ApiResult<Classification> {
    Classification::ALL.into_iter().find(|c| c.as_str() == text.trim()).ok_or_else(|| {
        let names: Vec<_> = Classification::ALL.iter().map(|c| c.as_str()).collect();
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("\"classification\" \"{text}\" không có; dùng một trong: {}", names.join(", ")),
        )
    })
}

/// The tasks of a listing, with their standing.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(ListQuery), security(("bearer" = [])),
    responses(
        (status = 200, description = "Các nhiệm vụ, theo kế hoạch và mã số", body = [crate::openapi::TaskDoc]),
        (status = 400, description = "Bộ lọc không hợp lệ", body = ErrorBody),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Vai trò không được xem", body = ErrorBody),
    ))]
pub(crate) async fn list(
    State(web): State<Arc<Web>>,
    signed: Signed,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<Value>>> {
    access::require(&signed.account, Capability::Read)?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("bộ lọc không hợp lệ: {e}")))?;
    let at = instant(&web, q.at)?;
    let listing = Listing {
        filter: TaskFilter { plan: q.plan, agency: q.agency },
        overdue: q.overdue.unwrap_or(false),
        due_within: q.due_within.as_deref().map(Within::parse).transpose()?,
        classification: q.classification.as_deref().map(classification).transpose()?,
    };
    let rows = views::list(&web.app, &listing, at).await?;
    Ok(Json(rows.iter().map(|(t, s)| views::task_json(t, s, at)).collect()))
}

/// The instant of a task's standing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AtQuery {
    /// RFC 3339; default now.
    pub at: Option<DateTime<FixedOffset>>,
}

fn etag(revision: Option<u64>) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("\"{}\"", revision?)).ok()
}

/// One task: the object of `dondoc show --json`.
#[utoipa::path(get, path = "/api/v1/tasks/{plan}/{code}", tag = "tasks", security(("bearer" = [])),
    params(("plan" = String, Path, description = "Kế hoạch", example = "MAU-2026"),
        ("code" = String, Path, description = "Mã số", example = "01"), AtQuery),
    responses(
        (status = 200, description = "Nhiệm vụ và tình trạng", body = crate::openapi::TaskDoc,
            headers(("ETag" = String, description = "Phiên bản, dùng cho If-Match"))),
        (status = 400, description = "Tham số không hợp lệ", body = ErrorBody),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Vai trò không được xem", body = ErrorBody),
        (status = 404, description = "Không có nhiệm vụ (nêu mã gần nhất)", body = ErrorBody),
    ))]
pub(crate) async fn show(
    State(web): State<Arc<Web>>,
    signed: Signed,
    ApiPath((plan, code)): ApiPath<(String, String)>,
    query: Result<Query<AtQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    access::require(&signed.account, Capability::Read)?;
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("tham số không hợp lệ: {e}")))?;
    let key = TaskKey::new(plan.trim(), code.trim());
    let value = views::show_json(&web.app, &key, instant(&web, q.at)?).await?;
    let mut response = Json(&value).into_response();
    if let Some(tag) = etag(value["revision"].as_u64()) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    Ok(response)
}

/// A task's timeline: every event with who, when, from where and what it says.
#[utoipa::path(get, path = "/api/v1/tasks/{plan}/{code}/timeline", tag = "tasks", security(("bearer" = [])),
    params(("plan" = String, Path, description = "Kế hoạch", example = "MAU-2026"),
        ("code" = String, Path, description = "Mã số", example = "01")),
    responses(
        (status = 200, description = "Nhật ký của nhiệm vụ", body = crate::openapi::TimelineDoc),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Vai trò không được xem", body = ErrorBody),
        (status = 404, description = "Không có nhiệm vụ", body = ErrorBody),
    ))]
pub(crate) async fn timeline(
    State(web): State<Arc<Web>>,
    signed: Signed,
    ApiPath((plan, code)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    access::require(&signed.account, Capability::Read)?;
    let key = TaskKey::new(plan.trim(), code.trim());
    let entries = audit::timeline(&web.app, &key).await?;
    Ok(Json(audit::timeline_json(&key, &entries)))
}

/// The revision an `If-Match` header names (`"3"`, `3` or `W/"3"`).
fn if_match(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim();
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse().map(Some).map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, format!("If-Match \"{text}\": cần phiên bản của nhiệm vụ, ví dụ \"3\""))
    })
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<uuid::Uuid>> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let text = value.to_str().unwrap_or_default().trim();
    text.parse()
        .map(Some)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, format!("Idempotency-Key \"{text}\": cần một UUID")))
}

/// One command on a task, as the signed-in account (documented per action in the
/// OpenAPI document: see `openapi::actions`).
pub(crate) async fn act(
    State(web): State<Arc<Web>>,
    signed: Signed,
    ApiPath((plan, code, action)): ApiPath<(String, String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Response> {
    let body = body?;
    let key = TaskKey::new(plan.trim(), code.trim());
    let revision = if_match(&headers)?;
    let command_id = idempotency_key(&headers)?;
    let value: Value = requests::from_bytes(&format!("lệnh \"{action}\""), &body)?;
    let request = ActionRequest::from_json(&action, value)?;
    let app = &web.app;
    let executed = access::act(app, &signed.account, Source::Api, &key, revision, request, command_id).await?;
    let task = views::show_json(app, &key, app.now()).await?;
    let events: Vec<_> = executed
        .events
        .iter()
        .map(|e| {
            let (event_type, _, data) = e.encode();
            json!({ "type": event_type, "data": data, "summary": dondoc_core::describe::describe(e) })
        })
        .collect();
    let body = json!({
        "plan": key.plan,
        "code": key.code,
        "revision": executed.revision,
        "events": events,
        "task": task,
    });
    let mut response = Json(body).into_response();
    if let Some(tag) = etag(executed.revision) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    Ok(response)
}
