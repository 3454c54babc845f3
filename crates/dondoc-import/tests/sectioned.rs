//! The reader of section-numbered task tables and indicator catalogues ("sectioned"):
//! the Kon Tum seed against its expected tables, a synthetic plan of the same shape,
//! robustness on arbitrary and damaged input, and speed.

mod common;

use std::collections::BTreeMap;

use dondoc_import::text::{self, sectioned};
use dondoc_import::{ImportedPlan, IndicatorRow, PlanRow};

const SEED: &str = "kon-tum-1012-2024.txt";

fn task_map(r: &PlanRow) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("section".into(), r.section.clone().unwrap_or_default());
    m.insert("tt".into(), r.tt.clone());
    m.insert("title".into(), r.title.clone());
    m.insert("result".into(), r.product.clone().unwrap_or_default());
    m.insert("deadline".into(), r.finish.clone().unwrap_or_default());
    m.insert("lead".into(), common::join(&r.lead));
    m.insert("cooperating".into(), common::join(&r.cooperating));
    m
}

fn indicator_map(r: &IndicatorRow) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("group".into(), r.group.clone());
    m.insert("tt".into(), r.tt.clone());
    m.insert("name".into(), r.name.clone());
    m.insert("scope".into(), r.scope.clone().unwrap_or_default());
    m.insert("frequency".into(), r.frequency.clone());
    m.insert("lead".into(), common::join(&r.lead));
    m.insert("notes".into(), r.notes.clone().unwrap_or_default());
    m
}

fn read_seed() -> ImportedPlan {
    sectioned::read(&common::seed_text(SEED)).expect("the seed reads")
}

#[test]
fn seed_tasks_match_expected_table() {
    let plan = read_seed();
    let got: Vec<_> = plan.rows.iter().filter(|r| !r.heading).map(task_map).collect();
    let want = common::expected("kon-tum-1012-2024.tasks.csv");
    common::assert_rows_match("kon-tum-1012-2024.tasks.csv", &got, &want);
}

#[test]
fn seed_indicators_match_expected_table() {
    let plan = read_seed();
    let got: Vec<_> = plan.indicators.iter().map(indicator_map).collect();
    let want = common::expected("kon-tum-1012-2024.indicators.csv");
    common::assert_rows_match("kon-tum-1012-2024.indicators.csv", &got, &want);
}
