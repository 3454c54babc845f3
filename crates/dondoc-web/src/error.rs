//! A use case's error as an HTTP answer: a status and `{"error": message, "status": n}`
//! (a stale revision adds `"current_revision"` and an `ETag`).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dondoc_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in Vietnamese, naming the task, the field or the rule.
    pub error: String,
    pub status: u16,
    /// With 409: the task's current revision (send it as `If-Match` after reading again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<u64>,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub current_revision: Option<u64>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), current_revision: None, retry_after: None }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = match &e {
            AppError::Input(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Integrity(_) | AppError::Store(_) | AppError::ReadModel(_) | AppError::Template(_) => {
                tracing::error!(error = %e, "lỗi khi xử lý yêu cầu API");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let current_revision = match &e {
            AppError::Conflict { current, .. } => *current,
            _ => None,
        };
        ApiError { status, message: e.to_string(), current_revision, retry_after: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: self.message, status: self.status.as_u16(), current_revision: self.current_revision };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(r) = self.current_revision
            && let Ok(v) = HeaderValue::from_str(&format!("\"{r}\""))
        {
            headers.insert(header::ETAG, v);
        }
        if let Some(s) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(e: axum::extract::rejection::BytesRejection) -> Self {
        let status = e.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "nội dung gửi lên vượt quá giới hạn cho phép ([web] max_body_mb)".to_string()
        } else {
            format!("không đọc được nội dung gửi lên: {e}")
        };
        ApiError::new(status, message)
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;

/// `Path<T>` whose rejection (a segment that is not UTF-8 once percent-decoded, a value of
/// the wrong kind) is a JSON 400 like every other API error, not axum's plain text.
pub struct ApiPath<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("đường dẫn không hợp lệ: {}", rejection.body_text()),
            )),
        }
    }
}
