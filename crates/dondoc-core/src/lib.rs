//! dondoc's pure domain.
//!
//! Everything here is a function of its inputs and an explicit `now`: no clock reads,
//! no I/O, no async runtime. The daemon and the CLI inject time and data.
//!
//! - [`account`], [`access`]: accounts of the web pages and API, and who may do what.
//! - [`agency`]: the agency directory (aliases, groups, renames and mergers).
//! - [`period`]: years, quarters, months, ... with Vietnamese labels and stable keys.
//! - [`timeexpr`]: parse what a plan's time column says ("Quý IV/2025", "Hằng năm") and
//!   turn it into dates and occurrences.
//! - [`calendar`]: the Vietnamese work calendar (weekends, Labour Code holidays with the
//!   lunar ones, nghỉ bù, per-year overrides), deadline rollover and working hours.
//! - [`policy`]: how recurring reports get their due dates (reporting regimes).
//! - [`plan`]: plan events (number, issuer, headings; one per import that changes the plan).
//! - [`event`]: task events and their metadata envelope, versioned.
//! - [`task`]: the task aggregate (`decide` / `apply`).
//! - [`reminder`]: which reminders are due at an instant (pure).
//! - [`classify`]: how a task or an occurrence stands at an instant.
//! - [`describe`]: events told in Vietnamese for the audit trail.

pub mod access;
pub mod account;
pub mod agency;
pub mod calendar;
pub mod classify;
pub mod contact;
pub mod describe;
pub mod event;
pub mod period;
pub mod plan;
pub mod policy;
pub mod reminder;
pub mod silence;
pub mod stream_event;
pub mod summary;
pub mod task;
pub mod text;
pub mod timeexpr;

pub use calendar::WorkCalendar;
pub use period::Period;
pub use stream_event::StreamEvent;
pub use timeexpr::{ParsedTime, TimeExpr};
