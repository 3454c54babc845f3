//! The chart of the weekly summary: tasks per category and the overdue tasks of the ten
//! agencies with the most, drawn with plotters into a PNG in memory.
//!
//! Its text needs a TrueType font with Vietnamese letters, given once with
//! [`set_chart_font`] (the binary reads the configured file or a system font). Without one
//! the bars are drawn without text and a warning is logged: a font never fails a summary.

use std::sync::Mutex;

use dondoc_core::classify::Classification;
use dondoc_core::summary::weekly::WeeklySummary;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::view::{agency_name, capitalize, shorten};

/// The `cid:` of the chart in the email's HTML.
pub const CHART_CID: &str = "bieu-do-tong-hop";

/// The family the chart font is registered under in plotters.
const FONT_FAMILY: &str = "sans-serif";

/// Whether a font was registered (plotters' font table is global: one per process).
static FONT: Mutex<bool> = Mutex::new(false);

/// A font that plotters could not read.
#[derive(Debug, thiserror::Error)]
#[error("không phải tệp phông chữ TrueType/OpenType")]
pub struct InvalidFont;

/// Uses this TrueType/OpenType font (the file's bytes) for chart text. The first font set
/// is kept for the life of the process; later calls do nothing.
pub fn set_chart_font(bytes: Vec<u8>) -> Result<(), InvalidFont> {
    let mut set = FONT.lock().unwrap_or_else(|e| e.into_inner());
    if *set {
        return Ok(());
    }
    // plotters keeps fonts as `&'static [u8]`: one font per process, leaked on purpose.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, bytes).map_err(|_| InvalidFont)?;
    *set = true;
    Ok(())
}

/// Whether chart text can be drawn.
fn chart_font() -> bool {
    let set = *FONT.lock().unwrap_or_else(|e| e.into_inner());
    if !set {
        tracing::warn!("chưa có phông chữ cho biểu đồ báo cáo tuần: biểu đồ không có chữ ([summary] font)");
    }
    set
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
    let with_text = chart_font();
    match render_chart(summary, with_text) {
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
fn render_chart(summary: &WeeklySummary, with_text: bool) -> Result<Vec<u8>, String> {
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
        let title = format!("Nhiệm vụ theo tình trạng (tổng số {})", summary.total);
        y = draw_panel(&root, y, &title, &categories, None, with_text)?;
        y += 20;
        let title = format!("Nhiệm vụ quá hạn theo cơ quan chủ trì ({} cơ quan)", summary.overdue.len());
        draw_panel(&root, y, &title, &agencies, Some("Không có nhiệm vụ quá hạn"), with_text)?;
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
    with_text: bool,
) -> Result<i32, String> {
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    let black = RGBColor(0x22, 0x22, 0x22);
    let grey = RGBColor(0x99, 0x99, 0x99);
    let title_style = TextStyle::from((FONT_FAMILY, 20).into_font()).color(&black);
    let label_style =
        TextStyle::from((FONT_FAMILY, 15).into_font()).color(&black).pos(Pos::new(HPos::Right, VPos::Center));
    let value_style =
        TextStyle::from((FONT_FAMILY, 15).into_font()).color(&black).pos(Pos::new(HPos::Left, VPos::Center));
    if with_text {
        root.draw(&Text::new(title.to_string(), (MARGIN, top + 5), title_style)).map_err(err)?;
    }
    let bars_top = top + 40;
    let x0 = MARGIN + LABEL_WIDTH;
    let room = CHART_WIDTH as i32 - x0 - MARGIN - 60;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    root.draw(&PathElement::new(vec![(x0, bars_top), (x0, bars_top + ROW * bars.len().max(1) as i32)], grey))
        .map_err(err)?;
    if bars.is_empty() {
        if let (true, Some(text)) = (with_text, empty) {
            let style = value_style.clone();
            root.draw(&Text::new(text.to_string(), (x0 + 10, bars_top + ROW / 2), style)).map_err(err)?;
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
        if with_text {
            root.draw(&Text::new(bar.label.clone(), (x0 - 8, mid), label_style.clone())).map_err(err)?;
            root.draw(&Text::new(bar.value.to_string(), (x0 + length.max(2) + 8, mid), value_style.clone()))
                .map_err(err)?;
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
            channel_faults: Vec::new(),
        }
    }

    #[test]
    fn without_a_font_the_bars_are_drawn_without_text() {
        let png = render_chart(&empty_week(), false).expect("a chart");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn bytes_that_are_not_a_font_are_refused() {
        assert!(set_chart_font(b"not a font".to_vec()).is_err());
    }
}
