//! The agency directory: canonical agencies and the other names plans use for them,
//! groups that stand for many agencies ("Các sở, ban, ngành tỉnh"), and successions
//! (renames and mergers, e.g. Sở Kế hoạch và Đầu tư into Sở Tài chính in 2025).
//!
//! Built from `config/agencies.toml` plus the agency events recorded since
//! ([`AgencyEvent`], stream [`AGENCY_STREAM`]). Names are compared after NFC, case and
//! whitespace folding, with "&" read as "và".

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::text::fold;

/// The stream of agency events.
pub const AGENCY_STREAM: &str = "agency-directory";

/// `config/agencies.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyConfig {
    #[serde(default, rename = "agency")]
    pub agencies: Vec<AgencyEntry>,
    #[serde(default, rename = "group")]
    pub groups: Vec<GroupEntry>,
    #[serde(default, rename = "succession")]
    pub successions: Vec<Succession>,
}

/// A canonical agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyEntry {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A collective name that expands to member agencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub members: Vec<String>,
}

/// How an agency came to an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuccessionKind {
    Renamed,
    Merged,
}

/// Old agencies continued by a successor from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Succession {
    pub from: Vec<String>,
    pub to: String,
    pub on: NaiveDate,
    pub kind: SuccessionKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Agency events: the directory's own history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum AgencyEvent {
    AgencyRenamed { from: String, to: String, effective: NaiveDate, reason: String },
    AgenciesMerged { from: Vec<String>, into: String, effective: NaiveDate, reason: String },
}

impl crate::stream_event::StreamEvent for AgencyEvent {
    fn event_type(&self) -> &'static str {
        match self {
            AgencyEvent::AgencyRenamed { .. } => "AgencyRenamed",
            AgencyEvent::AgenciesMerged { .. } => "AgenciesMerged",
        }
    }
}

impl AgencyEvent {
    fn succession(&self) -> Succession {
        match self {
            AgencyEvent::AgencyRenamed { from, to, effective, reason } => Succession {
                from: vec![from.clone()],
                to: to.clone(),
                on: *effective,
                kind: SuccessionKind::Renamed,
                source: Some(reason.clone()),
            },
            AgencyEvent::AgenciesMerged { from, into, effective, reason } => Succession {
                from: from.clone(),
                to: into.clone(),
                on: *effective,
                kind: SuccessionKind::Merged,
                source: Some(reason.clone()),
            },
        }
    }
}

/// What a name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A known agency, by its canonical name.
    Agency(String),
    /// A group, by its canonical name, with its members.
    Group { name: String, members: Vec<String> },
    /// Not in the directory; the closest known names, best first.
    Unknown { closest: Vec<String> },
}

/// The directory, ready to resolve names.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    config: AgencyConfig,
    /// Folded name -> (canonical name, is group).
    index: HashMap<String, (String, bool)>,
}

/// Folds a name for comparison.
fn key(name: &str) -> String {
    fold(&name.replace('&', " và ")).trim_matches(['.', ',', ';', '-', ' ']).to_string()
}

impl Directory {
    /// The directory from configuration.
    pub fn new(config: AgencyConfig) -> Directory {
        let mut index = HashMap::new();
        for a in &config.agencies {
            for n in std::iter::once(&a.name).chain(&a.aliases) {
                index.entry(key(n)).or_insert_with(|| (a.name.clone(), false));
            }
        }
        for g in &config.groups {
            for n in std::iter::once(&g.name).chain(&g.aliases) {
                index.entry(key(n)).or_insert_with(|| (g.name.clone(), true));
            }
        }
        Directory { config, index }
    }

    /// Records an agency event (a rename or merger made since the configuration).
    pub fn apply(&mut self, event: &AgencyEvent) {
        let s = event.succession();
        if let std::collections::hash_map::Entry::Vacant(slot) = self.index.entry(key(&s.to)) {
            slot.insert((s.to.clone(), false));
            self.config.agencies.push(AgencyEntry { name: s.to.clone(), aliases: Vec::new() });
        }
        self.config.successions.push(s);
    }

    /// What `name` stands for.
    pub fn resolve(&self, name: &str) -> Resolution {
        match self.index.get(&key(name)) {
            Some((canonical, false)) => Resolution::Agency(canonical.clone()),
            Some((canonical, true)) => Resolution::Group {
                name: canonical.clone(),
                members: self
                    .config
                    .groups
                    .iter()
                    .find(|g| &g.name == canonical)
                    .map(|g| g.members.clone())
                    .unwrap_or_default(),
            },
            None => Resolution::Unknown { closest: self.closest(name, 3) },
        }
    }

    /// The `n` known names closest to `name`.
    pub fn closest(&self, name: &str, n: usize) -> Vec<String> {
        let wanted = key(name);
        let mut scored: Vec<(f64, &str)> = self
            .index
            .iter()
            .map(|(k, (canonical, _))| (strsim::normalized_levenshtein(&wanted, k), canonical.as_str()))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut out: Vec<String> = Vec::new();
        for (_, c) in scored {
            if !out.iter().any(|o| o == c) {
                out.push(c.to_string());
            }
            if out.len() == n {
                break;
            }
        }
        out
    }

    /// A key identifying the agency `name` stands for on `at`: aliases resolved, renamed
    /// or merged agencies replaced by their successor, folded for comparison. Two names
    /// with the same key are the same agency on that day.
    pub fn current_key(&self, name: &str, at: NaiveDate) -> String {
        let current = self.successor(name, at).unwrap_or_else(|| name.to_string());
        match self.resolve(&current) {
            Resolution::Agency(c) | Resolution::Group { name: c, .. } => fold(&c),
            Resolution::Unknown { .. } => fold(&current),
        }
    }

    /// The agency that continues `name` on `at` (following renames and mergers in force
    /// by then), or None when `name` still exists as such.
    pub fn successor(&self, name: &str, at: NaiveDate) -> Option<String> {
        let mut current = match self.resolve(name) {
            Resolution::Agency(c) | Resolution::Group { name: c, .. } => c,
            Resolution::Unknown { .. } => name.to_string(),
        };
        let mut moved = false;
        for _ in 0..16 {
            let next = self
                .config
                .successions
                .iter()
                .filter(|s| s.on <= at && s.from.iter().any(|f| key(f) == key(&current)))
                .max_by_key(|s| s.on);
            match next {
                Some(s) if key(&s.to) != key(&current) => {
                    current = s.to.clone();
                    moved = true;
                }
                _ => break,
            }
        }
        moved.then_some(current)
    }

    /// Every succession known, in date order.
    pub fn successions(&self) -> Vec<&Succession> {
        let mut v: Vec<&Succession> = self.config.successions.iter().collect();
        v.sort_by_key(|s| s.on);
        v
    }

    /// The configuration (agencies, groups) as loaded.
    pub fn config(&self) -> &AgencyConfig {
        &self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream_event::StreamEvent;

    fn dir() -> Directory {
        Directory::new(AgencyConfig {
            agencies: vec![
                AgencyEntry { name: "Sở Tài chính".into(), aliases: vec![] },
                AgencyEntry { name: "Sở Kế hoạch và Đầu tư".into(), aliases: vec!["Sở KH&ĐT".into()] },
                AgencyEntry { name: "Thống kê tỉnh".into(), aliases: vec![] },
                AgencyEntry { name: "Cục Thống kê tỉnh".into(), aliases: vec!["Cục Thống kê".into()] },
            ],
            groups: vec![GroupEntry {
                name: "Các sở, ban, ngành tỉnh".into(),
                aliases: vec!["Các Sở, Ban, ngành".into()],
                members: vec!["Sở Tài chính".into()],
            }],
            successions: vec![
                Succession {
                    from: vec!["Sở Kế hoạch và Đầu tư".into()],
                    to: "Sở Tài chính".into(),
                    on: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
                    kind: SuccessionKind::Merged,
                    source: None,
                },
                Succession {
                    from: vec!["Cục Thống kê tỉnh".into()],
                    to: "Thống kê tỉnh".into(),
                    on: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
                    kind: SuccessionKind::Renamed,
                    source: None,
                },
            ],
        })
    }

    #[test]
    fn names_aliases_groups_and_unknowns() {
        let d = dir();
        assert_eq!(d.resolve("sở kh & đt"), Resolution::Agency("Sở Kế hoạch và Đầu tư".into()));
        assert_eq!(d.resolve("Cục Thống kê"), Resolution::Agency("Cục Thống kê tỉnh".into()));
        assert!(
            matches!(d.resolve("Các Sở, Ban, ngành"), Resolution::Group { members, .. } if members == ["Sở Tài chính"])
        );
        match d.resolve("Sở Tài chánh") {
            Resolution::Unknown { closest } => assert_eq!(closest[0], "Sở Tài chính"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn successors_follow_the_dates() {
        let d = dir();
        let before = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let after = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        assert_eq!(d.successor("Sở KH&ĐT", before), None);
        assert_eq!(d.successor("Sở KH&ĐT", after).as_deref(), Some("Sở Tài chính"));
        assert_eq!(d.successor("Cục Thống kê", after).as_deref(), Some("Thống kê tỉnh"));
        assert_eq!(d.successor("Sở Tài chính", after), None);
    }

    #[test]
    fn recorded_events_extend_the_directory() {
        let mut d = dir();
        let e = AgencyEvent::AgenciesMerged {
            from: vec!["Sở Tài chính".into()],
            into: "Sở Tài chính - Kế hoạch".into(),
            effective: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            reason: "Quyết định 1/QĐ-UBND".into(),
        };
        let (t, data) = e.encode();
        assert_eq!(AgencyEvent::decode(t, data).unwrap(), e);
        d.apply(&e);
        let later = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        assert_eq!(d.successor("Sở KH&ĐT", later).as_deref(), Some("Sở Tài chính - Kế hoạch"));
        assert_eq!(d.resolve("Sở Tài chính - Kế hoạch"), Resolution::Agency("Sở Tài chính - Kế hoạch".into()));
    }
}
