//! dondoc's application layer: every use case the CLI, the daemon, the API and the chat
//! handlers share, on an [`App`] (an opened store with its read models, the settings, the
//! templates and dispatcher, and an injected clock).
//!
//! - writing: [`command`] (the command service: load → decide → append), [`task`],
//!   [`accounts`] (sign-in and tokens), [`access`] (who may give which command),
//!   [`requests`] (each action's fields, as the API and the CLI give them),
//!   [`import`], [`plans`] (how a plan is cited), [`contacts`], [`silences`], [`agencies`];
//! - reading: [`views`], [`export`], [`audit`], [`suggest`], [`calendar`] (what a
//!   recorded notice does to the deadlines);
//! - delivering: [`reminders`] (sweep and recorder), [`summary`] (weekly summary, daily
//!   digest), [`answers`] (Telegram and Zalo);
//! - running: [`schedule`] (cron arithmetic), [`jobs`], [`simulate`], [`clock`].
//!
//! Must not read the system clock, the environment or configuration files: the binary
//! passes what it read. Errors are [`AppError`] (thiserror), in Vietnamese.

mod app;

pub mod access;
pub mod accounts;
pub mod agencies;
pub mod answers;
pub mod audit;
pub mod calendar;
pub mod clock;
pub mod command;
pub mod contacts;
pub mod error;
pub mod evidence;
pub mod export;
pub mod import;
pub mod jobs;
pub mod migrate;
pub mod plans;
pub mod reminders;
pub mod requests;
pub mod schedule;
pub mod silences;
pub mod simulate;
pub mod suggest;
pub mod summary;
pub mod task;
pub mod views;

pub use app::{App, CalendarSlot, Delivery, JobFailure, ProposalsSource, RecorderLayer, Settings, Status};
pub use command::Actor;
pub use error::{AppError, Result};
