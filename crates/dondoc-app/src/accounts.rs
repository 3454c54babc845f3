//! Accounts of the web pages and the API: create one, set its password, disable or
//! enable it, sign in (an API token), and find who a token signs in. Each change is a fact
//! on the `accounts` stream; passwords are kept as argon2 PHC strings and tokens as
//! their SHA-256, never in clear.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use dondoc_core::StreamEvent as _;
use dondoc_core::account::{ACCOUNT_STREAM, Account, AccountEvent, AccountRole, valid_login};
use dondoc_core::agency::Resolution;
use dondoc_core::text::clean;
use dondoc_store::ExpectedRevision;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::App;
use crate::command::{self, Actor};
use crate::error::{AppError, Result};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// An account to create.
#[derive(Debug, Clone)]
pub struct AccountInput {
    pub login: String,
    pub role: AccountRole,
    /// Required for officers and agency heads; must be in the agency directory.
    pub agency: Option<String>,
    pub full_name: Option<String>,
    /// The contact (reminder recipient) this person is, by id.
    pub contact: Option<String>,
}

/// A sign-in: the token to send as `Authorization: Bearer …` and when it ends.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub account: Account,
    pub expires_at: DateTime<Utc>,
}

/// The SHA-256 of a token, as recorded.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::Input(format!("mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự")));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Input(format!("không băm được mật khẩu: {e}")))
}

/// A PHC string nobody's password matches, verified for unknown accounts so that a
/// wrong name takes as long to refuse as a wrong password.
fn decoy_phc() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(b"decoy password nobody has", &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

async fn append(app: &App, events: Vec<AccountEvent>, expected: ExpectedRevision, actor: &Actor) -> Result<()> {
    let encoded: Vec<_> = events.iter().map(|e| e.encode()).collect();
    command::append_facts(&app.store, ACCOUNT_STREAM, expected, encoded, &actor.at(app.now())).await?;
    app.catch_up().await
}

/// The account `login` (enabled or not), or an input error.
pub async fn get(app: &App, login: &str) -> Result<Account> {
    let book = app.read().await?.accounts()?;
    book.get(login.trim())
        .cloned()
        .ok_or_else(|| AppError::Input(format!("không có tài khoản \"{login}\" (xem: dondoc user list)")))
}

/// Every account, by login.
pub async fn list(app: &App) -> Result<Vec<Account>> {
    Ok(app.read().await?.accounts()?.accounts().cloned().collect())
}

/// Creates an account with its password. The agency of an officer or agency head must
/// be in the directory (its canonical name is recorded).
pub async fn add(app: &App, input: AccountInput, password: &str, actor: &Actor) -> Result<Account> {
    let login = input.login.trim().to_string();
    if !valid_login(&login) {
        return Err(AppError::Input(format!(
            "tên đăng nhập \"{login}\" không hợp lệ: 2–64 ký tự a–z, 0–9, dấu chấm, gạch dưới, gạch ngang"
        )));
    }
    let agency = match (input.role.needs_agency(), input.agency.as_deref().map(clean)) {
        (true, None) => {
            return Err(AppError::Input(format!(
                "vai trò {} cần --agency (cơ quan của tài khoản)",
                input.role.as_str()
            )));
        }
        (_, Some(a)) => Some(match app.directory().await?.resolve(&a) {
            Resolution::Agency(name) | Resolution::Group { name, .. } => name,
            Resolution::Unknown { closest } => {
                return Err(AppError::Input(format!(
                    "không có cơ quan \"{a}\" trong danh mục; gần nhất: {}",
                    closest.join("; ")
                )));
            }
        }),
        (false, None) => None,
    };
    let phc = hash_password(password)?;
    let (book, revision) = {
        let read = app.read().await?;
        (read.accounts()?, read.accounts_revision()?)
    };
    if book.get(&login).is_some() {
        return Err(AppError::Input(format!("đã có tài khoản \"{login}\"")));
    }
    if let Some(contact) = &input.contact
        && app.read().await?.contacts()?.get(contact).is_none()
    {
        return Err(AppError::Input(format!("không có người nhận mã \"{contact}\" trong danh bạ")));
    }
    let created = AccountEvent::AccountCreated {
        login: login.clone(),
        role: input.role,
        agency,
        full_name: input.full_name.map(|n| clean(&n)).filter(|n| !n.is_empty()),
        contact: input.contact,
    };
    let expected = revision.map_or(ExpectedRevision::NoStream, ExpectedRevision::Exact);
    append(app, vec![created, AccountEvent::PasswordSet { login: login.clone(), phc }], expected, actor)
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => AppError::Input("danh sách tài khoản vừa thay đổi; hãy thử lại".into()),
            e => e,
        })?;
    get(app, &login).await
}

/// Sets a new password (every token of the account stops working).
pub async fn set_password(app: &App, login: &str, password: &str, actor: &Actor) -> Result<()> {
    let account = get(app, login).await?;
    let phc = hash_password(password)?;
    append(app, vec![AccountEvent::PasswordSet { login: account.login, phc }], ExpectedRevision::StreamExists, actor)
        .await
}

/// Disables (`reason` given) or enables an account.
pub async fn set_disabled(app: &App, login: &str, reason: Option<&str>, actor: &Actor) -> Result<()> {
    let account = get(app, login).await?;
    let event = match reason {
        Some(r) => AccountEvent::AccountDisabled { login: account.login, reason: r.to_string() },
        None => AccountEvent::AccountEnabled { login: account.login },
    };
    append(app, vec![event], ExpectedRevision::StreamExists, actor).await
}

/// The enabled account whose password this is. A wrong name, a wrong password and a
/// disabled account are refused alike, and take as long.
pub async fn verify(app: &App, login: &str, password: &str) -> Result<Account> {
    let refused = || AppError::Unauthenticated("sai tên đăng nhập hoặc mật khẩu".into());
    let account = app.read().await?.accounts()?.get(login.trim()).cloned();
    let phc = account.as_ref().and_then(|a| a.password_phc.clone());
    let password = password.to_string();
    let checked = phc.clone().unwrap_or_else(|| decoy_phc().to_string());
    let matches = tokio::task::spawn_blocking(move || verify_password(&checked, &password)).await.unwrap_or(false);
    match account {
        Some(a) if matches && phc.is_some() && !a.disabled => Ok(a),
        _ => Err(refused()),
    }
}

/// The enabled account `login` as the read models hold it now (a page's session).
pub async fn enabled(app: &App, login: &str) -> Result<Option<Account>> {
    let book = book(app).await?;
    Ok(book.get(login).filter(|a| !a.disabled).cloned())
}

/// The account book, parsed again only when its stream moved.
async fn book(app: &App) -> Result<Arc<dondoc_core::account::AccountBook>> {
    app.query(|p| cached_book(app, p, p.accounts_revision()?)).await
}

fn cached_book(
    app: &App,
    p: &dondoc_projections::Projections,
    revision: Option<u64>,
) -> Result<Arc<dondoc_core::account::AccountBook>> {
    let cached = app.account_cache.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(match cached {
        Some((r, book)) if r == revision => book,
        _ => {
            let book = Arc::new(p.accounts()?);
            *app.account_cache.lock().unwrap_or_else(|e| e.into_inner()) = Some((revision, book.clone()));
            book
        }
    })
}

/// Signs in with a name and password: a new token valid for `lifetime` (see [`verify`]).
pub async fn sign_in(app: &App, login: &str, password: &str, lifetime: Duration) -> Result<SignedIn> {
    let account = verify(app, login, password).await?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = app.now();
    let expires_at = now + lifetime;
    let issued = AccountEvent::TokenIssued {
        login: account.login.clone(),
        token_sha256: token_hash(&token),
        issued_at: now,
        expires_at,
    };
    let actor = Actor::new(account.actor(), dondoc_core::event::Source::Api);
    append(app, vec![issued], ExpectedRevision::Any, &actor).await?;
    Ok(SignedIn { token, account, expires_at })
}

/// Ends a token (signing out).
pub async fn sign_out(app: &App, token: &str, actor: &Actor) -> Result<()> {
    let event = AccountEvent::TokenRevoked { token_sha256: token_hash(token) };
    append(app, vec![event], ExpectedRevision::Any, actor).await
}

/// The account a bearer token signs in now (the read models as [`App::query`] reads them;
/// the account book parsed again only when its stream moved).
pub async fn bearer(app: &App, token: &str) -> Result<Account> {
    let hash = token_hash(token);
    let now = app.now();
    let found = app
        .query(|p| {
            let Some((login, expires_at)) = p.token(&hash)? else { return Ok(None) };
            let book = cached_book(app, p, p.accounts_revision()?)?;
            Ok(book.bearer(&login, expires_at, now).cloned())
        })
        .await?;
    found.ok_or_else(|| {
        AppError::Unauthenticated("phiên đăng nhập không hợp lệ hoặc đã hết hạn; hãy đăng nhập lại".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let phc = hash_password("mật khẩu đủ dài").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password(&phc, "mật khẩu đủ dài"));
        assert!(!verify_password(&phc, "mật khẩu khác đủ dài"));
        assert!(!verify_password(decoy_phc(), ""));
        assert!(hash_password("ngắn").is_err());
    }
}
