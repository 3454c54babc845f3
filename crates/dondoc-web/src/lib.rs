//! dondoc's HTTP face: the pages for people (`/`), the JSON API under `/api/v1` (accounts and roles, tasks, their
//! timelines and the commands on them) and its OpenAPI document at `/api/openapi.json`.
//! Thin: every handler reads the request, asks `dondoc_app` (the use cases the CLI, the
//! daemon and the chat handlers share) and writes the answer; nothing here decides.
//!
//! - [`config`] — what the operator sets (`[web]`): token lifetime, sign-in limits, body size;
//! - `pages` — the HTML pages (askama templates, sessions with axum-login, CSRF tokens);
//! - `auth` — sign-in (`POST /api/v1/auth/token`, rate-limited) and the bearer extractor;
//! - `resources` — plans (import: the difference, then confirmed), agencies, contacts,
//!   deliveries and failures, silences, the weekly summary;
//! - `evidence` — evidence files uploaded and downloaded by their SHA-256;
//! - `tasks` — listing, one task (`show --json`'s object), its timeline, the commands;
//! - `error` — how a use case's error becomes a status and a JSON body;
//! - `openapi` — the document, generated from the handlers and the request types.

mod auth;
pub mod config;
mod error;
mod evidence;
mod openapi;
mod pages;
pub use pages::session_store::FileSessions;
mod resources;
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
/// client address too). Page sessions are kept in a file beside the store
/// ([`sessions_path`]); an error names it when it cannot be opened.
pub fn router(app: Arc<App>, config: WebConfig) -> std::io::Result<Router> {
    let limits = auth::SignInLimits::new(&config);
    let max_body = config.max_body_bytes();
    let max_evidence = config.evidence_policy().max_bytes as usize;
    let secure = config.secure_cookies;
    let web = Arc::new(Web { app: app.clone(), config, limits });
    let path = sessions_path(&app.read_path);
    let store = pages::session_store::FileSessions::open(&path)
        .map_err(|e| std::io::Error::other(format!("không mở được tệp phiên đăng nhập {}: {e}", path.display())))?;
    let sessions = tower_sessions::SessionManagerLayer::new(store)
        .with_name("dondoc_session")
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_expiry(tower_sessions::Expiry::OnInactivity(tower_sessions::cookie::time::Duration::hours(8)));
    let login = axum_login::AuthManagerLayerBuilder::new(pages::session::Backend { app }, sessions).build();
    Ok(Router::new()
        .merge(pages::routes(max_evidence).layer(login))
        .merge(auth::routes())
        .merge(tasks::routes())
        .merge(evidence::routes(max_evidence))
        .merge(resources::routes())
        .merge(openapi::routes())
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(web))
}

/// The file that keeps page sessions, beside the store file ("dondoc.sqlite" →
/// "dondoc.sessions.sqlite").
pub fn sessions_path(store: &std::path::Path) -> std::path::PathBuf {
    store.with_extension("sessions.sqlite")
}
