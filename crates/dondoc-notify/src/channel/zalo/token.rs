//! The OA token pair on disk and its single-flight refresh.
//!
//! Zalo's refresh token is single use: every refresh returns a new pair and invalidates the
//! old refresh token. The store therefore
//! - refreshes under one `tokio::sync::Mutex`, so concurrent sends never spend the same
//!   refresh token twice (the second waiter finds the new pair and uses it);
//! - writes the new pair to the token file atomically (temporary file in the same
//!   directory, fsync, rename, fsync of the directory) before the new access token is
//!   handed to anyone; if that write fails the pair is kept in memory, marked unsaved, no
//!   send uses it, and the write is tried again on the next send.
//!
//! Remaining window, stated honestly: Zalo rotates the pair when it processes the refresh
//! request. If the process dies (or the reply is lost on the network, or the disk refuses
//! the write) after Zalo rotated but before our rename is durable, the file still holds the
//! old, now spent, refresh token and the new one is lost: an administrator must authorise
//! the OA again by hand. The window is one HTTP round trip plus one small fsynced write;
//! nothing on our side can close it because Zalo offers no idempotent refresh.
//!
//! Several processes sharing one token file are not coordinated beyond this: before
//! refreshing, the store re-reads the file and adopts a pair another process (or an
//! administrator re-authorising the OA) wrote there.
//!
//! A refresh token Zalo refuses is not offered again: the store remembers the refusal and
//! fails at once (a fault of the channel) until the token file holds another refresh
//! token, as `dondoc zalo authorize` writes after an administrator re-authorises the OA.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;

use super::{Clock, ZaloError};

/// An access token is treated as expired this long before its recorded expiry.
pub const EXPIRY_MARGIN: TimeDelta = TimeDelta::seconds(60);

/// Lifetime assumed when a refresh reply carries no usable `expires_in` (one hour: short on
/// purpose, the API tells us sooner if the token is refused).
const DEFAULT_EXPIRES_IN: i64 = 3600;

/// The content of the token file.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl TokenPair {
    /// Whether the access token should no longer be used at `now` (with [`EXPIRY_MARGIN`]).
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now + EXPIRY_MARGIN >= self.expires_at
    }
}

/// Reads the token file.
pub async fn load_token_file(path: &Path) -> Result<TokenPair, ZaloError> {
    let bytes =
        tokio::fs::read(path).await.map_err(|source| ZaloError::TokenRead { path: path.to_path_buf(), source })?;
    serde_json::from_slice(&bytes).map_err(|source| ZaloError::TokenParse { path: path.to_path_buf(), source })
}

/// Writes the token file atomically: a temporary file in the same directory (mode 0600 on
/// Unix), fsync, rename over the old file, fsync of the directory. Readers see the old or the
/// new pair, never a mix; after `Ok` the new pair survives a crash.
pub async fn save_token_file(path: &Path, pair: &TokenPair) -> Result<(), ZaloError> {
    let write_err = |source| ZaloError::TokenWrite { path: path.to_path_buf(), source };
    let bytes = serde_json::to_vec_pretty(pair).map_err(|e| write_err(std::io::Error::other(e)))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "token".to_string());
    let tmp = dir.join(format!(".{name}.tmp.{}.{:016x}", std::process::id(), rand::random::<u64>()));

    let result = async {
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options.open(&tmp).await?;
        file.write_all(&bytes).await?;
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, path).await?;
        #[cfg(unix)]
        tokio::fs::File::open(&dir).await?.sync_all().await?;
        Ok::<(), std::io::Error>(())
    }
    .await;
    if result.is_err() {
        // Best effort: the temporary file may or may not exist.
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result.map_err(write_err)
}

/// Where and how to refresh.
pub(crate) struct RefreshEndpoint {
    pub url: String,
    pub app_id: String,
    pub app_secret: String,
}

struct State {
    pair: Option<TokenPair>,
    /// The pair in memory is newer than the file: it must be saved before use.
    unsaved: bool,
    /// A refresh token Zalo refused, and what it said: not offered again.
    refused: Option<(String, i64, String)>,
}

/// The token file, its cached pair and the single-flight refresh.
pub(crate) struct TokenStore {
    path: PathBuf,
    http: reqwest::Client,
    endpoint: RefreshEndpoint,
    clock: Clock,
    state: tokio::sync::Mutex<State>,
}

impl TokenStore {
    pub fn new(path: PathBuf, http: reqwest::Client, endpoint: RefreshEndpoint, clock: Clock) -> Self {
        let state = State { pair: None, unsaved: false, refused: None };
        TokenStore { path, http, endpoint, clock, state: tokio::sync::Mutex::new(state) }
    }

    /// An access token to use now, refreshing first when the recorded one has expired.
    pub async fn access_token(&self) -> Result<String, ZaloError> {
        let mut st = self.state.lock().await;
        let pair = self.ready_pair(&mut st).await?;
        if !pair.is_expired((self.clock)()) {
            return Ok(pair.access_token);
        }
        self.refresh_locked(&mut st, &pair.access_token).await
    }

    /// Called when the API refused `rejected`: returns a newer token if another send already
    /// refreshed, otherwise refreshes.
    pub async fn after_rejection(&self, rejected: &str) -> Result<String, ZaloError> {
        let mut st = self.state.lock().await;
        let pair = self.ready_pair(&mut st).await?;
        if pair.access_token != rejected && !pair.is_expired((self.clock)()) {
            return Ok(pair.access_token);
        }
        self.refresh_locked(&mut st, rejected).await
    }

    /// The cached pair, loaded from the file on first use, saved first if unsaved.
    async fn ready_pair(&self, st: &mut State) -> Result<TokenPair, ZaloError> {
        if st.pair.is_none() {
            st.pair = Some(load_token_file(&self.path).await?);
            st.unsaved = false;
        }
        let pair = st.pair.clone().ok_or_else(|| ZaloError::RefreshTransport("không có token".to_string()))?;
        if st.unsaved {
            save_token_file(&self.path, &pair).await?;
            st.unsaved = false;
        }
        Ok(pair)
    }

    /// Refreshes while holding the lock. `stale` is the access token known to be unusable.
    async fn refresh_locked(&self, st: &mut State, stale: &str) -> Result<String, ZaloError> {
        let now = (self.clock)();
        // Another process or an administrator may have written a newer pair.
        if let Ok(on_disk) = load_token_file(&self.path).await
            && Some(&on_disk.refresh_token) != st.pair.as_ref().map(|p| &p.refresh_token)
        {
            tracing::info!(path = %self.path.display(), "adopting the Zalo token pair found in the token file");
            st.pair = Some(on_disk.clone());
            st.unsaved = false;
            if on_disk.access_token != stale && !on_disk.is_expired(now) {
                return Ok(on_disk.access_token);
            }
        }
        let refresh_token = match &st.pair {
            Some(p) => p.refresh_token.clone(),
            None => return Err(ZaloError::RefreshTransport("không có refresh token".to_string())),
        };
        if let Some((refused, code, message)) = &st.refused
            && *refused == refresh_token
        {
            return Err(ZaloError::RefreshRefused { code: *code, message: message.clone() });
        }
        let fresh = match self.call_refresh(&refresh_token).await {
            Err(ZaloError::RefreshRefused { code, message }) => {
                tracing::error!(code, %message, "Zalo refused the refresh token: the OA must be authorised again (dondoc zalo authorize)");
                st.refused = Some((refresh_token, code, message.clone()));
                return Err(ZaloError::RefreshRefused { code, message });
            }
            other => other?,
        };
        st.refused = None;
        tracing::info!(expires_at = %fresh.expires_at, "Zalo access token refreshed");
        // From here the old refresh token is spent: keep the new pair even if saving fails.
        st.pair = Some(fresh.clone());
        st.unsaved = true;
        save_token_file(&self.path, &fresh).await.inspect_err(|e| {
            tracing::error!(error = %e, "new Zalo token pair could not be saved; it is kept in memory and saved again before use");
        })?;
        st.unsaved = false;
        Ok(fresh.access_token)
    }

    /// Exchanges `refresh_token` for a new pair and writes it to the token file (a new
    /// authorisation of the OA).
    pub async fn exchange(&self, refresh_token: &str) -> Result<TokenPair, ZaloError> {
        let mut st = self.state.lock().await;
        let fresh = self.call_refresh(refresh_token).await?;
        save_token_file(&self.path, &fresh).await?;
        st.pair = Some(fresh.clone());
        st.unsaved = false;
        st.refused = None;
        Ok(fresh)
    }

    async fn call_refresh(&self, refresh_token: &str) -> Result<TokenPair, ZaloError> {
        let reply = self
            .http
            .post(&self.endpoint.url)
            .header("secret_key", &self.endpoint.app_secret)
            .form(&[
                ("refresh_token", refresh_token),
                ("app_id", self.endpoint.app_id.as_str()),
                ("grant_type", "refresh_token"),
            ])
            .send()
            .await
            .map_err(|e| ZaloError::RefreshTransport(e.without_url().to_string()))?;
        let status = reply.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(ZaloError::RefreshTransport(format!("HTTP {status}")));
        }
        let body = reply.bytes().await.map_err(|e| ZaloError::RefreshTransport(e.without_url().to_string()))?;
        let json: Value = serde_json::from_slice(&body)
            .map_err(|_| ZaloError::RefreshTransport(format!("HTTP {status}: phản hồi không phải JSON")))?;
        let text = |k: &str| json.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        match (text("access_token"), text("refresh_token")) {
            (Some(access_token), Some(refresh_token)) if status.is_success() => {
                let expires_in =
                    super::json_i64(json.get("expires_in")).filter(|s| *s > 0).unwrap_or(DEFAULT_EXPIRES_IN);
                let expires_at = (self.clock)() + TimeDelta::seconds(expires_in);
                Ok(TokenPair { access_token, refresh_token, expires_at })
            }
            _ => {
                let code = super::json_i64(json.get("error")).unwrap_or(i64::from(status.as_u16()));
                let message = ["error_description", "error_reason", "error_name", "message"]
                    .iter()
                    .find_map(|k| text(k))
                    .unwrap_or_else(|| format!("HTTP {status}"));
                Err(ZaloError::RefreshRefused { code, message })
            }
        }
    }
}
