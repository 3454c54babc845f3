//! The one place the system clock is read. A command reads it once (or `DONDOC_NOW`, an RFC
//! 3339 instant, to replay a scenario at any date); the daemon reads the system clock, which
//! only a test build (the `test-clock` feature) lets `DONDOC_NOW` shift: a production
//! daemon with a shifted clock would send reminders at the wrong time, or never. Use cases
//! get a [`Clock`].

use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use dondoc_app::clock::{self, Clock};

/// The command line's instant: `$DONDOC_NOW`, else the system clock.
pub fn now() -> Result<DateTime<Utc>> {
    match std::env::var("DONDOC_NOW") {
        Ok(s) if !s.is_empty() => DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .with_context(|| format!("DONDOC_NOW=\"{s}\" không phải thời điểm RFC 3339")),
        _ => Ok(Utc::now()),
    }
}

/// A command's clock: fixed at [`now`].
pub fn cli() -> Result<Clock> {
    Ok(clock::fixed(now()?))
}

/// Where the daemon's clock starts: `None` (the system clock), or `DONDOC_NOW` in a build
/// with the `test-clock` feature; refused in any other build.
pub fn daemon_start() -> Result<Option<DateTime<Utc>>> {
    daemon_start_from(std::env::var("DONDOC_NOW").ok(), cfg!(feature = "test-clock"))
}

fn daemon_start_from(var: Option<String>, test_build: bool) -> Result<Option<DateTime<Utc>>> {
    let Some(value) = var.filter(|v| !v.is_empty()) else { return Ok(None) };
    if !test_build {
        anyhow::bail!(
            "DONDOC_NOW=\"{value}\": dịch vụ chạy theo đồng hồ hệ thống, không nhận thời điểm giả định \
             (chỉ bản dựng kiểm thử mới cho phép); hãy bỏ biến này, hoặc dùng \"dondoc simulate\" để chạy thử"
        );
    }
    DateTime::parse_from_rfc3339(&value)
        .map(|t| Some(t.with_timezone(&Utc)))
        .with_context(|| format!("DONDOC_NOW=\"{value}\" không phải thời điểm RFC 3339"))
}

/// The daemon's clock: the system clock, or the system clock shifted so that it read
/// `start` when created. In a test build, `DONDOC_CLOCK_FILE` names a file whose RFC 3339
/// instant, each time it changes, sets the clock to it: the clock-jump tests move the
/// wall clock of a running daemon forwards and backwards.
pub fn system(start: Option<DateTime<Utc>>) -> Clock {
    #[cfg(feature = "test-clock")]
    if let Some(path) = std::env::var_os("DONDOC_CLOCK_FILE") {
        return jumping(path.into(), start.map(|s| s - Utc::now()).unwrap_or_default());
    }
    match start {
        None => Arc::new(Utc::now),
        Some(start) => {
            let offset = start - Utc::now();
            Arc::new(move || Utc::now() + offset)
        }
    }
}

/// A clock `offset` from the system clock, set again whenever the file at `path` holds a
/// new instant (test builds only).
#[cfg(feature = "test-clock")]
fn jumping(path: std::path::PathBuf, offset: chrono::TimeDelta) -> Clock {
    let state = std::sync::Mutex::new((String::new(), offset));
    Arc::new(move || {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(text) = std::fs::read_to_string(&path)
            && text.trim() != state.0
        {
            if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
                state.1 = at.with_timezone(&Utc) - Utc::now();
            }
            state.0 = text.trim().to_string();
        }
        Utc::now() + state.1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_test_build_lets_the_daemon_start_at_another_instant() {
        let at = Some("2025-09-22T09:00:00+07:00".to_string());
        let refused = daemon_start_from(at.clone(), false).unwrap_err().to_string();
        assert!(refused.contains("DONDOC_NOW") && refused.contains("simulate"), "{refused}");
        let shifted = daemon_start_from(at, true).unwrap().unwrap();
        assert_eq!(shifted.to_rfc3339(), "2025-09-22T02:00:00+00:00");
        assert_eq!(daemon_start_from(None, false).unwrap(), None);
        assert_eq!(daemon_start_from(Some(String::new()), false).unwrap(), None);
        assert!(daemon_start_from(Some("hôm qua".into()), true).is_err());
    }
}
