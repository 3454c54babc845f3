//! dondoc's HTTP face: the JSON API under `/api/v1` (accounts and roles, tasks, their
//! timelines and the commands on them) and its OpenAPI document at `/api/openapi.json`.
//! Thin: every handler reads the request, asks `dondoc_app` (the use cases the CLI, the
//! daemon and the chat handlers share) and writes the answer; nothing here decides.
//!
//! - [`config`] — what the operator sets (`[web]`): token lifetime, sign-in limits, body size;
//! - `auth` — sign-in (`POST /api/v1/auth/token`, rate-limited) and the bearer extractor;
//! - `tasks` — listing, one task (`show --json`'s object), its timeline, the commands;
//! - `error` — how a use case's error becomes a status and a JSON body;
//! - `openapi` — the document, generated from the handlers and the request types.

mod auth;
pub mod config;
mod error;
mod openapi;
mod tasks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use dondoc_app::App;

pub use config::WebConfig;
pub use openapi::document;

/// What every handler shares: the application and the web settings.
pub(crate) struct Web {
    pub app: Arc<App>,
    pub config: WebConfig,
    pub limits: auth::SignInLimits,
}

/// The API's routes on `app` (merge them into the daemon's router; serve with
/// `into_make_service_with_connect_info::<SocketAddr>()` so sign-in limits apply per
/// client address too).
pub fn router(app: Arc<App>, config: WebConfig) -> Router {
    let limits = auth::SignInLimits::new(&config);
    let max_body = config.max_body_bytes();
    let web = Arc::new(Web { app, config, limits });
    Router::new()
        .merge(auth::routes())
        .merge(tasks::routes())
        .merge(openapi::routes())
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(web)
}
