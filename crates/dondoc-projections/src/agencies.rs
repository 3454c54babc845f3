//! The agency directory's history (stream `agency-directory`): the renames and mergers
//! recorded since the configuration, applied to the configuration at each read.

use dondoc_core::agency::{AGENCY_STREAM, AgencyConfig, AgencyEvent, Directory};

use crate::streams::{self, Fold};
use crate::{ProjectionError, Projections};

impl Projections {
    /// The directory: `config` (the configured agencies, groups and successions) with
    /// every recorded rename and merger applied, in order.
    pub fn directory(&self, config: &AgencyConfig) -> Result<Directory, ProjectionError> {
        let mut directory = Directory::new(config.clone());
        for event in self.agency_events()? {
            directory.apply(&event);
        }
        Ok(directory)
    }

    /// The recorded renames and mergers, in order, and the stream's revision.
    pub fn agency_events(&self) -> Result<Vec<AgencyEvent>, ProjectionError> {
        match streams::current(self.conn(), AGENCY_STREAM)? {
            Fold::Agencies(events) => Ok(events),
            _ => Ok(Vec::new()),
        }
    }

    /// The revision of the agency stream's last event (`None`: nothing recorded yet).
    pub fn agency_revision(&self) -> Result<Option<u64>, ProjectionError> {
        Ok(streams::load(self.conn(), AGENCY_STREAM)?.map(|(revision, _)| revision))
    }
}
