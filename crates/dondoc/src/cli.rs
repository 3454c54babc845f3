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

/// Tùy chọn dùng chung cho mọi lệnh.
#[derive(Debug, Args)]
pub struct Global {
    /// Thư mục dữ liệu (nhật ký sự kiện và các bảng dữ liệu); mặc định $DONDOC_DATA_DIR, nếu không có
    /// thì thư mục dữ liệu của tài khoản trên máy + "/dondoc" (ví dụ: ~/.local/share/dondoc).
    #[arg(long, global = true, env = "DONDOC_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Dùng tệp dữ liệu khác, đọc và ghi theo cấu hình của thư mục dữ liệu, ví dụ bản sao của một lần
    /// mô phỏng (`<outbox>/simulation.sqlite`).
    #[arg(long, global = true, env = "DONDOC_STORE", value_name = "FILE")]
    pub store: Option<PathBuf>,
    /// Tệp lịch (ngày lễ, thông báo nghỉ của từng năm); mặc định: bản config/calendar.toml đi kèm.
    #[arg(long, global = true, env = "DONDOC_CALENDAR", value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// Quy tắc tính hạn các kỳ báo cáo của nhiệm vụ định kỳ: nd09 (mặc định), end_of_period, khanh_hoa_2023.
    #[arg(long, global = true, env = "DONDOC_POLICY")]
    pub policy: Option<String>,
    /// Cách hiểu "Trước ngày D/M/Y": strict (hạn là ngày liền trước; mặc định) hoặc inclusive.
    #[arg(long, global = true, value_enum)]
    pub before_date: Option<BeforeDateArg>,
    /// Người thực hiện, ghi vào mọi sự kiện do lệnh tạo ra (đặt trước hoặc sau lệnh); mặc
    /// định $DONDOC_ACTOR, nếu không có thì "cli:<user>".
    #[arg(long = "as", global = true, env = "DONDOC_ACTOR", value_name = "NGƯỜI")]
    pub actor: Option<String>,
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
    /// Nhắc việc: nhật ký gửi, cho gửi lại, xem trước những nhắc việc một lượt quét sẽ gửi.
    Reminders(RemindersArgs),
    /// Kênh Zalo OA: cấp lại quyền (refresh token mới) khi Zalo đã từ chối token cũ.
    Zalo(ZaloArgs),
    /// Xem trước báo cáo tuần cho lãnh đạo (JSON, HTML, Excel), không gửi.
    Summary(SummaryArgs),
    /// Tài khoản đăng nhập trang web và API: thêm (mật khẩu đọc từ đầu vào chuẩn), xem, đổi mật khẩu, khóa, mở khóa.
    User(UserArgs),
    /// Chạy dịch vụ: lập lịch, nhắc việc, gửi thư điện tử/Telegram/Zalo, báo cáo tuần, API, /healthz.
    Serve(ServeArgs),
    /// Chạy mô phỏng trên đồng hồ ảo; mọi tin được ghi thành tệp JSON trong --outbox.
    Simulate(SimulateArgs),
    /// Chép toàn bộ nhật ký sang kho khác (PostgreSQL, EventStoreDB hoặc một tệp SQLite mới), giữ
    /// nguyên mã và chuỗi băm của từng sự kiện, rồi kiểm tra chuỗi băm trên kho đích; chạy lại để
    /// tiếp tục khi bị ngắt.
    Migrate(MigrateArgs),
    /// Sao lưu kho nhúng (tệp SQLite) thành một tệp nhất quán, kể cả khi dịch vụ đang chạy, rồi
    /// kiểm tra chuỗi băm và dấu niêm phong của bản sao.
    Backup(BackupArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Địa chỉ nghe (API, trang web, /healthz, webhook), thay cho [server] listen; ví dụ 127.0.0.1:8787.
    #[arg(long, value_name = "ĐỊA_CHỈ")]
    pub listen: Option<String>,
}

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub action: UserAction,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Thêm một tài khoản; mật khẩu (ít nhất 10 ký tự) đọc từ dòng đầu của đầu vào chuẩn.
    Add {
        /// Tên đăng nhập: a–z, 0–9, dấu chấm, gạch dưới, gạch ngang.
        #[arg(long)]
        name: String,
        /// officer (chuyên viên), agency_head (lãnh đạo cơ quan), secretariat (tổ giúp việc),
        /// leadership (lãnh đạo tỉnh), admin (quản trị tài khoản).
        #[arg(long)]
        role: String,
        /// Cơ quan (bắt buộc với officer và agency_head).
        #[arg(long)]
        agency: Option<String>,
        /// Họ và tên, hiện trên trang web và trong nhật ký.
        #[arg(long)]
        full_name: Option<String>,
        /// Mã người nhận nhắc việc trong danh bạ (ví dụ c001) của người này.
        #[arg(long)]
        contact: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Liệt kê các tài khoản.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Đặt mật khẩu mới (đọc từ đầu vào chuẩn); mọi phiên đăng nhập cũ hết hiệu lực.
    Passwd {
        #[arg(long)]
        name: String,
    },
    /// Khóa tài khoản; mọi phiên đăng nhập hết hiệu lực.
    Disable {
        #[arg(long)]
        name: String,
        #[arg(long)]
        reason: String,
    },
    /// Mở khóa tài khoản.
    Enable {
        #[arg(long)]
        name: String,
    },
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
    /// Thông báo: số, ký hiệu và ngày, ví dụ: "Thông báo 1234/TB-BNV ngày 20/10/2027".
    #[arg(long)]
    pub source: String,
    /// Năm ngày nghỉ Tết, dạng YYYY-MM-DD hoặc DD/MM/YYYY, cách nhau bằng dấu phẩy.
    #[arg(long, value_delimiter = ',', value_name = "DATES")]
    pub tet: Vec<String>,
    /// Hai ngày nghỉ Quốc khánh (ngày 2/9 và một ngày liền kề).
    #[arg(long, value_delimiter = ',', value_name = "DATES")]
    pub national_day: Vec<String>,
    /// Ngày làm việc được nghỉ theo thông báo (hoán đổi): DATE hoặc "DATE=NAME"; lặp lại cho nhiều ngày.
    #[arg(long = "day-off", value_name = "DATE[=NAME]")]
    pub day_off: Vec<String>,
    /// Thứ Bảy hoặc Chủ nhật làm việc bù: DATE hoặc "DATE=NAME"; lặp lại cho nhiều ngày.
    #[arg(long, value_name = "DATE[=NAME]")]
    pub worked: Vec<String>,
    /// Chỉ biết qua nguồn thứ cấp (báo chí), chưa đối chiếu với văn bản thông báo.
    #[arg(long)]
    pub unverified: bool,
    /// Chạy thử: chỉ in những gì sẽ thay đổi, không ghi.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ContactArgs {
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
        /// Chức vụ ghi ở dòng kính gửi, ví dụ: "Phó Chủ tịch UBND tỉnh".
        #[arg(long)]
        position: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Mã cuộc trò chuyện Telegram (chat id), hoặc liên kết sau bằng `contact link-code`.
        #[arg(long)]
        telegram: Option<String>,
        /// Mã người dùng Zalo (user id) theo Official Account của cơ quan.
        #[arg(long)]
        zalo: Option<String>,
        /// Số điện thoại nhận tin nhắn mẫu Zalo, ví dụ: 0901234567 hoặc 84901234567.
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
        /// Cần ghi khi có hai người nhận trùng tên.
        #[arg(long)]
        agency: Option<String>,
        /// Thời gian hiệu lực của mã (số giờ).
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
        /// Bắt đầu (RFC 3339, hoặc dd/mm/yyyy = 00:00 giờ địa phương); mặc định: ngay khi ghi.
        #[arg(long)]
        from: Option<String>,
        /// Kết thúc (RFC 3339, hoặc dd/mm/yyyy = đến hết ngày đó theo giờ địa phương).
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
        /// Đọc refresh token từ tệp này thay cho đầu vào chuẩn (không nhận token qua tham số của lệnh,
        /// vì sẽ bị lưu lại trong lịch sử của shell).
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct RemindersArgs {
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
        /// Chỉ các nhắc việc bị từ chối trên kênh này: email, telegram hoặc zalo.
        #[arg(long)]
        channel: Option<String>,
        /// Chỉ các lần từ chối ghi nhận từ thời điểm này trở đi (RFC 3339 hoặc dd/mm/yyyy).
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
    /// Thời điểm lập báo cáo (tuần báo cáo là 7 ngày trước ngày đó).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<DateTime<FixedOffset>>,
    /// Ghi summary.html, chart.png và tệp XLSX vào thư mục này.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Tệp sao lưu (chưa có). Khôi phục: dừng dịch vụ, chép tệp này thành dondoc.sqlite của thư mục dữ liệu.
    #[arg(long, value_name = "TỆP")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Kho đích: postgres://dondoc:MẬT_KHẨU@db1:5432/dondoc, esdb://node1:2113?tls=true, hoặc đường dẫn một tệp SQLite mới.
    #[arg(long, value_name = "KHO")]
    pub to: String,
    /// Chỉ chép tối đa chừng này sự kiện trong lần chạy này (chép dần; chạy lại để tiếp tục).
    #[arg(long, value_name = "SỐ")]
    pub max_events: Option<u64>,
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
    /// Thời gian ảo giữa hai nhịp đồng hồ: 15m, 1h, 30s, 1d.
    #[arg(long, default_value = "15m")]
    pub step: String,
    /// Thư mục mô phỏng: bản sao dữ liệu (`simulation.sqlite`, sao từ dữ liệu thật ở lần chạy đầu,
    /// các lần sau chạy tiếp) và mỗi tin gửi vào hộp thư đi là một tệp JSON; không ghi vào dữ liệu thật.
    #[arg(long, value_name = "DIR")]
    pub outbox: PathBuf,
    /// Nơi nhận tin: hộp thư đi (outbox, mặc định) hoặc các kênh cấu hình trong dondoc.toml
    /// (cho môi trường thử nghiệm trỏ tới máy chủ cục bộ).
    #[arg(long, value_enum, default_value = "outbox")]
    pub channels: SimulatedChannels,
    /// Với `--channels configured`: cho phép gửi tới địa chỉ ngoài máy này (cán bộ thật sẽ nhận
    /// tin mô phỏng).
    #[arg(long)]
    pub real_channels: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AgencyArgs {
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
        /// Ngày có hiệu lực (mặc định: hôm nay).
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: Option<NaiveDate>,
        /// Văn bản quyết định, ví dụ: "Quyết định 123/QĐ-UBND".
        #[arg(long)]
        reason: String,
    },
    /// Ghi nhận sáp nhập; chuyển các nhiệm vụ đang mở sang cơ quan mới.
    Merge {
        /// Cơ quan được sáp nhập; lặp lại cho nhiều cơ quan.
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
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub action: Option<ImportAction>,
    /// Kế hoạch: tệp Word (.docx), PDF, văn bản trích từ PDF/Word, CSV hoặc Excel.
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    /// Mã kế hoạch của các nhiệm vụ, ví dụ: "QN-2022" (mặc định: tên tệp, bỏ phần mở rộng).
    #[arg(long)]
    pub plan: Option<String>,
    /// Định dạng tệp (auto: theo phần mở rộng; phần mở rộng khác coi là văn bản).
    #[arg(long, value_enum, default_value_t = ImportFormat::Auto)]
    pub format: ImportFormat,
    /// Trang tính Excel cần đọc (mặc định: trang đầu tiên).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Chạy thử: chỉ in những gì sẽ thay đổi, không ghi.
    #[arg(long)]
    pub dry_run: bool,
    /// Ghi từng nhiệm vụ một (có thanh tiến độ), báo cáo các thay đổi không ghi được (mặc
    /// định: ghi mọi dòng đọc được trong một bước trọn vẹn).
    #[arg(long, conflicts_with = "strict")]
    pub partial: bool,
    /// Có dòng không đọc được thì không ghi gì (mặc định: ghi các dòng đọc được, đưa các
    /// dòng còn lại vào danh sách cần xem xét: `dondoc import review`).
    #[arg(long)]
    pub strict: bool,
    /// Xác nhận số nhiệm vụ bị rút khi kế hoạch sửa đổi rút nhiều hơn 3 nhiệm vụ hoặc hơn
    /// một phần mười kế hoạch.
    #[arg(long, value_name = "SỐ")]
    pub allow_withdraw: Option<usize>,
    /// In các thay đổi dạng JSON.
    #[arg(long)]
    pub json: bool,
    /// Theo dõi các kỳ của nhiệm vụ định kỳ từ ngày này (mặc định: hôm nay).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub tracked_from: Option<NaiveDate>,
    /// Cách trích dẫn kế hoạch khi tệp không ghi (CSV, Excel, bản dự thảo chưa ký): như
    /// `dondoc plan set`, ghi nhận sau khi nhập.
    #[command(flatten)]
    pub details: PlanDetailsArgs,
}

#[derive(Debug, Subcommand)]
pub enum ImportAction {
    /// Các dòng của lần nhập gần nhất chưa đọc được, cần xem xét: thêm bằng tay (`dondoc
    /// task add`) hoặc bỏ qua có lý do (--dismiss DÒNG --reason ...).
    Review {
        #[arg(long)]
        plan: String,
        /// Bỏ qua dòng này của danh sách (không cần nhiệm vụ, hoặc đã thêm bằng tay).
        #[arg(long, value_name = "DÒNG", requires = "reason")]
        dismiss: Option<usize>,
        /// Lý do bỏ qua.
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// Số, ký hiệu, ngày ban hành, cơ quan ban hành và trích yếu của kế hoạch.
#[derive(Debug, Clone, Default, Args)]
pub struct PlanDetailsArgs {
    /// Số, ký hiệu, ví dụ: "818/KH-UBND".
    #[arg(long = "plan-number", value_name = "SỐ/KÝ HIỆU")]
    pub number: Option<String>,
    /// Ngày ban hành: DD/MM/YYYY hoặc YYYY-MM-DD.
    #[arg(long = "plan-date", value_name = "NGÀY")]
    pub date: Option<String>,
    /// Cơ quan ban hành, ví dụ: "UBND tỉnh".
    #[arg(long = "plan-issuer", value_name = "CƠ QUAN")]
    pub issuer: Option<String>,
    /// Trích yếu, ví dụ: "Triển khai thực hiện Chiến lược phát triển thống kê".
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
        /// Mã kế hoạch, ví dụ: "QN-2022".
        #[arg(long)]
        plan: String,
        /// Số, ký hiệu, ví dụ: "818/KH-UBND".
        #[arg(long, value_name = "SỐ/KÝ HIỆU")]
        number: Option<String>,
        /// Ngày ban hành: DD/MM/YYYY hoặc YYYY-MM-DD.
        #[arg(long, value_name = "NGÀY")]
        date: Option<String>,
        /// Cơ quan ban hành, ví dụ: "UBND tỉnh".
        #[arg(long, value_name = "CƠ QUAN")]
        issuer: Option<String>,
        /// Trích yếu, ví dụ: "Triển khai thực hiện Chiến lược phát triển thống kê".
        #[arg(long, value_name = "TRÍCH YẾU")]
        title: Option<String>,
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
    Docx,
    Pdf,
}

/// Xác định một nhiệm vụ.
#[derive(Debug, Clone, Args)]
pub struct TaskRef {
    /// Mã kế hoạch, ví dụ: "QN-2022".
    #[arg(long)]
    pub plan: String,
    /// Mã số nhiệm vụ, ví dụ: "01123".
    #[arg(long)]
    pub code: String,
}

#[derive(Debug, Args)]
pub struct TaskArgs {
    /// Chỉ thực hiện khi nhiệm vụ vẫn ở phiên bản này (nếu không: xung đột, mã thoát 3).
    #[arg(long, global = true)]
    pub revision: Option<u64>,
    /// Mã của lệnh này (UUID): chạy lại với cùng mã thì không ghi trùng, nên tập lệnh có thể chạy lại
    /// một lệnh chưa rõ kết quả.
    #[arg(long, global = true, value_name = "UUID")]
    pub command_id: Option<uuid::Uuid>,
    /// In kết quả dạng JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub action: TaskAction,
}

/// Căn cứ của việc báo cáo hoặc hoàn thành.
#[derive(Debug, Clone, Args)]
pub struct EvidenceArgs {
    /// Số văn bản, ví dụ: "125/BC-UBND".
    #[arg(long)]
    pub document: Option<String>,
    #[arg(long)]
    pub link: Option<String>,
    /// Tệp kèm theo; ghi nhận mã SHA-256 của tệp.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[arg(long)]
    pub note: Option<String>,
}

/// Thời hạn mới của một nhiệm vụ hoặc một kỳ của nhiệm vụ.
#[derive(Debug, Clone, Args)]
pub struct ExtensionArgs {
    #[command(flatten)]
    pub task: TaskRef,
    /// Kỳ báo cáo của nhiệm vụ định kỳ ("2025-Q3", "Quý III/2025").
    #[arg(long)]
    pub period: Option<String>,
    /// Thời hạn mới ("Quý I/2026", "15/01/2026").
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
        /// Nội dung nhiệm vụ.
        #[arg(long)]
        title: String,
        /// Cơ quan chủ trì.
        #[arg(long)]
        lead: String,
        /// Cơ quan phối hợp; lặp lại cho nhiều cơ quan.
        #[arg(long = "coop")]
        cooperating: Vec<String>,
        /// Thời gian bắt đầu, ghi như trong kế hoạch ("Tháng 9/2025").
        #[arg(long, value_name = "EXPR")]
        start: Option<String>,
        /// Thời hạn, ghi như trong kế hoạch ("Quý IV/2025", "Hằng năm").
        #[arg(long, value_name = "EXPR")]
        finish: Option<String>,
        /// Sản phẩm.
        #[arg(long)]
        product: Option<String>,
        /// Theo dõi các kỳ từ ngày này (mặc định: hôm nay).
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
        /// Kỳ báo cáo của nhiệm vụ định kỳ ("2025-Q3", "Quý III/2025").
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
        /// Thời điểm thực tế đã gửi (RFC 3339), nếu sớm hơn thời điểm ghi.
        #[arg(long, value_name = "RFC3339")]
        sent_at: Option<DateTime<FixedOffset>>,
    },
    /// Ghi nhận hoàn thành.
    Complete {
        #[command(flatten)]
        task: TaskRef,
        /// Ngày hoàn thành (mặc định: hôm nay).
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
        /// Kỳ báo cáo của nhiệm vụ định kỳ ("2025-Q3", "Quý III/2025").
        #[arg(long)]
        period: Option<String>,
        /// Tạm không nhắc việc này đến hết ngày đã ghi (dd/mm/yyyy, giờ địa phương).
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
    /// Yêu cầu cơ quan chủ trì giải trình nhiệm vụ quá hạn (tổ giúp việc).
    RequestExplanation {
        #[command(flatten)]
        task: TaskRef,
        /// Hạn giải trình (dd/mm/yyyy hoặc YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        by: String,
        /// Nội dung cần giải trình.
        #[arg(long)]
        reason: String,
    },
    /// Ghi nhận giải trình của cơ quan chủ trì.
    Explain {
        #[command(flatten)]
        task: TaskRef,
        /// Nội dung giải trình.
        #[arg(long)]
        text: String,
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
    /// Xem tại thời điểm này (RFC 3339) thay cho thời điểm hiện tại.
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
    /// Kiểm tra toàn vẹn nhật ký: chuỗi băm của mọi luồng, dấu niêm phong (với khóa), và mốc đối
    /// chiếu nếu có.
    Verify {
        #[arg(long)]
        json: bool,
        /// Mốc đối chiếu đã lưu bằng `audit anchor`: phát hiện nhật ký bị đưa về trạng thái trước mốc.
        #[arg(long, value_name = "FILE")]
        anchor: Option<PathBuf>,
    },
    /// In mốc đối chiếu (dấu niêm phong mới nhất) để lưu ngoài máy chủ, đối chiếu về sau bằng
    /// `audit verify --anchor`.
    Anchor {
        /// Ghi mốc đối chiếu (JSON) vào tệp này thay cho đầu ra chuẩn.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub plan: Option<String>,
    /// Chỉ các nhiệm vụ chưa hoàn thành – quá hạn.
    #[arg(long)]
    pub overdue: bool,
    /// Chỉ các nhiệm vụ chưa hoàn thành, đến hạn trong số ngày này ("7d"; "5wd" là 5 ngày làm việc).
    #[arg(long, value_name = "DURATION")]
    pub due_within: Option<String>,
    /// Cơ quan chủ trì hoặc cơ quan phối hợp.
    #[arg(long)]
    pub agency: Option<String>,
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<DateTime<FixedOffset>>,
    /// Đếm số nhiệm vụ theo cơ quan chủ trì và phân loại, không liệt kê từng nhiệm vụ.
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
    /// Tệp xuất (mặc định: đầu ra chuẩn với CSV, "<plan>.xlsx" với Excel).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<DateTime<FixedOffset>>,
    /// CSV: tiêu đề cột tiếng Việt như báo cáo và ngày dd/mm/yyyy, thay cho tên cột và ngày ISO
    /// dành cho tập lệnh.
    #[arg(long)]
    pub vietnamese: bool,
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
    /// Biểu thức thời gian ghi như trong kế hoạch, ví dụ: "Quý IV/2025".
    pub expr: String,
    /// Đọc là thời hạn (mặc định) hay thời gian bắt đầu (cách viết cũ `--as` vẫn dùng được).
    #[arg(long = "reading", value_enum, default_value_t = Reading::Deadline)]
    pub reading: Reading,
    /// Ngày đầu của khoảng tính các kỳ định kỳ (mặc định: ngày 01/01 của năm ghi ở --to,
    /// hoặc của năm nay).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<NaiveDate>,
    /// Ngày cuối của khoảng (mặc định: một năm sau --from trừ một ngày, hoặc ngày 31/12 năm nay).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<NaiveDate>,
    /// In một đối tượng JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HolidaysArgs {
    pub year: i32,
    /// In một mảng JSON gồm các {date, name, kind}.
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
