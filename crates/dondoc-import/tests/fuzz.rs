//! No input makes the readers or the plan builder panic: arbitrary text, table-like text,
//! and damaged copies of the seed documents, through shape detection, every reader and
//! `tasks::spec`.

mod common;

use dondoc_import::{table, tasks, text};
use proptest::prelude::*;

fn seeds() -> Vec<String> {
    ["quang-nam-cltk-2022.txt", "kon-tum-1012-2024.txt", "dong-thap-thong-ke-2026.txt"]
        .iter()
        .map(|f| common::seed_text(f))
        .collect()
}

fn exercise(text_in: &str) {
    if let Ok(p) = text::read(text_in) {
        let _ = tasks::spec(&p);
    }
    let _ = table::read_csv(text_in);
    let _ = table::read_xlsx(text_in.as_bytes(), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_text(s in "\\PC{0,400}") {
        exercise(&s);
    }

    #[test]
    fn table_like_text(s in "([0-9IVX.]{1,6}\t[^\t\n]{0,30}\t[^\t\n]{0,20}\t[^\t\n]{0,20}\t(Hằng năm|Quý IV/2025|x|)\n){0,30}") {
        exercise(&s);
    }

    #[test]
    fn damaged_seeds(which in 0usize..3, cuts in prop::collection::vec((0usize..2000, 0usize..40), 1..12), tail in 0usize..60_000) {
        let seed = &seeds()[which];
        let mut lines: Vec<&str> = seed.lines().collect();
        for (at, len) in cuts {
            if lines.is_empty() { break; }
            let at = at % lines.len();
            let end = (at + len).min(lines.len());
            if len % 2 == 0 { lines.drain(at..end); } else { let dup: Vec<&str> = lines[at..end].to_vec(); lines.splice(at..at, dup); }
        }
        let joined = lines.join("\n");
        let cut = joined.char_indices().nth(tail).map_or(joined.len(), |(i, _)| i);
        exercise(&joined[..cut]);
    }
}
