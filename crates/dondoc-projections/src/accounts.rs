//! The accounts (stream `accounts`), folded by core's `AccountBook`, and the API tokens in
//! force, one row of `proj_token` each (only the token's SHA-256 is ever stored).

use chrono::{DateTime, SecondsFormat, Utc};
use dondoc_core::account::{ACCOUNT_STREAM, Account, AccountBook, TokenEffect};
use rusqlite::{Connection, OptionalExtension, params};

use crate::streams::{self, Fold};
use crate::{ProjectionError, Projections};

/// Instants as stored: one fixed format, so that text order is time order.
fn stamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn write(conn: &Connection, effect: &TokenEffect) -> Result<(), ProjectionError> {
    match effect {
        TokenEffect::Issued { token_sha256, login, issued_at, expires_at } => {
            // Tokens expired before this one was issued are of no use to anyone.
            conn.execute("DELETE FROM proj_token WHERE expires_at <= ?1", [stamp(issued_at)])?;
            conn.execute(
                "INSERT OR REPLACE INTO proj_token (token_sha256, login, expires_at) VALUES (?1, ?2, ?3)",
                params![token_sha256, login, stamp(expires_at)],
            )?;
        }
        TokenEffect::Revoked { token_sha256 } => {
            conn.execute("DELETE FROM proj_token WHERE token_sha256 = ?1", [token_sha256])?;
        }
        TokenEffect::EndAll { login } => {
            conn.execute("DELETE FROM proj_token WHERE login = ?1", [login])?;
        }
    }
    Ok(())
}

impl Projections {
    /// The accounts as of the checkpoint.
    pub fn accounts(&self) -> Result<AccountBook, ProjectionError> {
        match streams::current(self.conn(), ACCOUNT_STREAM)? {
            Fold::Accounts(book) => Ok(book),
            _ => Ok(AccountBook::default()),
        }
    }

    /// The revision of the accounts stream as of the checkpoint (to know when a cached
    /// copy of the book is stale).
    pub fn accounts_revision(&self) -> Result<Option<u64>, ProjectionError> {
        let revision: Option<i64> = self
            .conn()
            .query_row("SELECT revision FROM proj_stream WHERE stream = ?1", [ACCOUNT_STREAM], |r| r.get(0))
            .optional()?;
        Ok(revision.map(|r| r as u64))
    }

    /// The account and expiry of a token (by its SHA-256) as recorded, in force or not.
    pub fn token(&self, token_sha256: &str) -> Result<Option<(String, DateTime<Utc>)>, ProjectionError> {
        let row: Option<(String, String)> = self
            .conn()
            .prepare_cached("SELECT login, expires_at FROM proj_token WHERE token_sha256 = ?1")?
            .query_row([token_sha256], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.and_then(|(login, at)| Some((login, DateTime::parse_from_rfc3339(&at).ok()?.with_timezone(&Utc)))))
    }

    /// The enabled account a token signs in at `now`, if the token is in force.
    pub fn bearer(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<Option<Account>, ProjectionError> {
        let Some((login, expires_at)) = self.token(token_sha256)? else { return Ok(None) };
        Ok(self.accounts()?.bearer(&login, expires_at, now).cloned())
    }
}
