//! Signing in and who is signed in: `POST /api/v1/auth/token` (name and password → a
//! bearer token; attempts limited per name and per client address), `DELETE` of it
//! (signing out), `GET /api/v1/me`, and [`Signed`], the extractor every other handler
//! takes: no or a bad token is 401 before the handler runs.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use dondoc_app::{accounts, requests};
use dondoc_core::account::{Account, AccountRole};
use dondoc_core::event::Source;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Web;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// Sign-in attempts allowed per account name and per client address.
pub(crate) struct SignInLimits {
    by_name: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<std::net::IpAddr>,
}

impl SignInLimits {
    pub fn new(config: &crate::WebConfig) -> SignInLimits {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        SignInLimits {
            by_name: RateLimiter::keyed(per_minute(config.sign_in_per_minute)),
            by_address: RateLimiter::keyed(per_minute(config.sign_in_per_minute_per_address)),
        }
    }

    /// Takes one attempt for `name` from `address`, or says how long to wait.
    pub(crate) fn check(&self, name: &str, address: Option<std::net::IpAddr>) -> Result<(), u64> {
        let wait = |n: governor::NotUntil<_>| {
            n.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default())).as_secs().max(1)
        };
        if let Some(a) = address {
            self.by_address.check_key(&a).map_err(wait)?;
        }
        self.by_name.check_key(&name.trim().to_lowercase()).map_err(wait)
    }
}

/// A sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The account name (`dondoc user add --name`).
    pub name: String,
    pub password: String,
}

/// An account as the API shows it (never its password).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub login: String,
    /// officer, agency_head, secretariat, leadership or admin.
    #[schema(value_type = String)]
    pub role: AccountRole,
    pub role_vi: String,
    pub agency: Option<String>,
    pub full_name: Option<String>,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        AccountView {
            login: a.login.clone(),
            role: a.role,
            role_vi: a.role.label_vi().to_string(),
            agency: a.agency.clone(),
            full_name: a.full_name.clone(),
        }
    }
}

/// A token to send as `Authorization: Bearer <token>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: AccountView,
}

/// The signed-in account of a request (401 without a valid bearer token).
pub struct Signed {
    pub account: Account,
    pub token: String,
}

impl FromRequestParts<Arc<Web>> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let token = header.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer "))).map(str::trim);
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "cần đăng nhập: gửi \"Authorization: Bearer <mã>\" (lấy mã bằng POST /api/v1/auth/token)",
            ));
        };
        let account = accounts::bearer(&web.app, token).await?;
        Ok(Signed { account, token: token.to_string() })
    }
}

pub(crate) fn routes() -> Router<Arc<Web>> {
    Router::new().route("/api/v1/auth/token", post(sign_in).delete(sign_out)).route("/api/v1/me", get(me))
}

/// Signs in: a bearer token for the account.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "Đăng nhập được", body = TokenResponse),
        (status = 400, description = "Nội dung không hợp lệ", body = ErrorBody),
        (status = 401, description = "Sai tên đăng nhập hoặc mật khẩu", body = ErrorBody),
        (status = 429, description = "Thử quá nhiều lần; chờ theo Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn sign_in(
    State(web): State<Arc<Web>>,
    address: Result<ConnectInfo<SocketAddr>, axum::extract::rejection::ExtensionRejection>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<TokenResponse>> {
    let body = body?;
    let request: TokenRequest = requests::from_bytes("đăng nhập", &body)?;
    if let Err(wait) = web.limits.check(&request.name, address.ok().map(|a| a.0.ip())) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("đăng nhập sai quá nhiều lần; thử lại sau {wait} giây"),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let lifetime = Duration::hours(i64::from(web.config.token_hours.max(1)));
    let signed = accounts::sign_in(&web.app, &request.name, &request.password, lifetime).await?;
    Ok(Json(TokenResponse {
        token: signed.token,
        expires_at: signed.expires_at,
        account: AccountView::from(&signed.account),
    }))
}

/// Signs out: the token stops working.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Đã đăng xuất"),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
    ))]
pub(crate) async fn sign_out(State(web): State<Arc<Web>>, signed: Signed) -> ApiResult<StatusCode> {
    let actor = dondoc_app::access::actor(&signed.account, Source::Api);
    accounts::sign_out(&web.app, &signed.token, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Tài khoản đang đăng nhập", body = AccountView),
        (status = 401, description = "Chưa đăng nhập", body = ErrorBody),
    ))]
pub(crate) async fn me(signed: Signed) -> Json<AccountView> {
    Json(AccountView::from(&signed.account))
}
