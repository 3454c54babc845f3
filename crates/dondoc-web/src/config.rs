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
    /// The largest evidence file accepted, in megabytes (then 413).
    pub evidence_max_mb: u32,
    /// The evidence file types accepted, by extension (then 415).
    pub evidence_types: Vec<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            token_hours: 12,
            sign_in_per_minute: 5,
            sign_in_per_minute_per_address: 30,
            max_body_mb: 16,
            secure_cookies: false,
            evidence_max_mb: 20,
            evidence_types: dondoc_app::evidence::EvidencePolicy::default().extensions,
        }
    }
}

impl WebConfig {
    /// What evidence uploads may be.
    pub fn evidence_policy(&self) -> dondoc_app::evidence::EvidencePolicy {
        dondoc_app::evidence::EvidencePolicy {
            max_bytes: u64::from(self.evidence_max_mb.max(1)) << 20,
            extensions: self.evidence_types.iter().map(|e| e.trim().trim_start_matches('.').to_lowercase()).collect(),
        }
    }

    /// The largest body in bytes.
    pub fn max_body_bytes(&self) -> usize {
        (self.max_body_mb.max(1) as usize) << 20
    }
}
