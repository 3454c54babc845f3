//! No input makes the readers or the plan builder panic: arbitrary text, table-like text,
//! and damaged copies of the seed documents, through shape detection, every reader and
//! `tasks::spec`; arbitrary bytes as a Word file and arbitrary word lists as a PDF's
//! (`pdftotext -tsv` output); the page-furniture pass keeps every line.

mod common;

use dondoc_import::office::{docx, pdf};
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
        let cleaned = text::furniture::strip(&s);
        prop_assert_eq!(cleaned.text.split('\n').count(), s.split('\n').count());
        let _ = docx::read_docx(s.as_bytes());
    }

    #[test]
    fn arbitrary_word_tables(parts in prop::collection::vec(0usize..12, 0..200), texts in prop::collection::vec("(TT|STT|I\\. Nhóm|1|1\\.1|Nội dung|Chủ trì|Phối hợp|Sở A; Sở B|Quý IV/2025|[a-zà-ỹ &<]{0,8})", 12)) {
        let mut xml = String::from(r#"<w:document xmlns:w="x"><w:body>"#);
        for (k, p) in parts.iter().enumerate() {
            let text = texts[k % texts.len()].replace('&', "&amp;").replace('<', "&lt;");
            xml += match p {
                0 => "<w:tbl>",
                1 => "<w:tr>",
                2 => "<w:tc>",
                3 => r#"<w:tcPr><w:gridSpan w:val="3"/></w:tcPr>"#,
                4 => "<w:tcPr><w:vMerge/></w:tcPr>",
                5 => r#"<w:tcPr><w:vMerge w:val="restart"/></w:tcPr>"#,
                6 => "</w:tc>",
                7 => "</w:tr>",
                8 => "</w:tbl>",
                9 => r#"<w:tcPr><w:gridSpan w:val="99999"/></w:tcPr>"#,
                _ => "",
            };
            if *p >= 10 {
                xml += &format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>");
            }
        }
        xml += "</w:body></w:document>";
        let mut bytes = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
            zip.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut zip, xml.as_bytes()).unwrap();
            zip.finish().unwrap();
        }
        if let Ok(p) = docx::read_docx(&bytes) {
            let _ = tasks::spec(&p);
        }
    }

    #[test]
    fn arbitrary_pdf_words(words in prop::collection::vec(
        (0u8..6, 1usize..4, 0usize..5, 0usize..4, 0u32..800, 0u32..600, "(TT|STT|I|1|1.2|A\\.|Sở Tài chính|Tháng 9/2025|Nội dung|Chủ trì|Thời gian|Phạm vi|[a-zà-ỹ]{1,8})"),
        0..120,
    )) {
        let mut tsv = String::from("level\tpage_num\tpar_num\tblock_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n");
        for (level, page, par, line, left, top, text) in words {
            let level = if level % 2 == 0 { 3 } else { 5 };
            tsv += &format!("{level}\t{page}\t{par}\t0\t{line}\t0\t{left}.0\t{top}.0\t10\t8\t100\t{text}\n");
        }
        if let Ok(p) = pdf::read_pdf_words(&tsv) {
            let _ = tasks::spec(&p);
        }
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
