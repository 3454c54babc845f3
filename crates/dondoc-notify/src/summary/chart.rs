//! The chart of the weekly summary: tasks per category and the overdue tasks of the ten
//! agencies with the most, drawn with plotters into a PNG in memory.
//!
//! Its text needs a TrueType font with Vietnamese letters, given once with
//! [`set_chart_font`] (the binary reads the configured file or a system font). Without one
//! the bars are drawn without text and a warning is logged: a font never fails a summary.
//! Text is laid out here with ab_glyph (each glyph at the pen position plus its own
//! bearing): plotters' own text drawing drops the bearing, which opened gaps after letters
//! such as "ố" whose marks reach past the letter.

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _, point};

use dondoc_core::classify::Classification;
use dondoc_core::summary::weekly::WeeklySummary;
use plotters::prelude::*;

use super::view::{agency_name, capitalize, shorten};

/// The `cid:` of the chart in the email's HTML.
pub const CHART_CID: &str = "bieu-do-tong-hop";

/// The chart font's bytes (one per process, kept for its life).
static FONT: OnceLock<&'static [u8]> = OnceLock::new();

/// A font that plotters could not read.
#[derive(Debug, thiserror::Error)]
#[error("không phải tệp phông chữ TrueType/OpenType")]
pub struct InvalidFont;

/// Uses this TrueType/OpenType font (the file's bytes) for chart text. The first font set
/// is kept for the life of the process; later calls do nothing.
pub fn set_chart_font(bytes: Vec<u8>) -> Result<(), InvalidFont> {
    if FONT.get().is_some() {
        return Ok(());
    }
    FontRef::try_from_slice(&bytes).map_err(|_| InvalidFont)?;
    // One font per process, leaked on purpose so that every chart borrows it.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let _ = FONT.set(bytes);
    Ok(())
}

/// The chart font, if one was set.
fn chart_font() -> Option<FontRef<'static>> {
    let font = FONT.get().and_then(|b| FontRef::try_from_slice(b).ok());
    if font.is_none() {
        tracing::warn!("chưa có phông chữ cho biểu đồ báo cáo tuần: biểu đồ không có chữ ([summary] font)");
    }
    font
}

/// Where a text sits relative to its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// The point is the text's top left.
    TopLeft,
    /// The point is the middle of the text's left side.
    MiddleLeft,
    /// The point is the middle of the text's right side.
    MiddleRight,
}

/// Draws `text` at `at` in `px` pixels: each glyph at the pen position (advances and
/// kerning of the font) plus its own bearing, blended with its coverage.
fn draw_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    font: &FontRef<'_>,
    text: &str,
    at: (i32, i32),
    px: f32,
    anchor: Anchor,
    color: RGBColor,
) -> Result<(), String> {
    let scaled = font.as_scaled(PxScale::from(px));
    let ids: Vec<_> = text.chars().map(|c| scaled.glyph_id(c)).collect();
    let width: f32 = ids.iter().map(|id| scaled.h_advance(*id)).sum::<f32>()
        + ids.windows(2).map(|w| scaled.kern(w[0], w[1])).sum::<f32>();
    let (ascent, descent) = (scaled.ascent(), scaled.descent());
    let x = match anchor {
        Anchor::TopLeft | Anchor::MiddleLeft => at.0 as f32,
        Anchor::MiddleRight => at.0 as f32 - width,
    };
    let baseline = match anchor {
        Anchor::TopLeft => at.1 as f32 + ascent,
        Anchor::MiddleLeft | Anchor::MiddleRight => at.1 as f32 + (ascent + descent) / 2.0,
    };
    let mut pen = x;
    let mut result = Ok(());
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            pen += scaled.kern(ids[i - 1], *id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(px), point(pen, baseline));
        if let Some(outline) = scaled.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                if coverage > 0.0 && result.is_ok() {
                    let p = (bounds.min.x as i32 + gx as i32, bounds.min.y as i32 + gy as i32);
                    result = area.draw_pixel(p, &color.mix(f64::from(coverage.min(1.0)))).map_err(|e| e.to_string());
                }
            });
        }
        pen += scaled.h_advance(*id);
    }
    result
}

const CHART_WIDTH: u32 = 960;
const CHART_AGENCIES: usize = 10;
const ROW: i32 = 30;
const BAR: i32 = 20;
const LABEL_WIDTH: i32 = 330;
const MARGIN: i32 = 20;

fn classification_color(c: Classification) -> RGBColor {
    match c {
        Classification::InProgressOverdue => RGBColor(0xc0, 0x39, 0x2b),
        Classification::DueSoon => RGBColor(0xe6, 0x7e, 0x22),
        Classification::InProgressOnTime => RGBColor(0x2e, 0x86, 0xc1),
        Classification::NotYetDue => RGBColor(0x85, 0xc1, 0xe9),
        Classification::CompletedLate => RGBColor(0x9a, 0x7d, 0x0a),
        Classification::CompletedOnTime => RGBColor(0x27, 0xae, 0x60),
        Classification::NoDeadline => RGBColor(0xaa, 0xb7, 0xb8),
        Classification::Cancelled => RGBColor(0x70, 0x7b, 0x7c),
    }
}

/// The chart as PNG: tasks per category, and overdue tasks of the ten agencies with the
/// most. Empty if the image could not be made (logged); the email then goes without it.
pub fn chart_png(summary: &WeeklySummary) -> Vec<u8> {
    let font = chart_font();
    match render_chart(summary, font.as_ref()) {
        Ok(png) => png,
        Err(e) => {
            tracing::warn!(error = %e, "the summary chart could not be drawn; the email goes without it");
            Vec::new()
        }
    }
}

/// One bar: its label, its value and colour.
struct Bar {
    label: String,
    value: u32,
    color: RGBColor,
}

/// Draws the chart, with or without text, into a PNG.
fn render_chart(summary: &WeeklySummary, font: Option<&FontRef<'_>>) -> Result<Vec<u8>, String> {
    let categories: Vec<Bar> = summary
        .counts
        .iter()
        .map(|c| Bar { label: capitalize(&c.label), value: c.count, color: classification_color(c.classification) })
        .collect();
    let agencies: Vec<Bar> = summary
        .overdue
        .iter()
        .take(CHART_AGENCIES)
        .map(|a| Bar {
            label: shorten(agency_name(&a.agency), 42),
            value: a.tasks.len() as u32,
            color: classification_color(Classification::InProgressOverdue),
        })
        .collect();
    let panel = |bars: usize| 50 + ROW * bars.max(1) as i32;
    let height = (MARGIN * 2 + panel(categories.len()) + 20 + panel(agencies.len())) as u32;

    let mut pixels = vec![0u8; CHART_WIDTH as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (CHART_WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut y = MARGIN;
        let title = format!("Nhiệm vụ theo phân loại (tổng số {})", summary.total);
        y = draw_panel(&root, y, &title, &categories, None, font)?;
        y += 20;
        let title = format!("Nhiệm vụ quá hạn theo cơ quan chủ trì ({} cơ quan)", summary.overdue.len());
        draw_panel(&root, y, &title, &agencies, Some("Không có nhiệm vụ quá hạn"), font)?;
        root.present().map_err(|e| e.to_string())?;
    }
    encode_png(&pixels, CHART_WIDTH, height)
}

/// RGB pixels to PNG bytes, in memory.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Draws a titled panel of horizontal bars from `top`; returns the y below it.
fn draw_panel(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    top: i32,
    title: &str,
    bars: &[Bar],
    empty: Option<&str>,
    font: Option<&FontRef<'_>>,
) -> Result<i32, String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let black = RGBColor(0x22, 0x22, 0x22);
    let grey = RGBColor(0x99, 0x99, 0x99);
    if let Some(font) = font {
        draw_text(root, font, title, (MARGIN, top + 5), 20.0, Anchor::TopLeft, black)?;
    }
    let bars_top = top + 40;
    let x0 = MARGIN + LABEL_WIDTH;
    let room = CHART_WIDTH as i32 - x0 - MARGIN - 60;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    root.draw(&PathElement::new(vec![(x0, bars_top), (x0, bars_top + ROW * bars.len().max(1) as i32)], grey))
        .map_err(err)?;
    if bars.is_empty() {
        if let (Some(font), Some(text)) = (font, empty) {
            draw_text(root, font, text, (x0 + 10, bars_top + ROW / 2), 15.0, Anchor::MiddleLeft, black)?;
        }
        return Ok(bars_top + ROW);
    }
    for (i, bar) in bars.iter().enumerate() {
        let mid = bars_top + ROW * i as i32 + ROW / 2;
        let length = (i64::from(bar.value) * i64::from(room) / i64::from(max)) as i32;
        if bar.value > 0 {
            let rect = [(x0 + 1, mid - BAR / 2), (x0 + 1 + length.max(2), mid + BAR / 2)];
            root.draw(&Rectangle::new(rect, bar.color.filled())).map_err(err)?;
        }
        if let Some(font) = font {
            draw_text(root, font, &bar.label, (x0 - 8, mid), 15.0, Anchor::MiddleRight, black)?;
            let value = bar.value.to_string();
            draw_text(root, font, &value, (x0 + length.max(2) + 8, mid), 15.0, Anchor::MiddleLeft, black)?;
        }
    }
    Ok(bars_top + ROW * bars.len() as i32)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone as _, Utc};

    use super::*;

    fn empty_week() -> WeeklySummary {
        WeeklySummary {
            generated_at: Utc.with_ymd_and_hms(2025, 11, 24, 0, 30, 0).unwrap(),
            week_from: NaiveDate::from_ymd_opt(2025, 11, 17).unwrap(),
            week_to: NaiveDate::from_ymd_opt(2025, 11, 23).unwrap(),
            total: 0,
            counts: Vec::new(),
            overdue: Vec::new(),
            newly_overdue: Vec::new(),
            newly_completed: Vec::new(),
            coming_from: NaiveDate::from_ymd_opt(2025, 11, 24).unwrap(),
            coming_to: NaiveDate::from_ymd_opt(2025, 11, 30).unwrap(),
            due_coming_week: Vec::new(),
            plans: Default::default(),
            proposals: Vec::new(),
            failed_deliveries: Vec::new(),
            explanations: Vec::new(),
            channel_faults: Vec::new(),
        }
    }

    #[test]
    fn without_a_font_the_bars_are_drawn_without_text() {
        let png = render_chart(&empty_week(), None).expect("a chart");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    /// A word with Vietnamese marks is drawn as the same word without them: no wider gap
    /// between letters, about the same width (plotters' own drawing opened a 3-pixel gap
    /// after "ố" in "Thống").
    #[test]
    fn vietnamese_marks_open_no_gap_between_letters() {
        let Some(bytes) = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf"]
            .iter()
            .find_map(|p| std::fs::read(p).ok())
        else {
            dondoc_testkit::skip::skip(
                "vietnamese_marks_open_no_gap_between_letters",
                "no DejaVu Sans font (scripts/test.sh installs fonts-dejavu-core)",
            );
            return;
        };
        let font = FontRef::try_from_slice(&bytes).unwrap();
        // (ink columns from first to last, the widest run of empty columns inside)
        let profile = |word: &str| {
            let (w, h) = (200u32, 40u32);
            let mut pixels = vec![0u8; (w * h * 3) as usize];
            {
                let area = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
                area.fill(&WHITE).unwrap();
                draw_text(&area, &font, word, (10, 20), 15.0, Anchor::MiddleLeft, RGBColor(0, 0, 0)).unwrap();
                area.present().unwrap();
            }
            let inked: Vec<bool> = (0..w).map(|x| (0..h).any(|y| pixels[((y * w + x) * 3) as usize] < 200)).collect();
            let first = inked.iter().position(|i| *i).expect("ink");
            let last = inked.iter().rposition(|i| *i).expect("ink");
            let widest_gap = inked[first..=last].split(|i| *i).map(<[bool]>::len).max().unwrap_or(0);
            (last - first + 1, widest_gap)
        };
        for (marked, plain) in
            [("Thống", "Thong"), ("Nhiệm", "Nhiem"), ("Thường", "Thuong"), ("Việt", "Viet"), ("quá hạn", "qua han")]
        {
            let (mw, mg) = profile(marked);
            let (pw, pg) = profile(plain);
            assert!(mg <= pg + 1, "{marked}: a gap of {mg} columns, {pg} in {plain}");
            assert!(mw.abs_diff(pw) <= 3, "{marked} is {mw} columns wide, {plain} {pw}");
        }
    }

    #[test]
    fn bytes_that_are_not_a_font_are_refused() {
        assert!(set_chart_font(b"not a font".to_vec()).is_err());
    }
}
