//! The scenario shared by the daemon tests: the Quảng Nam statistics plan imported from
//! its document, and five contacts (two officers, the head of the statistics office, the
//! secretariat on Zalo, and a provincial leader).

use std::path::{Path, PathBuf};

/// The `shared/` folder with the seed documents.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("DONDOC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// Who is in the contact book: (name, agency, role, channel arguments). Ids c001–c005.
pub const CONTACTS: &[(&str, &str, &str, &[&str])] = &[
    ("Nguyễn Văn An", "Cục Thống kê tỉnh", "officer", &["--email", "an@thongke.example.vn"]),
    ("Trần Thị Bình", "UBND tỉnh", "officer", &["--telegram", "1001", "--email", "binh@ubnd.example.vn"]),
    ("Lê Văn Cường", "Cục Thống kê tỉnh", "head", &["--email", "cuong@thongke.example.vn"]),
    ("Phạm Thu Dung", "Văn phòng UBND tỉnh", "secretariat", &["--zalo", "5005", "--phone", "0905123456"]),
    ("Hồ Quang Em", "UBND tỉnh", "leadership", &["--email", "em@ubnd.example.vn", "--telegram", "2002"]),
];

/// Initialises `data`, imports the plan as QN-2022 and adds the contacts, running each
/// command with `dondoc`.
pub fn setup(data: &Path, dondoc: impl Fn(&Path, &[&str])) {
    dondoc(data, &["init"]);
    let seed = shared_dir().join("seeds/quang-nam-cltk-2022.txt");
    dondoc(data, &["import", seed.to_str().unwrap(), "--plan", "QN-2022"]);
    for (name, agency, role, extra) in CONTACTS {
        let mut args = vec!["contact", "add", "--name", name, "--agency", agency, "--role", role];
        args.extend_from_slice(extra);
        dondoc(data, &args);
    }
}

/// A delivery key without its channel: the reminder's identity.
pub fn reminder_id(key: &str) -> String {
    key.rsplit_once('/').unwrap().0.to_string()
}
