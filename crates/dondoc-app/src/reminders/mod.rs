//! Reminders, as a pipeline of small stages in the manner of Alertmanager's: the sweep
//! loads its inputs from the read models, core's `DueReminders` decides what is due, the
//! templates render one message per channel, the dispatcher sends, and the recorder writes
//! each outcome as events ([`sweep`], [`record`]); what a channel refused can be sent
//! again once the cause is fixed ([`retry`]).

pub mod record;
pub mod retry;
pub mod sweep;
