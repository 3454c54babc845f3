//! The contact book (stream `contacts`), folded by core's `ContactBook`.

use dondoc_core::contact::{CONTACT_STREAM, ContactBook};

use crate::streams::{self, Fold};
use crate::{ProjectionError, Projections};

impl Projections {
    /// The contact book as of the checkpoint.
    pub fn contacts(&self) -> Result<ContactBook, ProjectionError> {
        match streams::current(self.conn(), CONTACT_STREAM)? {
            Fold::Contacts(book) => Ok(book),
            _ => Ok(ContactBook::default()),
        }
    }
}
