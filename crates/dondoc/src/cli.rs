//! The command-line contract. Scripts depend on it: keep names, flags, JSON fields and exit
//! statuses stable (exit 2: the input could not be read; 1: any other failure).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// dondoc — theo dõi, đôn đốc thực hiện nhiệm vụ của các kế hoạch.
#[derive(Debug, Parser)]
#[command(name = "dondoc", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// Calendar data file (holidays, per-year notices); default: the built-in copy of config/calendar.toml.
    #[arg(long, global = true, env = "DONDOC_CALENDAR", value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// Reporting policy for recurring occurrences: nd09 (default), end_of_period, khanh_hoa_2023.
    #[arg(long, global = true, env = "DONDOC_POLICY", default_value = "nd09")]
    pub policy: String,
    /// Reading of "Trước ngày D/M/Y": strict (due the day before, default) or inclusive.
    #[arg(long, global = true, value_enum)]
    pub before_date: Option<BeforeDateArg>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Đọc một biểu thức thời gian của kế hoạch và tính ngày bắt đầu, hạn, các kỳ.
    When(WhenArgs),
    /// Liệt kê các ngày nghỉ (lễ, tết, nghỉ bù, hoán đổi) của một năm.
    Holidays(HolidaysArgs),
}

#[derive(Debug, Args)]
pub struct WhenArgs {
    /// The expression as written in the plan, e.g. "Quý IV/2025".
    pub expr: String,
    /// Read it as a deadline (default) or as a start.
    #[arg(long = "as", value_enum, default_value_t = Reading::Deadline)]
    pub reading: Reading,
    /// First day of the window for occurrences of a recurrence (default: 1 January of --to's year, or of this year).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<NaiveDate>,
    /// Last day of the window (default: one year after --from, less a day, or 31 December of this year).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<NaiveDate>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HolidaysArgs {
    pub year: i32,
    /// Print a JSON array of {date, name, kind}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Reading {
    Deadline,
    Start,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BeforeDateArg {
    Strict,
    Inclusive,
}
