//! One module per command.

pub mod agency;
pub mod audit;
pub mod contact;
pub mod export;
pub mod holidays;
pub mod import;
pub mod init;
pub mod list;
pub mod projections;
pub mod reminders;
pub mod show;
pub mod silence;
pub mod summary;
pub mod task;
pub mod when;
