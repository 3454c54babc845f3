//! The command line in Vietnamese: clap's help (template, headings, the help and version
//! flags) and its usage errors, which clap writes in English, are given in the words of
//! docs/van-phong.md. The descriptions themselves are the doc comments of `cli`.

use clap::builder::StyledStr;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches};

use crate::cli::Cli;

/// Help laid out with Vietnamese headings ("Cách dùng", "Lệnh", "Tham số", "Tùy chọn").
const TEMPLATE: &str = "{about-with-newline}\nCách dùng: {usage}\n\n{all-args}{after-help}";

/// The command line's definition, in Vietnamese.
pub fn command() -> Command {
    let root = localize(Cli::command());
    root.about("dondoc — theo dõi, đôn đốc thực hiện nhiệm vụ của các kế hoạch").disable_version_flag(true).arg(
        Arg::new("version")
            .short('V')
            .long("version")
            .action(ArgAction::Version)
            .help("In số phiên bản")
            .help_heading("Tùy chọn"),
    )
}

fn localize(cmd: Command) -> Command {
    let cmd = cmd
        .help_template(TEMPLATE)
        .subcommand_help_heading("Lệnh")
        .subcommand_value_name("LỆNH")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .mut_args(|a| {
            let a = with_values_and_env(value_name_vi(a));
            if a.get_help_heading().is_some() {
                a
            } else if a.is_positional() {
                a.help_heading("Tham số")
            } else {
                a.help_heading("Tùy chọn")
            }
        })
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("In hướng dẫn này")
                .help_heading("Tùy chọn"),
        );
    cmd.mut_subcommands(localize)
}

/// Value placeholders people read: `--plan <KẾ-HOẠCH>` rather than `--plan <PLAN>` (the
/// name clap derives from the field). Formats (RFC3339, YYYY-MM-DD, UUID) stay as written.
const VALUE_NAMES: &[(&str, &str)] = &[
    ("PLAN", "KẾ-HOẠCH"),
    ("CODE", "MÃ-SỐ"),
    ("FILE", "TỆP"),
    ("DIR", "THƯ-MỤC"),
    ("ACTOR", "NGƯỜI-GHI"),
    ("EXPR", "BIỂU-THỨC"),
    ("DATE", "NGÀY"),
    ("DATES", "CÁC-NGÀY"),
    ("TITLE", "NỘI-DUNG"),
    ("LEAD", "CƠ-QUAN"),
    ("COOPERATING", "CƠ-QUAN"),
    ("AGENCY", "CƠ-QUAN"),
    ("PRODUCT", "SẢN-PHẨM"),
    ("NAME", "TÊN"),
    ("YEAR", "NĂM"),
    ("REASON", "LÝ-DO"),
    ("NOTE", "GHI-CHÚ"),
    ("PERCENT", "PHẦN-TRĂM"),
    ("FORMAT", "ĐỊNH-DẠNG"),
    ("POLICY", "CHẾ-ĐỘ"),
    ("BEFORE_DATE", "CÁCH-HIỂU"),
    ("REVISION", "PHIÊN-BẢN"),
    ("SHEET", "TRANG-TÍNH"),
    ("ROLE", "VAI-TRÒ"),
    ("EMAIL", "ĐỊA-CHỈ-THƯ"),
    ("PHONE", "SỐ-ĐIỆN-THOẠI"),
    ("TELEGRAM", "MÃ-TELEGRAM"),
    ("ZALO", "MÃ-ZALO"),
    ("POSITION", "CHỨC-VỤ"),
    ("PERIOD", "KỲ"),
    ("TO", "NGÀY"),
    ("SOURCE", "NGUỒN"),
    ("CHANNEL", "KÊNH"),
    ("SINCE", "TỪ"),
    ("FROM", "TỪ"),
    ("UNTIL", "ĐẾN"),
    ("INTO", "CƠ-QUAN"),
    ("ID", "MÃ"),
    ("OUT", "TỆP"),
    ("OUTBOX", "THƯ-MỤC"),
    ("STEP", "BƯỚC"),
    ("CHANNELS", "KÊNH"),
    ("AT", "THỜI-ĐIỂM"),
    ("DOCUMENT", "VĂN-BẢN"),
    ("LINK", "ĐƯỜNG-DẪN"),
    ("EXPR_OR_DATE", "NGÀY"),
    ("VALID_HOURS", "SỐ-GIỜ"),
    ("DUE_WITHIN", "KHOẢNG"),
    ("ANCHOR", "TỆP"),
    ("FROM_FILE", "TỆP"),
    ("SNOOZE_UNTIL", "NGÀY"),
    ("TRACKED_FROM", "NGÀY"),
];

fn value_name_vi(a: Arg) -> Arg {
    let vi = |name: &str| VALUE_NAMES.iter().find(|(en, _)| *en == name).map(|(_, vi)| *vi);
    match a.get_value_names().map(<[clap::builder::Str]>::to_vec) {
        Some(names) => {
            let mapped: Vec<clap::builder::Str> =
                names.into_iter().map(|n| vi(n.as_str()).map_or(n, clap::builder::Str::from)).collect();
            a.value_names(mapped)
        }
        // Derived from the field's id when used: `--plan` → PLAN.
        None if a.get_action().takes_values() => match vi(&a.get_id().as_str().to_uppercase()) {
            Some(name) => a.value_name(name),
            None => a,
        },
        None => a,
    }
}

/// The accepted values, the default and the environment variable said in Vietnamese inside
/// the help text, instead of clap's "[possible values: …]", "[default: …]" and "[env: …]".
fn with_values_and_env(a: Arg) -> Arg {
    let mut extra = Vec::new();
    let values: Vec<String> =
        a.get_possible_values().iter().filter(|v| !v.is_hide_set()).map(|v| v.get_name().to_string()).collect();
    if !values.is_empty() && a.get_action().takes_values() {
        extra.push(format!("giá trị: {}", values.join(", ")));
    }
    let defaults: Vec<String> = a.get_default_values().iter().map(|v| v.to_string_lossy().to_string()).collect();
    if !defaults.is_empty() && a.get_action().takes_values() {
        extra.push(format!("mặc định: {}", defaults.join(", ")));
    }
    if let Some(env) = a.get_env() {
        extra.push(format!("biến môi trường {}", env.to_string_lossy()));
    }
    if extra.is_empty() {
        return a;
    }
    let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
    let help =
        if help.is_empty() { format!("({})", extra.join("; ")) } else { format!("{help} ({})", extra.join("; ")) };
    a.help(help).hide_possible_values(true).hide_env(true).hide_default_value(true)
}

/// Parses the command line; prints help, the version or a Vietnamese usage error and exits
/// as clap would (0 for help and version, 2 for a usage error).
pub fn parse() -> Cli {
    let mut cmd = command();
    let args = when_reading_compat(std::env::args_os().collect());
    let result = cmd.try_get_matches_from_mut(args).and_then(|m| Cli::from_arg_matches(&m));
    match result {
        Ok(cli) => cli,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp => {
                // clap writes the usage's option placeholder itself.
                print!("{}", e.render().to_string().replace("[OPTIONS]", "[TÙY-CHỌN]"));
                std::process::exit(0)
            }
            ErrorKind::DisplayVersion => e.exit(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
                let usage = context(&e, ContextKind::Usage);
                eprintln!("lỗi: thiếu lệnh.\n{}", usage_line(&usage));
                eprintln!("Xem các lệnh: dondoc --help");
                std::process::exit(2)
            }
            _ => {
                eprintln!("lỗi: {}", message(&e));
                let usage = context(&e, ContextKind::Usage);
                if !usage.is_empty() {
                    eprintln!("{}", usage_line(&usage));
                }
                eprintln!("Xem hướng dẫn: thêm --help vào sau lệnh.");
                std::process::exit(2)
            }
        },
    }
}

/// "Usage: dondoc task add …" → "Cách dùng: dondoc task add …".
fn usage_line(usage: &str) -> String {
    let body = usage.trim().strip_prefix("Usage:").unwrap_or(usage.trim()).trim();
    format!("Cách dùng: {}", body.replace("[OPTIONS]", "[TÙY-CHỌN]"))
}

fn context(e: &clap::Error, kind: ContextKind) -> String {
    match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(ContextValue::StyledStr(s)) => plain(s),
        Some(ContextValue::StyledStrs(v)) => v.iter().map(plain).collect::<Vec<_>>().join(", "),
        Some(ContextValue::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn plain(s: &StyledStr) -> String {
    s.to_string()
}

/// The error in Vietnamese, with what clap knows of it (the argument, the value, the
/// accepted values, a suggestion).
fn message(e: &clap::Error) -> String {
    let arg = context(e, ContextKind::InvalidArg);
    let value = context(e, ContextKind::InvalidValue);
    let suggestion = {
        let sub = context(e, ContextKind::SuggestedSubcommand);
        let arg = context(e, ContextKind::SuggestedArg);
        let s = if sub.is_empty() { arg } else { sub };
        if s.is_empty() { String::new() } else { format!("; có phải: {s}?") }
    };
    match e.kind() {
        ErrorKind::InvalidSubcommand => {
            format!("không có lệnh \"{}\"{suggestion}", context(e, ContextKind::InvalidSubcommand))
        }
        ErrorKind::UnknownArgument => format!("tham số \"{arg}\" không dùng được ở đây{suggestion}"),
        ErrorKind::InvalidValue => {
            let valid = context(e, ContextKind::ValidValue);
            if value.is_empty() {
                format!("{arg} cần một giá trị")
            } else if valid.is_empty() {
                format!("giá trị \"{value}\" không hợp lệ cho {arg}{suggestion}")
            } else {
                format!("giá trị \"{value}\" không hợp lệ cho {arg}; dùng một trong: {valid}{suggestion}")
            }
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e).map(|s| format!(": {s}")).unwrap_or_default();
            format!("giá trị \"{value}\" không hợp lệ cho {arg}{why}")
        }
        ErrorKind::MissingRequiredArgument => format!("thiếu tham số bắt buộc: {arg}"),
        ErrorKind::ArgumentConflict => {
            format!("không dùng {arg} cùng với {}", context(e, ContextKind::PriorArg))
        }
        ErrorKind::NoEquals => format!("{arg} cần dấu \"=\" trước giá trị"),
        ErrorKind::TooManyValues => format!("{arg} có quá nhiều giá trị (\"{value}\")"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => format!("{arg}: số giá trị không đúng"),
        ErrorKind::InvalidUtf8 => "tham số có ký tự không phải UTF-8".to_string(),
        _ => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default().trim_start_matches("error: ");
            format!("tham số không hợp lệ ({first})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definition_holds_together() {
        command().debug_assert();
    }

    /// Every command's help, with its path.
    fn all_help(cmd: &mut Command, path: String, out: &mut Vec<(String, String)>) {
        out.push((path.clone(), cmd.render_help().to_string()));
        let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
        for name in names {
            let sub = cmd.find_subcommand_mut(&name).unwrap();
            all_help(sub, format!("{path} {name}"), out);
        }
    }

    #[test]
    fn help_is_in_vietnamese() {
        let mut cmd = command();
        cmd.build();
        let mut helps = Vec::new();
        all_help(&mut cmd, "dondoc".into(), &mut helps);
        assert!(helps.len() > 40, "{}", helps.len());
        let root = &helps[0].1;
        for word in ["Cách dùng:", "Lệnh:", "Tùy chọn:", "In hướng dẫn này"] {
            assert!(root.contains(word), "{word} missing from:\n{root}");
        }
        for (path, help) in &helps {
            for english in [
                "Usage:",
                "Commands:",
                "Options:",
                "Arguments:",
                "Print help",
                "[env:",
                "[possible values",
                "[default:",
            ] {
                assert!(!help.contains(english), "{path}: {english} in:\n{help}");
            }
        }
    }

    #[test]
    fn usage_errors_are_in_vietnamese() {
        let cases: [(&[&str], &str); 4] = [
            (&["dondoc", "foo"], "không có lệnh \"foo\""),
            (&["dondoc", "list", "--bogus"], "tham số \"--bogus\" không dùng được ở đây"),
            (&["dondoc", "export", "--plan", "P", "--format", "pdf"], "giá trị \"pdf\" không hợp lệ cho --format"),
            (&["dondoc", "show", "--plan", "P"], "thiếu tham số bắt buộc: --code"),
        ];
        for (args, want) in cases {
            let e = command().try_get_matches_from(args).unwrap_err();
            let got = message(&e);
            assert!(got.contains(want), "{args:?}: {got}");
        }
    }
}

/// `dondoc when EXPR --as deadline|start`, the old spelling of `--reading`: `--as` names
/// the acting person everywhere else (a global option), so it is rewritten here, only after
/// `when` and only before one of the two readings.
fn when_reading_compat(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let is_when = args.iter().skip(1).any(|a| a == "when");
    if !is_when {
        return args;
    }
    let reading = |v: &str| matches!(v, "deadline" | "start");
    for i in 1..args.len() {
        let arg = args[i].to_string_lossy().into_owned();
        if let Some(v) = arg.strip_prefix("--as=")
            && reading(v)
        {
            args[i] = format!("--reading={v}").into();
        } else if arg == "--as" && args.get(i + 1).is_some_and(|v| reading(&v.to_string_lossy())) {
            args[i] = "--reading".into();
        }
    }
    args
}

#[cfg(test)]
mod compat_tests {
    use super::when_reading_compat;

    fn run(args: &[&str]) -> Vec<String> {
        when_reading_compat(args.iter().map(|a| a.into()).collect())
            .iter()
            .map(|a| a.to_string_lossy().into())
            .collect()
    }

    #[test]
    fn when_keeps_its_old_as() {
        assert_eq!(
            run(&["dondoc", "when", "Quý IV/2025", "--as", "start"]),
            ["dondoc", "when", "Quý IV/2025", "--reading", "start"]
        );
        assert_eq!(run(&["dondoc", "when", "2025", "--as=deadline"]), ["dondoc", "when", "2025", "--reading=deadline"]);
        assert_eq!(run(&["dondoc", "task", "start", "--as", "start"]), ["dondoc", "task", "start", "--as", "start"]);
        assert_eq!(run(&["dondoc", "--as", "An", "when", "2025"]), ["dondoc", "--as", "An", "when", "2025"]);
        assert_eq!(run(&["dondoc", "--as", "An", "when", "2025", "--as", "start"])[5], "--reading");
    }
}
