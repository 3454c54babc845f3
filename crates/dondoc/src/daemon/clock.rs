//! The daemon's clock: the system clock, the system clock shifted to start at a chosen
//! instant (`DONDOC_NOW` for demos), or a virtual clock that only moves when told
//! (`simulate`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// A shared clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock, or the system clock shifted so that it read `start` when created.
pub fn system(start: Option<DateTime<Utc>>) -> Clock {
    match start {
        None => Arc::new(Utc::now),
        Some(start) => {
            let offset = start - Utc::now();
            Arc::new(move || Utc::now() + offset)
        }
    }
}

/// A clock that reads what it was last set to.
#[derive(Clone)]
pub struct VirtualClock {
    micros: Arc<AtomicI64>,
}

impl VirtualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        VirtualClock { micros: Arc::new(AtomicI64::new(at.timestamp_micros())) }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.micros.store(at.timestamp_micros(), Ordering::SeqCst);
    }

    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.micros.load(Ordering::SeqCst)).unwrap_or_default()
    }

    pub fn clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }
}
