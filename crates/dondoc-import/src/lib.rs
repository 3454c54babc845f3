//! Reading plans: the appendix tables of plan documents (as text extracted from their PDF
//! or Word files), CSV and Excel, into [`ImportedPlan`]: the plan's number, issuer and
//! date, heading and task rows with their codes, and indicator catalogues.
//!
//! Readers are pure functions of the text (no I/O here; the binary reads files). They never
//! panic on any input: a row that cannot be read goes to the plan's review list
//! ([`ReviewItem`]: its line, column, reason and text) and the other rows are read; only a
//! text with no readable table at all is an error.
//!
//! - [`text`]: plan documents in the shapes of the provincial plans seen so far.
//! - [`checks`]: every row read from a document checked before it becomes a task.
//! - [`office`]: Word documents and PDF files (its words' positions), tables rebuilt.
//! - [`table`]: CSV and Excel tables with a header row.
//! - [`tasks`]: rows into tasks with stable codes; what a (re-)import changes.
//! - [`model`]: the common result and the rule that derives stable task codes.

pub mod checks;
pub mod model;
pub mod office;
pub mod table;
pub mod tasks;
pub mod text;

pub use model::{ImportWarning, ImportedPlan, IndicatorRow, PlanRow, ReadError, ReviewItem};
