//! Reading plans: the appendix tables of plan documents (as text extracted from their PDF
//! or Word files), CSV and Excel, into [`ImportedPlan`]: the plan's number, issuer and
//! date, heading and task rows with their codes, and indicator catalogues.
//!
//! Readers are pure functions of the text (no I/O here; the binary reads files). They never
//! panic on any input: a row that cannot be read is an error naming its line and quoting it.
//!
//! - [`text`]: plan documents in the shapes of the provincial plans seen so far.
//! - [`table`]: CSV and Excel tables with a header row.
//! - [`tasks`]: rows into tasks with stable codes; what a (re-)import changes.
//! - [`model`]: the common result and the rule that derives stable task codes.

pub mod model;
pub mod table;
pub mod tasks;
pub mod text;

pub use model::{ImportWarning, ImportedPlan, IndicatorRow, PlanRow, ReadError};
