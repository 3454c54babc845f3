//! One module per command.

pub mod holidays;
pub mod when;
