//! The command-line contract. Scripts depend on it: keep names, flags, JSON fields and exit
//! statuses stable (exit 2: the input could not be read; 1: any other failure).

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate};
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
    /// Data directory (events and projections); default $DONDOC_DATA_DIR, else the user's
    /// data directory + "/dondoc" (e.g. ~/.local/share/dondoc).
    #[arg(long, global = true, env = "DONDOC_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Another store file, read and written with the data directory's configuration: a
    /// simulation's copy (`<outbox>/simulation.sqlite`) for instance.
    #[arg(long, global = true, env = "DONDOC_STORE", value_name = "FILE")]
    pub store: Option<PathBuf>,
    /// Calendar data file (holidays, per-year notices); default: the built-in copy of config/calendar.toml.
    #[arg(long, global = true, env = "DONDOC_CALENDAR", value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// Reporting policy for recurring occurrences: nd09 (default), end_of_period, khanh_hoa_2023.
    #[arg(long, global = true, env = "DONDOC_POLICY")]
    pub policy: Option<String>,
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
    /// Lịch làm việc: ghi nhận thông báo nghỉ lễ, tết của một năm; xem năm nào chính thức, năm nào tạm tính.
    Calendar(CalendarArgs),
    /// Tạo thư mục dữ liệu và tệp cấu hình.
    Init,
    /// Ghi nhận thay đổi của một nhiệm vụ.
    Task(TaskArgs),
    /// Xem một nhiệm vụ và phân loại của nó tại một thời điểm.
    Show(ShowArgs),
    /// Xem lịch sử (nhật ký) của một nhiệm vụ, hoặc kiểm tra tính toàn vẹn: `audit verify`.
    Audit(AuditArgs),
    /// Liệt kê các nhiệm vụ.
    List(ListArgs),
    /// Xuất bảng theo dõi của một kế hoạch ra CSV hoặc Excel.
    Export(ExportArgs),
    /// Quản lý các bảng dữ liệu dựng từ nhật ký sự kiện.
    Projections(ProjectionsArgs),
    /// Nhập kế hoạch từ văn bản (trích từ PDF/Word), CSV hoặc Excel; chạy thử bằng --dry-run.
    Import(ImportArgs),
    /// Kế hoạch: số, ký hiệu, ngày, cơ quan ban hành, trích yếu (cách trích dẫn trong nhắc việc).
    Plan(PlanArgs),
    /// Danh mục cơ quan: xem, ghi nhận đổi tên hoặc sáp nhập.
    Agency(AgencyArgs),
    /// Danh bạ người nhận nhắc việc: thêm, xem, cấp mã liên kết Telegram.
    Contact(ContactArgs),
    /// Tạm dừng nhắc việc cho một kế hoạch, cơ quan hoặc nhiệm vụ trong một khoảng thời gian.
    Silence(SilenceArgs),
    /// Xem trước các nhắc việc một lượt quét sẽ gửi, không gửi.
    Reminders(RemindersArgs),
    /// Kênh Zalo OA: cấp lại quyền (refresh token mới) khi Zalo đã từ chối token cũ.
    Zalo(ZaloArgs),
    /// Xem trước báo cáo tuần cho lãnh đạo (JSON, HTML, Excel), không gửi.
    Summary(SummaryArgs),
    /// Chạy dịch vụ: lập lịch, nhắc việc, gửi email/Telegram/Zalo, báo cáo tuần, /healthz.
    Serve,
    /// Chạy mô phỏng trên đồng hồ ảo; mọi tin được ghi thành tệp JSON trong --outbox.
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
pub struct CalendarArgs {
    #[command(subcommand)]
    pub action: CalendarAction,
}

#[derive(Debug, Subcommand)]
pub enum CalendarAction {
    /// Ghi nhận thông báo chính thức của một năm (ngày nghỉ Tết, Quốc khánh, hoán đổi ngày làm
    /// việc) vào calendar-notices.toml của thư mục dữ liệu; hạn và phân loại theo lịch mới ngay.
    AddNotice(AddNoticeArgs),
    /// Từng năm: nguồn (thông báo) hay quy tắc mặc định (tạm tính).
    Status {
        #[arg(long, default_value_t = 2020)]
        from: i32,
        #[arg(long, default_value_t = 2030)]
        to: i32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddNoticeArgs {
    #[arg(long)]
    pub year: i32,
    /// The notice: number, symbol and date, e.g. "Thông báo 1234/TB-BNV ngày 20/10/2027".
    #[arg(long)]
    pub source: String,
    /// The five Tết days, YYYY-MM-DD or DD/MM/YYYY, separated by commas.
    #[arg(long, value_delimiter = ',', value_name = "DATES")]
    pub tet: Vec<String>,
    /// The two Quốc khánh days (2/9 and the adjacent day).
    #[arg(long, value_delimiter = ',', value_name = "DATES")]
    pub national_day: Vec<String>,
    /// A weekday off given by the notice (a swap): DATE or "DATE=name". Repeatable.
    #[arg(long = "day-off", value_name = "DATE[=NAME]")]
    pub day_off: Vec<String>,
    /// A Saturday or Sunday worked in exchange: DATE or "DATE=name". Repeatable.
    #[arg(long, value_name = "DATE[=NAME]")]
    pub worked: Vec<String>,
    /// Known from secondary sources only (news), not from the notice's text.
    #[arg(long)]
    pub unverified: bool,
    /// Show what would change, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ContactArgs {
    /// Who records it; default $DONDOC_ACTOR, else "cli:<user>".
    #[arg(long = "as", global = true, env = "DONDOC_ACTOR", value_name = "ACTOR")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub action: ContactAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Officer,
    Head,
    Secretariat,
    Leadership,
}

#[derive(Debug, Subcommand)]
pub enum ContactAction {
    /// Thêm một người nhận (hoặc cập nhật người cùng tên, cùng cơ quan).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        agency: String,
        #[arg(long, value_enum, default_value = "officer")]
        role: RoleArg,
        /// Position (chức vụ) named in the salutation, e.g. "Phó Chủ tịch UBND tỉnh".
        #[arg(long)]
        position: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Telegram chat id (or link it later with `contact link-code`).
        #[arg(long)]
        telegram: Option<String>,
        /// Zalo user id of the Official Account.
        #[arg(long)]
        zalo: Option<String>,
        /// Phone for Zalo template messages, e.g. 0901234567 or 84901234567.
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Liệt kê người nhận.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Cấp mã dùng một lần để liên kết Telegram: người nhận gửi "/start <mã>" cho bot.
    LinkCode {
        #[arg(long)]
        name: String,
        /// Needed when two contacts share the name.
        #[arg(long)]
        agency: Option<String>,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 72)]
        valid_hours: u32,
        #[arg(long)]
        json: bool,
    },
    /// Xóa một người nhận khỏi danh bạ (lịch sử vẫn giữ).
    Remove {
        #[arg(long)]
        name: String,
        #[arg(long)]
        agency: Option<String>,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct SilenceArgs {
    /// Who records it; default $DONDOC_ACTOR, else "cli:<user>".
    #[arg(long = "as", global = true, env = "DONDOC_ACTOR", value_name = "ACTOR")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub action: SilenceAction,
}

#[derive(Debug, Subcommand)]
pub enum SilenceAction {
    /// Tạm dừng nhắc việc (chọn đúng một: --plan, --agency hoặc --plan với --code).
    Add {
        #[arg(long)]
        plan: Option<String>,
        #[arg(long)]
        code: Option<String>,
        #[arg(long)]
        agency: Option<String>,
        /// Start (RFC 3339, or dd/mm/yyyy = 00:00 local); default now.
        #[arg(long)]
        from: Option<String>,
        /// End (RFC 3339, or dd/mm/yyyy = the end of that local day).
        #[arg(long)]
        until: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// Liệt kê các lần tạm dừng (đang hiệu lực, sắp tới, đã hết).
    List {
        #[arg(long, value_name = "RFC3339")]
        at: Option<DateTime<FixedOffset>>,
        #[arg(long)]
        json: bool,
    },
    /// Kết thúc sớm một lần tạm dừng.
    Expire {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct ZaloArgs {
    #[command(subcommand)]
    pub action: ZaloAction,
}

#[derive(Debug, Subcommand)]
pub enum ZaloAction {
    /// Nhận refresh token mới (đọc từ đầu vào chuẩn hoặc --from-file), đổi lấy cặp token và
    /// ghi vào tệp token; dịch vụ đang chạy dùng cặp mới ở lần gửi kế tiếp.
    Authorize {
        /// Read the refresh token from this file instead of standard input (never from the
        /// command line, where it would stay in the shell's history).
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct RemindersArgs {
    /// Who records it (for `retry`); default $DONDOC_ACTOR, else "cli:<user>".
    #[arg(long = "as", global = true, env = "DONDOC_ACTOR", value_name = "ACTOR")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub action: RemindersAction,
}

#[derive(Debug, Subcommand)]
pub enum RemindersAction {
    /// Nhật ký gửi: mọi nhắc việc đã gửi (hoặc với --failed: các lần gửi lỗi chưa gửi lại được).
    Log {
        #[arg(long)]
        failed: bool,
        #[arg(long)]
        json: bool,
    },
    /// Cho gửi lại các nhắc việc mà một kênh đã từ chối hẳn, sau khi đã khắc phục nguyên nhân.
    Retry {
        /// Only reminders refused on this channel: email, telegram or zalo.
        #[arg(long)]
        channel: Option<String>,
        /// Only refusals recorded at or after this instant (RFC 3339 or dd/mm/yyyy).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, default_value = "Đã khắc phục lỗi kênh gửi")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// In ra những nhắc việc đến hạn gửi ở lượt quét tại thời điểm --at (không gửi, không ghi).
    #[command(alias = "plan")]
    Due {
        #[arg(long, value_name = "RFC3339")]
        at: Option<DateTime<FixedOffset>>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The instant the summary is made (the week is the 7 days before that day).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<DateTime<FixedOffset>>,
    /// Write summary.html, chart.png and the XLSX into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulatedChannels {
    Outbox,
    Configured,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[arg(long, value_name = "RFC3339")]
    pub from: DateTime<FixedOffset>,
    #[arg(long, value_name = "RFC3339")]
    pub to: DateTime<FixedOffset>,
    /// Virtual time between two clock ticks: 15m, 1h, 30s, 1d.
    #[arg(long, default_value = "15m")]
    pub step: String,
    /// The simulation's directory: its copy of the store (`simulation.sqlite`, made from
    /// the real one on the first run, continued by later runs) and one JSON file per
    /// message delivered to the outbox. The real store is never written.
    #[arg(long, value_name = "DIR")]
    pub outbox: PathBuf,
    /// Where messages go: the outbox (default), or the channels configured in dondoc.toml
    /// (for test environments pointing at local servers).
    #[arg(long, value_enum, default_value = "outbox")]
    pub channels: SimulatedChannels,
    /// With `--channels configured`: allow endpoints outside this machine (real officers
    /// would receive the simulated messages).
    #[arg(long)]
    pub real_channels: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AgencyArgs {
    /// Who records it; default $DONDOC_ACTOR, else "cli:<user>".
    #[arg(long = "as", global = true, env = "DONDOC_ACTOR", value_name = "ACTOR")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub action: AgencyAction,
}

#[derive(Debug, Subcommand)]
pub enum AgencyAction {
    /// Liệt kê cơ quan, nhóm và các lần đổi tên, sáp nhập.
    List,
    /// Ghi nhận đổi tên một cơ quan; chuyển các nhiệm vụ đang mở sang tên mới.
    Rename {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Effective date (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: Option<NaiveDate>,
        /// The decision, e.g. "Quyết định 123/QĐ-UBND".
        #[arg(long)]
        reason: String,
    },
    /// Ghi nhận sáp nhập; chuyển các nhiệm vụ đang mở sang cơ quan mới.
    Merge {
        /// An agency merged; repeat for several.
        #[arg(long = "from", required = true)]
        from: Vec<String>,
        #[arg(long)]
        into: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: Option<NaiveDate>,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The plan: a document's text (as extracted from its PDF or Word file), CSV or Excel.
    pub file: PathBuf,
    /// Plan id for the tasks, e.g. "QN-2022" (default: the file name without extension).
    #[arg(long)]
    pub plan: Option<String>,
    /// Input format (auto: by extension, text for anything else).
    #[arg(long, value_enum, default_value_t = ImportFormat::Auto)]
    pub format: ImportFormat,
    /// Excel sheet to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Show what would change, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write what can be written and report the rest (default: all or nothing).
    #[arg(long)]
    pub partial: bool,
    /// Print the difference as JSON.
    #[arg(long)]
    pub json: bool,
    /// Who imports (recorded in every event); default $DONDOC_ACTOR, else "cli:<user>".
    #[arg(long = "as", env = "DONDOC_ACTOR", value_name = "ACTOR")]
    pub actor: Option<String>,
    /// Track recurring occurrences from this date (default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub tracked_from: Option<NaiveDate>,
    /// How the plan is cited, when the file does not say it (CSV, Excel, an unsigned draft):
    /// as `dondoc plan set`, recorded after the import.
    #[command(flatten)]
    pub details: PlanDetailsArgs,
}

/// The plan's number, date, issuer and subject.
#[derive(Debug, Clone, Default, Args)]
pub struct PlanDetailsArgs {
    /// Số, ký hiệu, e.g. "818/KH-UBND".
    #[arg(long = "plan-number", value_name = "SỐ/KÝ HIỆU")]
    pub number: Option<String>,
    /// Ngày ban hành: DD/MM/YYYY or YYYY-MM-DD.
    #[arg(long = "plan-date", value_name = "NGÀY")]
    pub date: Option<String>,
    /// Cơ quan ban hành, e.g. "UBND tỉnh".
    #[arg(long = "plan-issuer", value_name = "CƠ QUAN")]
    pub issuer: Option<String>,
    /// Trích yếu, e.g. "Triển khai thực hiện Chiến lược phát triển thống kê".
    #[arg(long = "plan-title", value_name = "TRÍCH YẾU")]
    pub title: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub action: PlanAction,
}

#[derive(Debug, Subcommand)]
pub enum PlanAction {
    /// Ghi số, ký hiệu, ngày, cơ quan ban hành, trích yếu của kế hoạch như văn bản đã ký.
    Set {
        /// Plan id, e.g. "QN-2022".
        #[arg(long)]
        plan: String,
        /// Số, ký hiệu, e.g. "818/KH-UBND".
        #[arg(long, value_name = "SỐ/KÝ HIỆU")]
        number: Option<String>,
        /// Ngày ban hành: DD/MM/YYYY or YYYY-MM-DD.
        #[arg(long, value_name = "NGÀY")]
        date: Option<String>,
        /// Cơ quan ban hành, e.g. "UBND tỉnh".
        #[arg(long, value_name = "CƠ QUAN")]
        issuer: Option<String>,
        /// Trích yếu, e.g. "Triển khai thực hiện Chiến lược phát triển thống kê".
        #[arg(long, value_name = "TRÍCH YẾU")]
        title: Option<String>,
        /// Who records it; default $DONDOC_ACTOR, else "cli:<user>".
        #[arg(long = "as", env = "DONDOC_ACTOR", value_name = "ACTOR")]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Xem một kế hoạch: cách trích dẫn, nguồn nhập.
    Show {
        #[arg(long)]
        plan: String,
        #[arg(long)]
        json: bool,
    },
    /// Liệt kê các kế hoạch và cách trích dẫn.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    Auto,
    Text,
    Csv,
    Xlsx,
}

/// Names a task.
#[derive(Debug, Clone, Args)]
pub struct TaskRef {
    /// Plan id, e.g. "QN-2022".
    #[arg(long)]
    pub plan: String,
    /// Task code (Mã số), e.g. "01123".
    #[arg(long)]
    pub code: String,
}

#[derive(Debug, Args)]
pub struct TaskArgs {
    /// Who acts (recorded in every event); default $DONDOC_ACTOR, else "cli:<user>".
    #[arg(long = "as", global = true, env = "DONDOC_ACTOR", value_name = "ACTOR")]
    pub actor: Option<String>,
    /// Act only if the task is still at this revision (else a conflict, exit 3).
    #[arg(long, global = true)]
    pub revision: Option<u64>,
    /// An id for this command (a UUID): running it again with the same id records nothing
    /// twice, so a script may retry a command whose outcome it did not see.
    #[arg(long, global = true, value_name = "UUID")]
    pub command_id: Option<uuid::Uuid>,
    /// Print the outcome as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub action: TaskAction,
}

/// Evidence of a report or a completion.
#[derive(Debug, Clone, Args)]
pub struct EvidenceArgs {
    /// Document number, e.g. "125/BC-UBND".
    #[arg(long)]
    pub document: Option<String>,
    #[arg(long)]
    pub link: Option<String>,
    /// A file whose SHA-256 is recorded.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[arg(long)]
    pub note: Option<String>,
}

/// A new deadline for a task or one of its occurrences.
#[derive(Debug, Clone, Args)]
pub struct ExtensionArgs {
    #[command(flatten)]
    pub task: TaskRef,
    /// Occurrence of a recurring task ("2025-Q3", "Quý III/2025").
    #[arg(long)]
    pub period: Option<String>,
    /// The new deadline ("Quý I/2026", "15/01/2026").
    #[arg(long, value_name = "EXPR")]
    pub to: String,
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Subcommand)]
pub enum TaskAction {
    /// Khai báo nhiệm vụ mới.
    Add {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        title: String,
        /// Lead agency (chủ trì).
        #[arg(long)]
        lead: String,
        /// Cooperating agency (phối hợp); repeat for several.
        #[arg(long = "coop")]
        cooperating: Vec<String>,
        /// Start, as written in the plan ("Tháng 9/2025").
        #[arg(long, value_name = "EXPR")]
        start: Option<String>,
        /// Finish / deadline, as written in the plan ("Quý IV/2025", "Hằng năm").
        #[arg(long, value_name = "EXPR")]
        finish: Option<String>,
        #[arg(long)]
        product: Option<String>,
        /// Track occurrences from this date (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        tracked_from: Option<NaiveDate>,
    },
    /// Bắt đầu thực hiện.
    Start {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        note: Option<String>,
    },
    /// Tạm dừng.
    Pause {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        reason: String,
    },
    /// Tiếp tục sau khi tạm dừng.
    Resume {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        note: Option<String>,
    },
    /// Báo cáo tiến độ.
    Progress {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        percent: Option<u8>,
        #[arg(long)]
        note: String,
        /// Occurrence of a recurring task ("2025-Q3", "Quý III/2025").
        #[arg(long)]
        period: Option<String>,
    },
    /// Nộp báo cáo / số liệu.
    Submit {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        period: Option<String>,
        #[command(flatten)]
        evidence: EvidenceArgs,
        /// When it was actually sent (RFC 3339), if earlier than now.
        #[arg(long, value_name = "RFC3339")]
        sent_at: Option<DateTime<FixedOffset>>,
    },
    /// Ghi nhận hoàn thành.
    Complete {
        #[command(flatten)]
        task: TaskRef,
        /// Completion date (default: today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: Option<NaiveDate>,
        #[command(flatten)]
        evidence: EvidenceArgs,
    },
    /// Đề nghị gia hạn.
    RequestExtension(ExtensionArgs),
    /// Gia hạn (tổ giúp việc).
    Extend(ExtensionArgs),
    /// Từ chối đề nghị gia hạn.
    RejectExtension {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Hủy nhiệm vụ.
    Cancel {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        reason: String,
    },
    /// Mở lại nhiệm vụ đã hoàn thành hoặc đã hủy.
    Reopen {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        reason: String,
    },
    /// Ghi nhận đã nhận nhắc việc (thay cho người nhận, ví dụ khi báo qua điện thoại);
    /// với --snooze-until: tạm không nhắc việc này đến hết ngày đó.
    Ack {
        #[command(flatten)]
        task: TaskRef,
        /// Occurrence of a recurring task ("2025-Q3", "Quý III/2025").
        #[arg(long)]
        period: Option<String>,
        /// No reminders about it until the end of this local day (dd/mm/yyyy).
        #[arg(long, value_name = "DATE")]
        snooze_until: Option<String>,
    },
    /// Thêm ghi chú.
    Comment {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        note: String,
    },
    /// Giao hoặc giao lại cơ quan chủ trì, phối hợp.
    Assign {
        #[command(flatten)]
        task: TaskRef,
        #[arg(long)]
        lead: String,
        #[arg(long = "coop")]
        cooperating: Vec<String>,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub task: TaskRef,
    /// Evaluate at this instant (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<DateTime<FixedOffset>>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub verify: Option<AuditCommand>,
    #[arg(long, required = false)]
    pub plan: Option<String>,
    #[arg(long, required = false)]
    pub code: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Kiểm tra toàn vẹn nhật ký: chuỗi băm của mọi luồng, dấu niêm phong (với khóa), và mốc đối chiếu nếu có.
    Verify {
        #[arg(long)]
        json: bool,
        /// An anchor saved by `audit anchor`: reports a log rolled back behind it.
        #[arg(long, value_name = "FILE")]
        anchor: Option<PathBuf>,
    },
    /// In mốc đối chiếu (dấu niêm phong mới nhất) để lưu ngoài máy chủ, đối chiếu về sau bằng `audit verify --anchor`.
    Anchor {
        /// Write the anchor (JSON) to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub plan: Option<String>,
    /// Only overdue tasks (chưa hoàn thành – quá hạn).
    #[arg(long)]
    pub overdue: bool,
    /// Only tasks not done and due within this many days ("7d", or "5wd" for working days).
    #[arg(long, value_name = "DURATION")]
    pub due_within: Option<String>,
    /// Lead or cooperating agency.
    #[arg(long)]
    pub agency: Option<String>,
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<DateTime<FixedOffset>>,
    /// Count the listed tasks per lead agency and category instead of listing them.
    #[arg(long)]
    pub by_agency: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub plan: String,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Output file (default: standard output for CSV, "<plan>.xlsx" for Excel).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Args)]
pub struct ProjectionsArgs {
    #[command(subcommand)]
    pub command: ProjectionsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Dựng lại các bảng từ đầu nhật ký sự kiện.
    Rebuild,
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
