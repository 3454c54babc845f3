//! One module per command.

pub mod agency;
pub mod audit;
pub mod export;
pub mod holidays;
pub mod import;
pub mod init;
pub mod list;
pub mod projections;
pub mod show;
pub mod task;
pub mod when;
