//! `[web]` in `dondoc.toml`.

use serde::Deserialize;

/// What the operator sets for the API and the pages.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// How long a sign-in (an API token) lasts, in hours.
    pub token_hours: u32,
    /// Sign-in attempts allowed per account name per minute (then 429).
    pub sign_in_per_minute: u32,
    /// Sign-in attempts allowed per client address per minute (then 429).
    pub sign_in_per_minute_per_address: u32,
    /// The largest request body accepted, in megabytes (then 413).
    pub max_body_mb: u32,
    /// Send the session cookie over HTTPS only (set it when a TLS proxy serves the pages).
    pub secure_cookies: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            token_hours: 12,
            sign_in_per_minute: 5,
            sign_in_per_minute_per_address: 30,
            max_body_mb: 16,
            secure_cookies: false,
        }
    }
}

impl WebConfig {
    /// The largest body in bytes.
    pub fn max_body_bytes(&self) -> usize {
        (self.max_body_mb.max(1) as usize) << 20
    }
}
