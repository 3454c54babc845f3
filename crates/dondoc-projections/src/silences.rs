//! Silences (stream `silences`), folded by core's `Silences`.

use dondoc_core::silence::{SILENCE_STREAM, Silences};

use crate::streams::{self, Fold};
use crate::{ProjectionError, Projections};

impl Projections {
    /// Every silence recorded, as of the checkpoint.
    pub fn silences(&self) -> Result<Silences, ProjectionError> {
        match streams::current(self.conn(), SILENCE_STREAM)? {
            Fold::Silences(s) => Ok(s),
            _ => Ok(Silences::default()),
        }
    }
}
