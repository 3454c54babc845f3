//! The delivery log: every reminder key delivered (at most once), and every failure.

use chrono::{DateTime, Utc};
use dondoc_core::event::ReminderKey;
use std::collections::HashSet;

use rusqlite::{Connection, params};

use crate::{ProjectionError, Projections};

/// A delivered reminder.
pub(crate) struct Delivered {
    key: ReminderKey,
    sent_at: DateTime<Utc>,
    message_id: Option<String>,
    position: u64,
}

impl Delivered {
    pub(crate) fn new(key: &ReminderKey, sent_at: DateTime<Utc>, message_id: Option<&str>, position: u64) -> Self {
        Delivered { key: key.clone(), sent_at, message_id: message_id.map(str::to_string), position }
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
        if let Some(id) = &self.message_id {
            conn.execute(
                "INSERT OR IGNORE INTO proj_delivery_message (message_id, key) VALUES (?1, ?2)",
                params![id, k.to_string()],
            )?;
        }
        Ok(())
    }
}

/// A failed attempt.
pub(crate) struct Failed {
    key: ReminderKey,
    attempt: u32,
    error: String,
    will_retry: bool,
    /// When it was recorded (RFC 3339, from the event's metadata).
    at: Option<String>,
    position: u64,
}

impl Failed {
    pub(crate) fn new(
        key: &ReminderKey,
        attempt: u32,
        error: &str,
        will_retry: bool,
        at: Option<String>,
        position: u64,
    ) -> Self {
        Failed { key: key.clone(), attempt, error: error.to_string(), will_retry, at, position }
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
        if let Some(at) = &self.at {
            conn.execute(
                "INSERT OR IGNORE INTO proj_delivery_failure_at (position, at) VALUES (?1, ?2)",
                params![self.position as i64, at],
            )?;
        }
        Ok(())
    }
}

/// Forgets the failures of `key` recorded before `position` (a requeue): the reminder is
/// no longer refused on that channel and the next sweep plans it again.
pub(crate) fn forget_failures(conn: &Connection, key: &str, position: u64) -> Result<(), ProjectionError> {
    conn.execute(
        "DELETE FROM proj_delivery_failure_at WHERE position IN
           (SELECT position FROM proj_delivery_failure WHERE key = ?1 AND position < ?2)",
        params![key, position as i64],
    )?;
    conn.execute("DELETE FROM proj_delivery_failure WHERE key = ?1 AND position < ?2", params![key, position as i64])?;
    Ok(())
}

impl Projections {
    /// Whether a reminder with this idempotency key was delivered.
    pub fn is_delivered(&self, key: &ReminderKey) -> Result<bool, ProjectionError> {
        let n: i64 =
            self.conn()
                .query_row("SELECT COUNT(*) FROM proj_delivery WHERE key = ?1", [key.to_string()], |r| r.get(0))?;
        Ok(n > 0)
    }

    /// Every delivered reminder's identity without the channel ([`dondoc_core::reminder::delivery_id`]):
    /// the planner's delivery log.
    pub fn delivered_ids(&self) -> Result<HashSet<String>, ProjectionError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT key FROM proj_delivery")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = HashSet::new();
        for key in rows {
            let key = key?;
            // The stored key ends with "/<channel>"; plan ids may contain '/', channels do not.
            let id = key.rsplit_once('/').map_or(key.as_str(), |(id, _)| id);
            out.insert(id.to_string());
        }
        Ok(out)
    }

    /// The reminder keys a message delivered, by the message id recorded with them.
    pub fn message_keys(&self, message_id: &str) -> Result<Vec<ReminderKey>, ProjectionError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT d.plan, d.code, d.occurrence, d.key FROM proj_delivery_message m
             JOIN proj_delivery d ON d.key = m.key WHERE m.message_id = ?1 ORDER BY d.key",
        )?;
        let rows = stmt.query_map([message_id], |r| r.get::<_, String>(3))?;
        let mut out = Vec::new();
        for key in rows {
            if let Some(k) = parse_key(&key?) {
                out.push(k);
            }
        }
        Ok(out)
    }

    /// Failures of reminders never delivered on any channel: the latest failure per key,
    /// newest first.
    pub fn open_failures(&self) -> Result<Vec<OpenFailure>, ProjectionError> {
        let delivered = self.delivered_ids()?;
        let mut out = self.failures_without_delivery()?;
        out.retain(|f| !delivered.contains(f.key.rsplit_once('/').map_or(f.key.as_str(), |(id, _)| id)));
        Ok(out)
    }

    /// Failures not followed by a delivery of the same key (same channel).
    fn failures_without_delivery(&self) -> Result<Vec<OpenFailure>, ProjectionError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT f.key, f.plan, f.code, f.attempt, f.error, f.will_retry, f.position, a.at
             FROM proj_delivery_failure f LEFT JOIN proj_delivery_failure_at a ON a.position = f.position
             WHERE f.position = (SELECT MAX(position) FROM proj_delivery_failure g WHERE g.key = f.key)
               AND NOT EXISTS (SELECT 1 FROM proj_delivery d WHERE d.key = f.key)
             ORDER BY f.position DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(OpenFailure {
                key: r.get(0)?,
                plan: r.get(1)?,
                code: r.get(2)?,
                attempt: r.get(3)?,
                error: r.get(4)?,
                will_retry: r.get(5)?,
                position: r.get::<_, i64>(6)? as u64,
                at: r
                    .get::<_, Option<String>>(7)?
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&Utc)),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The local day each (task, occurrence, recipient) last got an overdue reminder, by
    /// [`dondoc_core::reminder::overdue_id`]: the planner spaces overdue repeats from it.
    pub fn last_overdue(&self) -> Result<std::collections::HashMap<String, chrono::NaiveDate>, ProjectionError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT key, sent_at FROM proj_delivery WHERE key LIKE '%/overdue/%'")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = std::collections::HashMap::new();
        for row in rows {
            let (key, sent_at) = row?;
            let (Some(key), Ok(at)) = (parse_key(&key), DateTime::parse_from_rfc3339(&sent_at)) else { continue };
            let day = dondoc_core::calendar::local_date(at.with_timezone(&Utc));
            let entry = out.entry(dondoc_core::reminder::overdue_id(&key)).or_insert(day);
            *entry = (*entry).max(day);
        }
        Ok(out)
    }

    /// Every delivery in the order recorded: (key, sent_at, message id).
    pub fn deliveries(&self) -> Result<Vec<DeliveryRow>, ProjectionError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT d.key, d.sent_at, m.message_id FROM proj_delivery d
             LEFT JOIN proj_delivery_message m ON m.key = d.key ORDER BY d.position, d.key",
        )?;
        let rows =
            stmt.query_map([], |r| Ok(DeliveryRow { key: r.get(0)?, sent_at: r.get(1)?, message_id: r.get(2)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Number of deliveries recorded.
    pub fn delivery_count(&self) -> Result<u64, ProjectionError> {
        let n: i64 = self.conn().query_row("SELECT COUNT(*) FROM proj_delivery", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}

/// One delivered reminder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryRow {
    pub key: String,
    /// RFC 3339.
    pub sent_at: String,
    pub message_id: Option<String>,
}

/// The latest failure of a reminder key that was never delivered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OpenFailure {
    /// The key with its channel, as displayed by [`ReminderKey`]'s `Display`.
    pub key: String,
    pub plan: String,
    pub code: String,
    pub attempt: u32,
    pub error: String,
    /// False when the channel refused for good (bad address, blocked bot).
    pub will_retry: bool,
    pub position: u64,
    /// When the failure was recorded.
    pub at: Option<DateTime<Utc>>,
}

/// Reads a key written by `ReminderKey`'s `Display` ("plan/code/occ/milestone/offset/recipient/channel").
/// Plan ids may contain '/': the six other parts are taken from the right.
pub fn parse_key(s: &str) -> Option<ReminderKey> {
    use dondoc_core::event::{Channel, Milestone};
    let mut parts = s.rsplitn(7, '/');
    let channel = match parts.next()? {
        "email" => Channel::Email,
        "telegram" => Channel::Telegram,
        "zalo" => Channel::Zalo,
        _ => return None,
    };
    let recipient = parts.next()?.to_string();
    let offset = parts.next()?.parse().ok()?;
    let milestone = match parts.next()? {
        "start" => Milestone::Start,
        "due" => Milestone::Due,
        "overdue" => Milestone::Overdue,
        "escalation" => Milestone::Escalation,
        "explanation" => Milestone::Explanation,
        _ => return None,
    };
    let occurrence = match parts.next()? {
        "-" => None,
        o => Some(o.to_string()),
    };
    let code = parts.next()?.to_string();
    let plan = parts.next()?.to_string();
    Some(ReminderKey { plan, code, occurrence, milestone, offset, recipient, channel })
}
