//! Evidence files: `POST /api/v1/evidence?name=<file name>` (the body is the file, its
//! `Content-Type` its type) stores a file and answers its hash, to name as `file_sha256`
//! in a report or a completion; `GET /api/v1/evidence/{sha256}` gives it back, its hash
//! checked. Size and types are limited by `[web] evidence_max_mb` and `evidence_types`
//! (413 and 415).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dondoc_app::evidence::{self, Refusal};
use dondoc_app::{AppError, access};
use dondoc_core::access::Capability;
use dondoc_core::account::AccountRole;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::Web;
use crate::auth::Signed;
use crate::error::{ApiError, ApiPath, ApiResult, ErrorBody};

pub(crate) fn routes(max_bytes: usize) -> Router<Arc<Web>> {
    Router::new()
        .route("/api/v1/evidence", post(upload).layer(DefaultBodyLimit::max(max_bytes + 1)))
        .route("/api/v1/evidence/{sha256}", get(download))
}

/// The uploaded file's name.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, e.g. "bao-cao-quy-3.pdf" (its extension decides the type allowed).
    pub name: String,
}

/// A stored file.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stored {
    /// Name it as `file_sha256` in a report's or a completion's evidence.
    pub sha256: String,
    pub name: String,
    pub size: u64,
    pub media_type: String,
}

/// Stores an evidence file.
#[utoipa::path(post, path = "/api/v1/evidence", tag = "evidence", params(UploadQuery), security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "Nội dung tệp"),
    responses(
        (status = 200, description = "Đã lưu tệp", body = Stored),
        (status = 400, description = "Thiếu tên tệp", body = ErrorBody),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Vai trò không được nộp minh chứng", body = ErrorBody),
        (status = 413, description = "Tệp quá lớn", body = ErrorBody),
        (status = 415, description = "Loại tệp không được nhận", body = ErrorBody),
    ))]
pub(crate) async fn upload(
    State(web): State<Arc<Web>>,
    signed: Signed,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<Stored>> {
    if matches!(signed.account.role, AccountRole::Leadership | AccountRole::Admin) {
        return Err(AppError::Forbidden(format!(
            "{} không được nộp tệp minh chứng",
            access::describe(&signed.account)
        ))
        .into());
    }
    let Query(q) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("cần ?name=<tên tệp>: {e}")))?;
    let policy = web.config.evidence_policy();
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let message = format!("tệp \"{}\" lớn hơn giới hạn {} KB", q.name, policy.max_bytes / 1024);
            return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message));
        }
        Err(e) => return Err(e.into()),
    };
    evidence::check(&policy, &q.name, body.len() as u64).map_err(|r| match r {
        Refusal::TooLarge(m) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, m),
        Refusal::WrongType(m) => ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, m),
    })?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or("application/octet-stream");
    let info = evidence::store(&web.app, &q.name, media_type, body.to_vec()).await?;
    Ok(Json(Stored { sha256: info.sha256, name: info.name, size: info.size, media_type: info.media_type }))
}

/// An evidence file, its hash checked.
#[utoipa::path(get, path = "/api/v1/evidence/{sha256}", tag = "evidence", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "Mã băm SHA-256 của tệp")),
    responses(
        (status = 200, description = "Nội dung tệp", content_type = "application/octet-stream"),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
        (status = 403, description = "Vai trò không được xem", body = ErrorBody),
        (status = 404, description = "Không có tệp", body = ErrorBody),
    ))]
pub(crate) async fn download(
    State(web): State<Arc<Web>>,
    signed: Signed,
    ApiPath(sha256): ApiPath<String>,
) -> ApiResult<Response> {
    access::require(&signed.account, Capability::Read)?;
    let (info, bytes) = evidence::fetch(&web.app, &sha256).await?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        info.name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
            .collect::<String>()
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&info.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert("x-content-sha256", HeaderValue::from_str(&info.sha256).unwrap_or(HeaderValue::from_static("")));
    Ok(response)
}
