//! Reminders, as a pipeline of small stages in the manner of Alertmanager's: the sweep
//! loads its inputs from the read models, core's `DueReminders` decides what is due, the
//! templates render one message per channel, the dispatcher sends, and the recorder writes
//! each outcome as events ([`sweep`], [`record`]).

pub mod record;
pub mod sweep;
