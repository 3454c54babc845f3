//! The reader of statistics-strategy plan tables (shape "CLTK") against the Quảng Nam seed
//! and its expected table, a synthetic plan of the same shape, speed, and arbitrary input.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dondoc_import::model::{ImportedPlan, PlanRow};
use dondoc_import::text::{self, Shape, cltk};
use proptest::prelude::*;

const SEED: &str = "quang-nam-cltk-2022.txt";
const EXPECTED: &str = "quang-nam-cltk-2022.tasks.csv";

fn as_map(r: &PlanRow) -> BTreeMap<String, String> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    [
        ("tt", r.tt.clone()),
        ("code", opt(&r.code)),
        ("level", r.level.to_string()),
        ("title", r.title.clone()),
        ("lead", common::join(&r.lead)),
        ("cooperating", common::join(&r.cooperating)),
        ("start", opt(&r.start)),
        ("finish", opt(&r.finish)),
        ("product", opt(&r.product)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn read_seed() -> ImportedPlan {
    cltk::read(&common::seed_text(SEED)).expect("the seed reads")
}

#[test]
fn seed_matches_the_expected_table() {
    let plan = read_seed();
    let got: Vec<_> = plan.rows.iter().map(as_map).collect();
    common::assert_rows_match(SEED, &got, &common::expected(EXPECTED));
}

#[test]
fn zz_debug_dump() {
    let plan = read_seed();
    let want = common::expected(EXPECTED);
    let got: Vec<String> = plan.rows.iter().map(|r| r.tt.clone()).collect();
    let exp: Vec<String> = want.iter().map(|r| r["tt"].clone()).collect();
    for e in &exp { if !got.contains(e) { println!("MISSING {e}"); } }
    for g in &got { if !exp.contains(g) { println!("EXTRA {g}"); } }
    for w in &plan.warnings { println!("WARN {} {}", w.line, w.message); }
}
