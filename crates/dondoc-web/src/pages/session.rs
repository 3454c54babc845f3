//! Signing in to the pages: axum-login over tower-sessions (a session cookie, HttpOnly,
//! SameSite=Lax), with the same accounts and password check as the API. A session ends
//! when the account's password, role or agency changes or it is disabled (the session
//! keeps a hash of them), after 8 hours without activity, or on signing out.

use std::sync::Arc;

use axum_login::{AuthUser, AuthnBackend, UserId};
use dondoc_app::{App, AppError, accounts};
use dondoc_core::account::Account;
use tower_sessions::Session;

/// A signed-in account, as the session knows it.
#[derive(Clone)]
pub struct User {
    pub account: Account,
    auth_hash: Vec<u8>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User").field("login", &self.account.login).finish_non_exhaustive()
    }
}

impl User {
    fn new(account: Account) -> User {
        // What ends the session when it changes.
        let auth_hash = format!(
            "{}|{}|{}|{}",
            account.password_phc.as_deref().unwrap_or_default(),
            account.role.as_str(),
            account.agency.as_deref().unwrap_or_default(),
            account.disabled
        )
        .into_bytes();
        User { account, auth_hash }
    }
}

impl AuthUser for User {
    type Id = String;

    fn id(&self) -> String {
        self.account.login.clone()
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

/// A name and password from the sign-in form.
#[derive(Clone)]
pub struct Credentials {
    pub name: String,
    pub password: String,
}

/// The accounts of the application, for axum-login.
#[derive(Clone)]
pub struct Backend {
    pub app: Arc<App>,
}

/// A failure to read the accounts (not a refusal: a wrong password is `Ok(None)`).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BackendError(#[from] AppError);

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = BackendError;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, BackendError> {
        match accounts::verify(&self.app, &creds.name, &creds.password).await {
            Ok(account) => Ok(Some(User::new(account))),
            Err(AppError::Unauthenticated(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, BackendError> {
        Ok(accounts::enabled(&self.app, id).await?.map(User::new))
    }
}

/// The session's CSRF token (made on first use): every form carries it and every POST
/// must send it back.
pub async fn csrf_token(session: &Session) -> String {
    const KEY: &str = "csrf";
    if let Ok(Some(token)) = session.get::<String>(KEY).await {
        return token;
    }
    let token = uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string();
    if let Err(e) = session.insert(KEY, &token).await {
        tracing::warn!(error = %e, "không lưu được mã chống giả mạo vào phiên");
    }
    token
}

/// Whether `given` is the session's CSRF token (compared in constant time).
pub async fn csrf_ok(session: &Session, given: &str) -> bool {
    match session.get::<String>("csrf").await {
        Ok(Some(token)) => token.len() == given.len() && subtle_eq(token.as_bytes(), given.as_bytes()),
        _ => false,
    }
}

fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A one-time message for the next page.
pub async fn flash(session: &Session, message: &str) {
    let _ = session.insert("flash", message).await;
}

/// The message left for this page, if any (removed).
pub async fn take_flash(session: &Session) -> Option<String> {
    session.remove::<String>("flash").await.ok().flatten()
}
