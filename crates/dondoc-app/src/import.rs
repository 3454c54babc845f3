//! Importing a plan: read the file (a document's extracted text, CSV or Excel), turn its
//! rows into tasks with stable codes, compare them with the board, and record the
//! difference (new tasks, revisions, reassignments, withdrawals) with the plan's own event,
//! as one atomic step unless asked otherwise. Importing the same file again changes nothing.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use dondoc_core::StreamEvent as _;
use dondoc_core::agency::{Directory, Resolution};
use dondoc_core::calendar::local_date;
use dondoc_core::event::{Source, TaskKey};
use dondoc_core::plan::{ImportCounts, PlanEvent, PlanGroup, PlanInfo};
use dondoc_import::tasks::{self, Change, PlanSpec};
use dondoc_import::{ImportedPlan, ReadError, table, text};
use dondoc_projections::board::TaskFilter;
use dondoc_store::ExpectedRevision;
use sha2::{Digest, Sha256};

use crate::App;
use crate::command::{self, CommandContext, ExtraAppend};
use crate::error::{AppError, Result};

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// By the file name's extension; text for anything else.
    Auto,
    Text,
    Csv,
    Xlsx,
}

/// How an import writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Compute and report the difference; write nothing.
    DryRun,
    /// Write everything as one atomic step, or nothing.
    Atomic,
    /// Write task by task; report the changes that could not be written.
    Partial,
}

/// What to import.
pub struct ImportRequest<'a> {
    /// The file's name (its extension chooses the format; recorded as the source).
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub format: Format,
    /// The Excel sheet (default: the first).
    pub sheet: Option<&'a str>,
    /// The plan id.
    pub plan: String,
    pub actor: &'a str,
    /// Track recurring occurrences from this date (default: the day of the import).
    pub tracked_from: Option<NaiveDate>,
    pub mode: Mode,
    /// Called after each change written in [`Mode::Partial`] with (done, total): a
    /// progress bar.
    pub on_progress: &'a (dyn Fn(usize, usize) + Send + Sync),
}

/// Agency names of the plan that the directory does not know (with the closest known), or
/// that have a successor today.
#[derive(Debug, Default)]
pub struct AgencyNotes {
    pub unknown: BTreeMap<String, Vec<String>>,
    pub succeeded: BTreeMap<String, String>,
}

/// What an import found and did.
#[derive(Debug)]
pub struct ImportOutcome {
    pub plan: String,
    /// "text", "csv" or "xlsx".
    pub format: &'static str,
    pub spec: PlanSpec,
    pub changes: Vec<Change>,
    pub counts: ImportCounts,
    pub agencies: AgencyNotes,
    /// Whether anything was written.
    pub written: bool,
    /// Changes that could not be written ([`Mode::Partial`]), each with its reason.
    pub failed: Vec<String>,
}

/// The plan id for a file: its name without the extension, spaces and slashes made dashes.
pub fn plan_id_from_file_name(file_name: &str) -> String {
    let stem = std::path::Path::new(file_name).file_stem().and_then(|s| s.to_str()).unwrap_or("plan");
    stem.chars().map(|c| if c.is_whitespace() || c == '/' { '-' } else { c }).collect()
}

/// Reads the file in the chosen (or recognised) format.
pub fn read(
    file_name: &str,
    bytes: &[u8],
    format: Format,
    sheet: Option<&str>,
) -> Result<(ImportedPlan, &'static str)> {
    let ext =
        std::path::Path::new(file_name).extension().and_then(|e| e.to_str()).map(str::to_lowercase).unwrap_or_default();
    let format = match format {
        Format::Auto => match ext.as_str() {
            "csv" => Format::Csv,
            "xlsx" | "xlsm" | "xls" | "ods" => Format::Xlsx,
            _ => Format::Text,
        },
        f => f,
    };
    let shown = |e: ReadError| AppError::Input(format!("{file_name}: {e}"));
    let text = || {
        std::str::from_utf8(bytes)
            .map(|t| t.trim_start_matches('\u{feff}'))
            .map_err(|_| AppError::Input(format!("{file_name}: không phải văn bản UTF-8")))
    };
    Ok(match format {
        Format::Csv => (table::read_csv(text()?).map_err(shown)?, "csv"),
        Format::Xlsx => (table::read_xlsx(bytes, sheet).map_err(shown)?, "xlsx"),
        Format::Text | Format::Auto => (text::read(text()?).map_err(shown)?, "text"),
    })
}

fn info_of(imported: &ImportedPlan, spec: &PlanSpec) -> PlanInfo {
    PlanInfo {
        number: imported.number.clone(),
        issuer: imported.issuer.clone(),
        date: imported.date,
        date_text: imported.date_text.clone(),
        title: imported.title.clone(),
        groups: spec
            .groups
            .iter()
            .map(|g| PlanGroup { code: g.code.clone(), tt: g.tt.clone(), title: g.title.clone(), level: g.level })
            .collect(),
    }
}

fn counts(changes: &[Change]) -> ImportCounts {
    let mut c = ImportCounts::default();
    for change in changes {
        match change {
            Change::New(_) => c.added += 1,
            Change::Revised { .. } => c.revised += 1,
            Change::Reassigned { .. } => c.reassigned += 1,
            Change::Withdrawn { .. } => c.withdrawn += 1,
        }
    }
    c
}

fn agency_notes(directory: &Directory, spec: &PlanSpec, today: NaiveDate) -> AgencyNotes {
    let mut notes = AgencyNotes::default();
    for task in &spec.tasks {
        let names = task.lead.split("; ").chain(task.cooperating.iter().map(String::as_str));
        for name in names.filter(|n| !n.trim().is_empty()) {
            match directory.resolve(name) {
                Resolution::Unknown { closest } => {
                    notes.unknown.insert(name.to_string(), closest);
                }
                _ => {
                    if let Some(next) = directory.successor(name, today) {
                        notes.succeeded.insert(name.to_string(), next);
                    }
                }
            }
        }
    }
    notes
}

/// Imports a plan (see the module documentation).
pub async fn import(app: &App, req: &ImportRequest<'_>) -> Result<ImportOutcome> {
    let (imported, format) = read(req.file_name, req.bytes, req.format, req.sheet)?;
    let spec = tasks::spec(&imported).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        AppError::Input(format!("{}: {} dòng không đọc được:\n{}", req.file_name, errors.len(), lines.join("\n")))
    })?;
    let plan = req.plan.clone();
    let now = app.now();
    let (current, known, directory) = {
        let read = app.read().await?;
        let current: BTreeMap<String, _> = read
            .tasks(&TaskFilter { plan: Some(plan.clone()), agency: None })?
            .into_iter()
            .map(|t| (t.state.key.code.clone(), t.state))
            .collect();
        (current, read.plan(&plan)?, read.directory(&app.settings.agencies)?)
    };
    let changes = tasks::diff(&spec, &current);
    let info = info_of(&imported, &spec);
    let counts = counts(&changes);
    let agencies = agency_notes(&directory, &spec, local_date(now));
    let mut outcome = ImportOutcome {
        plan: plan.clone(),
        format,
        spec,
        changes,
        counts,
        agencies,
        written: false,
        failed: Vec::new(),
    };
    if req.mode == Mode::DryRun {
        return Ok(outcome);
    }

    let plan_changed = known.as_ref().map(|(record, _)| &record.info) != Some(&info) || !outcome.changes.is_empty();
    let reason = format!("nhập {} ({format})", req.file_name);
    let ctx = CommandContext::new(req.actor, Source::Import, now);
    let commands: Vec<(TaskKey, _)> = outcome
        .changes
        .iter()
        .map(|c| (TaskKey::new(plan.clone(), c.code()), c.command(&plan, &reason, req.tracked_from)))
        .collect();
    let source = req.file_name.to_string();
    let source_sha256 = hex::encode(Sha256::digest(req.bytes));
    let plan_event = match &known {
        None => PlanEvent::PlanRegistered { plan: plan.clone(), info, source, source_sha256, counts },
        Some(_) => PlanEvent::PlanRevised { info, source, source_sha256, counts },
    };
    let expected =
        known.as_ref().map_or(ExpectedRevision::NoStream, |(_, revision)| ExpectedRevision::Exact(*revision));
    let (event_type, data) = plan_event.encode();
    let extra = plan_changed.then(|| ExtraAppend {
        stream: PlanEvent::stream(&plan),
        expected,
        events: vec![(event_type.to_string(), data)],
    });

    if req.mode == Mode::Partial {
        for (i, (key, command)) in commands.iter().enumerate() {
            if let Err(e) = command::execute(&app.store, key, None, command, &ctx).await {
                outcome.failed.push(format!("{key}: {e}"));
            }
            (req.on_progress)(i + 1, commands.len());
        }
        if let Some(extra) = extra {
            command::execute_batch(&app.store, &[], vec![extra], &ctx).await?;
        }
    } else {
        command::execute_batch(&app.store, &commands, extra.into_iter().collect(), &ctx)
            .await
            .map_err(|e| AppError::Input(format!("không ghi gì cả (nhập là một bước trọn vẹn): {e}")))?;
    }
    outcome.written = true;
    app.catch_up().await?;
    Ok(outcome)
}
