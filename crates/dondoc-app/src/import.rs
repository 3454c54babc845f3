//! Importing a plan: read the file (a document's extracted text, CSV or Excel), turn its
//! rows into tasks with stable codes, compare them with the board, and record the
//! difference (new tasks, revisions, reassignments, withdrawals) with the plan's own event,
//! as one atomic step unless asked otherwise. Importing the same file again changes nothing.
//!
//! Nothing is lost and nothing destroyed by accident:
//! - rows that cannot be read are left out and kept, with their line, column, reason and
//!   text, on the plan's review list (in the plan's event, so the audit shows them) until
//!   a task carries their code or the secretariat dismisses them ([`dismiss`]); `strict`
//!   refuses the whole file instead;
//! - a file with no readable task is refused, whatever it is;
//! - a task whose row is on the review list is never withdrawn for being absent;
//! - a revision that would withdraw more than [`WITHDRAW_FREELY`] tasks, or more than a
//!   tenth of the plan, is refused unless the caller names the count (`allow_withdraw`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use dondoc_core::StreamEvent as _;
use dondoc_core::agency::{Directory, Resolution};
use dondoc_core::calendar::local_date;
use dondoc_core::event::{Source, TaskKey};
use dondoc_core::plan::{ImportCounts, PlanEvent, PlanGroup, PlanInfo};
use dondoc_core::task::TaskState;
use dondoc_core::timeexpr::TimeExpr;
use dondoc_import::tasks::{self, Change, PlanSpec, TaskSpec};
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
    /// A Word document (.docx): its tables.
    Docx,
    /// A PDF file: its text layer's words, through poppler's `pdftotext`.
    Pdf,
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

/// Withdrawals an import makes without being told the count (see also the tenth of a plan).
pub const WITHDRAW_FREELY: usize = 3;

/// The largest file read: a plan's text is a few hundred kilobytes; anything far larger is
/// refused before it is read.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

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
    /// Refuse the file when any row cannot be read (default: import the others and keep
    /// those for review).
    pub strict: bool,
    /// The number of withdrawals the caller confirmed (needed above [`WITHDRAW_FREELY`]
    /// or a tenth of the plan).
    pub allow_withdraw: Option<usize>,
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
    /// "text", "csv", "xlsx", "docx" or "pdf".
    pub format: &'static str,
    pub spec: PlanSpec,
    pub changes: Vec<Change>,
    pub counts: ImportCounts,
    pub agencies: AgencyNotes,
    /// Whether anything was written.
    pub written: bool,
    /// Changes that could not be written ([`Mode::Partial`]), each with its reason.
    pub failed: Vec<String>,
    /// Rows left for review (also in `spec.review`): the import wrote the others.
    pub review: Vec<dondoc_import::ReviewItem>,
    /// Tasks kept although absent from the file, because their row is on the review list.
    pub kept: Vec<String>,
    /// Withdrawals that need `allow_withdraw` (reported by a dry run; refused otherwise).
    pub withdrawals_to_confirm: Option<usize>,
    /// Reassigned tasks whose new agencies are the recorded successors (renames, mergers)
    /// of the old ones.
    pub by_succession: std::collections::BTreeSet<String>,
}

impl ImportOutcome {
    /// What the import found and did, as `import --json` and the API give it.
    pub fn to_json(&self) -> serde_json::Value {
        use dondoc_import::tasks::Change;
        use serde_json::json;
        let items: Vec<_> = self
            .changes
            .iter()
            .map(|c| match c {
                Change::New(s) => {
                    json!({"change": "new", "code": s.code, "tt": s.tt, "title": s.title, "lead": s.lead})
                }
                Change::Revised { spec: s, fields } => json!({"change": "revised", "code": s.code, "fields": fields}),
                Change::Reassigned { spec: s, from_lead, from_cooperating } => json!({
                    "change": "reassigned", "code": s.code, "from_lead": from_lead, "lead": s.lead,
                    "from_cooperating": from_cooperating, "cooperating": s.cooperating,
                    "by_succession": self.by_succession.contains(&s.code),
                }),
                Change::Withdrawn { code, title } => json!({"change": "withdrawn", "code": code, "title": title}),
                Change::Renumbered { code, from_tt, to_tt, .. } => {
                    json!({"change": "renumbered", "code": code, "from_tt": from_tt, "to_tt": to_tt})
                }
                Change::ExtensionProposed { code, from, to, to_text } => json!({
                    "change": "extension_proposed", "code": code, "from": from, "to": to, "to_text": to_text,
                }),
            })
            .collect();
        let warnings: Vec<_> =
            self.spec.warnings.iter().map(|w| json!({"line": w.line, "message": w.message})).collect();
        json!({
            "plan": self.plan,
            "written": self.written,
            "format": self.format,
            "tasks": self.spec.tasks.len(),
            "groups": self.spec.groups.len(),
            "changes": items,
            "warnings": warnings,
            "review": serde_json::to_value(&self.review).unwrap_or_default(),
            "kept": self.kept,
            "withdrawals_to_confirm": self.withdrawals_to_confirm,
            "unknown_agencies": self.agencies.unknown.iter().map(|(n, c)| json!({"name": n, "closest": c})).collect::<Vec<_>>(),
            "succeeded_agencies": self.agencies.succeeded.iter().map(|(n, s)| json!({"name": n, "successor": s})).collect::<Vec<_>>(),
        })
    }
}

/// The plan id for a file: its name without the extension, spaces and slashes made dashes.
pub fn plan_id_from_file_name(file_name: &str) -> String {
    let stem = std::path::Path::new(file_name).file_stem().and_then(|s| s.to_str()).unwrap_or("plan");
    stem.chars().map(|c| if c.is_whitespace() || c == '/' { '-' } else { c }).collect()
}

/// The words of a PDF's text layer with their positions, from poppler's `pdftotext -tsv`
/// (Debian package poppler-utils): the only external tool dondoc runs.
fn pdf_words(file_name: &str, bytes: &[u8]) -> Result<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("pdftotext")
        .args(["-tsv", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            AppError::Input(format!(
                "{file_name}: cần công cụ pdftotext để đọc tệp PDF (cài gói poppler-utils: apt-get install \
                 poppler-utils): {e}"
            ))
        })?;
    let mut stdin = child.stdin.take().ok_or_else(|| AppError::input("pdftotext: không mở được đầu vào"))?;
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(|e| AppError::Input(format!("{file_name}: pdftotext: {e}")))?;
    let _ = writer.join();
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(AppError::Input(format!("{file_name}: không đọc được tệp PDF: {}", why.trim())));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| AppError::Input(format!("{file_name}: pdftotext trả về chữ không phải UTF-8")))
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
            "docx" => Format::Docx,
            "pdf" => Format::Pdf,
            "doc" => {
                return Err(AppError::Input(format!(
                    "{file_name}: tệp Word 97-2003 (.doc) chưa đọc được; mở bằng Word hoặc LibreOffice và lưu lại \
                     thành .docx"
                )));
            }
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
        Format::Docx => (dondoc_import::office::docx::read_docx(bytes).map_err(shown)?, "docx"),
        Format::Pdf => {
            (dondoc_import::office::pdf::read_pdf_words(&pdf_words(file_name, bytes)?).map_err(shown)?, "pdf")
        }
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
        review: spec.review.clone(),
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
            Change::Renumbered { .. } => c.renumbered += 1,
            Change::ExtensionProposed { .. } => c.extensions_proposed += 1,
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
    let spec = tasks::spec(&imported);
    if spec.tasks.is_empty() {
        return Err(AppError::Input(format!(
            "{}: không đọc được nhiệm vụ nào, không ghi gì{}",
            req.file_name,
            review_lines(&spec.review)
        )));
    }
    if req.strict && !spec.review.is_empty() {
        return Err(AppError::Input(format!(
            "{}: {} dòng không đọc được, không ghi gì (--strict){}",
            req.file_name,
            spec.review.len(),
            review_lines(&spec.review)
        )));
    }
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
    let mut changes = propose_extensions(app, tasks::diff(&spec, &current), &current);
    let by_succession = follows_successions(&changes, &directory, local_date(now));
    // A task whose row is left for review is not absent from the plan.
    let mut kept = Vec::new();
    changes.retain(|c| match c {
        Change::Withdrawn { code, .. } => {
            let task = &current[code];
            let on_review = spec.review.iter().any(|r| {
                r.code.as_deref() == Some(code.as_str()) || (r.tt.is_some() && r.tt.as_deref() == task.tt.as_deref())
            });
            if on_review {
                kept.push(code.clone());
            }
            !on_review
        }
        _ => true,
    });
    let withdrawn = changes.iter().filter(|c| matches!(c, Change::Withdrawn { .. })).count();
    let to_confirm = (withdrawn > WITHDRAW_FREELY || (withdrawn > 1 && withdrawn * 10 > current.len()))
        && req.allow_withdraw != Some(withdrawn);
    if to_confirm && req.mode != Mode::DryRun {
        return Err(AppError::Refused(format!(
            "tệp {} sẽ rút {withdrawn} trong {} nhiệm vụ của kế hoạch {plan} (nhiệm vụ có trên kế hoạch nhưng không có \
             trong tệp); không ghi gì. Nếu đúng là kế hoạch sửa đổi rút các nhiệm vụ này, chạy lại với \
             --allow-withdraw {withdrawn}; xem trước bằng --dry-run",
            req.file_name,
            current.len()
        )));
    }
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
        review: Vec::new(),
        kept,
        withdrawals_to_confirm: to_confirm.then_some(withdrawn),
        by_succession,
    };
    outcome.review = outcome.spec.review.clone();
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

/// The review rows, one per line, for an error message.
fn review_lines(review: &[dondoc_import::ReviewItem]) -> String {
    review.iter().map(|r| format!("\n  {}: {}: \"{}\"", r.place(), r.reason, r.text)).collect()
}

/// A revised plan's later deadline for a one-off task is proposed as an extension (the
/// secretariat confirms it with `task extend` or rejects it), not applied: the task's other
/// revised fields are still revised, with its deadline as it was. An earlier deadline, or
/// a recurring one, is revised as the plan says.
fn propose_extensions(app: &App, changes: Vec<Change>, current: &BTreeMap<String, TaskState>) -> Vec<Change> {
    let calendar = app.calendar();
    let classifier = app.classifier(&calendar);
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        let Change::Revised { spec, fields } = &change else {
            out.push(change);
            continue;
        };
        let state = &current[&spec.code];
        let proposed = TaskState { finish: spec.finish.clone(), ..state.clone() };
        let later = match (classifier.deadline(state), classifier.deadline(&proposed), &spec.finish) {
            (Some(old), Some(new), Some(text)) if fields.contains(&"finish") && new.nominal > old.nominal => {
                Some((old.nominal, new.nominal, text.input.clone()))
            }
            _ => None,
        };
        let recurring = |s: &TaskState| matches!(s.deadline_expr(), Some(TimeExpr::Recurring { .. }));
        // Already proposed (waiting) or already granted: the deadline needs nothing more.
        let new_nominal = classifier.deadline(&TaskState { main: Default::default(), ..proposed.clone() });
        let settled = new_nominal.is_some_and(|n| {
            state.main.pending_extension.as_ref().is_some_and(|(d, _)| *d == n.nominal)
                || state.main.extended_due == Some(n.nominal)
        });
        if settled && fields.contains(&"finish") {
            let rest: Vec<&'static str> = fields.iter().copied().filter(|f| *f != "finish").collect();
            if !rest.is_empty() {
                out.push(Change::Revised {
                    spec: TaskSpec { finish: state.finish.clone(), ..spec.clone() },
                    fields: rest,
                });
            }
            continue;
        }
        match later {
            Some((from, to, to_text)) if !recurring(state) && !recurring(&proposed) && !state.status.is_closed() => {
                let rest: Vec<&'static str> = fields.iter().copied().filter(|f| *f != "finish").collect();
                if !rest.is_empty() {
                    let kept = TaskSpec { finish: state.finish.clone(), ..spec.clone() };
                    out.push(Change::Revised { spec: kept, fields: rest });
                }
                out.push(Change::ExtensionProposed { code: spec.code.clone(), from, to, to_text });
            }
            _ => out.push(change),
        }
    }
    out
}

/// The reassignments whose every changed agency is the recorded successor of the one it
/// replaces (as of `today`).
fn follows_successions(
    changes: &[Change],
    directory: &Directory,
    today: NaiveDate,
) -> std::collections::BTreeSet<String> {
    let split = |lead: &str, coop: &[String]| -> Vec<String> {
        lead.split("; ").map(str::to_string).chain(coop.iter().cloned()).filter(|n| !n.trim().is_empty()).collect()
    };
    changes
        .iter()
        .filter_map(|c| match c {
            Change::Reassigned { spec, from_lead, from_cooperating } => {
                let old = split(from_lead, from_cooperating);
                let new = split(&spec.lead, &spec.cooperating);
                let gone: Vec<&String> = old.iter().filter(|o| !new.contains(o)).collect();
                let came: Vec<&String> = new.iter().filter(|n| !old.contains(n)).collect();
                let succeeded = |o: &String| {
                    directory.successor(o, today).is_some()
                        && came.iter().any(|n| directory.current_key(n, today) == directory.current_key(o, today))
                };
                (!gone.is_empty() && gone.iter().all(|o| succeeded(o))).then(|| spec.code.clone())
            }
            _ => None,
        })
        .collect()
}
