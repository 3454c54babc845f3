//! `dondoc plan set|show|list`: how each plan is cited ("Kế hoạch số 818/KH-UBND ngày
//! 16/04/2026 của UBND tỉnh về …") in reminders, escalations and summaries.

use anyhow::Result;
use chrono::NaiveDate;
use dondoc_app::{AppError, plans};
use dondoc_core::event::Source;
use dondoc_core::plan::PlanDetails;
use dondoc_projections::plans::PlanRecord;
use serde_json::json;

use crate::cli::{Global, PlanAction, PlanArgs, PlanDetailsArgs};
use crate::{datadir, outln, output};

pub async fn run(global: &Global, args: &PlanArgs) -> Result<()> {
    let app = datadir::open(global).await?;
    match &args.action {
        PlanAction::Set { plan, number, date, issuer, title, json } => {
            let actor = super::actor(&global.actor, Source::Cli);
            let details = PlanDetailsArgs {
                number: number.clone(),
                date: date.clone(),
                issuer: issuer.clone(),
                title: title.clone(),
            };
            let record = plans::set_details(&app, plan.trim(), details_of(&details)?, &actor).await?;
            if *json {
                return output::json(&record_json(&record));
            }
            outln!("Đã ghi nhận. Nhắc việc trích dẫn: {}.", record.citation());
        }
        PlanAction::Show { plan, json } => {
            let record = plans::record(&app, plan.trim()).await?;
            if *json {
                return output::json(&record_json(&record));
            }
            print(&record)?;
        }
        PlanAction::List { json } => {
            let records = plans::list(&app).await?;
            if *json {
                return output::json(&records.iter().map(record_json).collect::<Vec<_>>());
            }
            if records.is_empty() {
                outln!("Chưa có kế hoạch nào.");
            }
            for r in &records {
                outln!("{}: {}", r.plan, r.citation());
            }
        }
    }
    Ok(())
}

/// The details given on the command line, the date read.
pub fn details_of(args: &PlanDetailsArgs) -> Result<PlanDetails> {
    let date = args
        .date
        .as_deref()
        .map(|s| {
            let s = s.trim();
            NaiveDate::parse_from_str(s, "%d/%m/%Y").or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d")).map_err(
                |_| {
                    AppError::Input(format!(
                        "--plan-date/--date \"{s}\": ngày viết dạng ngày/tháng/năm, ví dụ 16/04/2026"
                    ))
                },
            )
        })
        .transpose()?;
    Ok(PlanDetails { number: args.number.clone(), date, issuer: args.issuer.clone(), title: args.title.clone() })
}

/// Whether any detail was given.
pub fn any(args: &PlanDetailsArgs) -> bool {
    args.number.is_some() || args.date.is_some() || args.issuer.is_some() || args.title.is_some()
}

fn record_json(r: &PlanRecord) -> serde_json::Value {
    let d = r.details();
    json!({
        "plan": r.plan,
        "citation": r.citation(),
        "number": d.number,
        "date": d.date,
        "issuer": d.issuer,
        "title": d.title,
        "source": (!r.source.is_empty()).then_some(&r.source),
    })
}

fn print(r: &PlanRecord) -> Result<()> {
    let d = r.details();
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".to_string());
    output::fields(&[
        ("Kế hoạch", r.plan.clone()),
        ("Trích dẫn", r.citation()),
        ("Số, ký hiệu", dash(d.number)),
        ("Ngày ban hành", dash(d.date.map(|d| d.format("%d/%m/%Y").to_string()))),
        ("Cơ quan ban hành", dash(d.issuer)),
        ("Trích yếu", dash(d.title)),
        ("Tệp nhập", if r.source.is_empty() { "—".to_string() } else { r.source.clone() }),
    ])?;
    if d_missing(r) {
        outln!(
            "Lưu ý: chưa đủ số, ký hiệu và ngày ban hành; ghi bằng \"dondoc plan set --plan {} --number … --date …\".",
            r.plan
        );
    }
    Ok(())
}

fn d_missing(r: &PlanRecord) -> bool {
    let d = r.details();
    d.number.is_none() || d.date.is_none()
}
