//! The delivery log: every reminder key delivered (at most once), and every failure.

use chrono::{DateTime, Utc};
use dondoc_core::event::ReminderKey;
use rusqlite::{Connection, params};

use crate::{ProjectionError, Projections};

/// A delivered reminder.
pub(crate) struct Delivered {
    key: ReminderKey,
    sent_at: DateTime<Utc>,
    position: u64,
}

impl Delivered {
    pub(crate) fn new(key: &ReminderKey, sent_at: DateTime<Utc>, position: u64) -> Self {
        Delivered { key: key.clone(), sent_at, position }
    }

    /// Inserts unless the key is already there: the first delivery wins.
    pub(crate) fn insert(&self, conn: &Connection) -> Result<(), ProjectionError> {
        let k = &self.key;
        conn.execute(
            "INSERT OR IGNORE INTO proj_delivery (key, plan, code, occurrence, channel, recipient, sent_at, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                k.to_string(),
                k.plan,
                k.code,
                k.occurrence,
                k.channel.as_str(),
                k.recipient,
                self.sent_at.to_rfc3339(),
                self.position as i64
            ],
        )?;
        Ok(())
    }
}

/// A failed attempt.
pub(crate) struct Failed {
    key: ReminderKey,
    attempt: u32,
    error: String,
    will_retry: bool,
    position: u64,
}

impl Failed {
    pub(crate) fn new(key: &ReminderKey, attempt: u32, error: &str, will_retry: bool, position: u64) -> Self {
        Failed { key: key.clone(), attempt, error: error.to_string(), will_retry, position }
    }

    pub(crate) fn insert(&self, conn: &Connection) -> Result<(), ProjectionError> {
        conn.execute(
            "INSERT OR IGNORE INTO proj_delivery_failure (position, key, plan, code, attempt, error, will_retry)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                self.position as i64,
                self.key.to_string(),
                self.key.plan,
                self.key.code,
                self.attempt,
                self.error,
                self.will_retry
            ],
        )?;
        Ok(())
    }
}

impl Projections {
    /// Whether a reminder with this idempotency key was delivered.
    pub fn is_delivered(&self, key: &ReminderKey) -> Result<bool, ProjectionError> {
        let n: i64 =
            self.conn()
                .query_row("SELECT COUNT(*) FROM proj_delivery WHERE key = ?1", [key.to_string()], |r| r.get(0))?;
        Ok(n > 0)
    }

    /// Number of deliveries recorded.
    pub fn delivery_count(&self) -> Result<u64, ProjectionError> {
        let n: i64 = self.conn().query_row("SELECT COUNT(*) FROM proj_delivery", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}
