//! Time, injected. Use cases read the time only through a [`Clock`]; the binary makes the
//! system clock, tests and simulations a [`fixed`] or [`VirtualClock`] one, so every
//! scenario can be replayed at any date.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

pub use dondoc_notify::Clock;

/// A clock that always reads `at`.
pub fn fixed(at: DateTime<Utc>) -> Clock {
    Arc::new(move || at)
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

    /// This clock as a [`Clock`].
    pub fn clock(&self) -> Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }
}
