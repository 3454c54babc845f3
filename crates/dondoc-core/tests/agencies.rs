//! The shipped agency directory (`config/agencies.toml`) knows every agency named in the
//! seed plans, and the 2025 reorganisation moves the old names to their successors.

use std::path::PathBuf;

use chrono::NaiveDate;
use dondoc_core::agency::{AgencyConfig, Directory, Resolution};

fn directory() -> Directory {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/agencies.toml")).unwrap();
    Directory::new(toml::from_str::<AgencyConfig>(&text).unwrap())
}

fn shared_dir() -> PathBuf {
    std::env::var_os("DONDOC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

#[test]
fn every_agency_of_the_seed_plans_is_known() {
    let dir = directory();
    let mut unknown = Vec::new();
    for file in [
        "quang-nam-cltk-2022.tasks.csv",
        "dong-thap-thong-ke-2026.tasks.csv",
        "kon-tum-1012-2024.tasks.csv",
        "kon-tum-1012-2024.indicators.csv",
    ] {
        let mut reader = csv::Reader::from_path(shared_dir().join("seeds/expected").join(file)).unwrap();
        let headers = reader.headers().unwrap().clone();
        for record in reader.records() {
            let record = record.unwrap();
            for (h, cell) in headers.iter().zip(record.iter()) {
                if h != "lead" && h != "cooperating" {
                    continue;
                }
                for name in cell.split("; ").filter(|n| !n.is_empty()) {
                    if let Resolution::Unknown { closest } = dir.resolve(name) {
                        unknown.push(format!("{file}: {name:?} (closest: {closest:?})"));
                    }
                }
            }
        }
    }
    unknown.sort();
    unknown.dedup();
    assert!(unknown.is_empty(), "{} unknown names:\n{}", unknown.len(), unknown.join("\n"));
}

#[test]
fn the_2025_reorganisation() {
    let dir = directory();
    let after = NaiveDate::from_ymd_opt(2025, 8, 1).unwrap();
    let before = NaiveDate::from_ymd_opt(2024, 12, 1).unwrap();
    for (old, new) in [
        ("Sở KH&ĐT", "Sở Tài chính"),
        ("Sở Kế hoạch và Đầu tư", "Sở Tài chính"),
        ("Sở Thông tin và Truyền thông", "Sở Khoa học và Công nghệ"),
        ("Cục Thống kê tỉnh", "Thống kê tỉnh"),
        ("Sở Tài nguyên và Môi trường", "Sở Nông nghiệp và Môi trường"),
        ("UBND các huyện, thị xã, thành phố", "UBND các xã, phường"),
    ] {
        assert_eq!(dir.successor(old, after).as_deref(), Some(new), "{old}");
        assert_eq!(dir.successor(old, before), None, "{old} before the reorganisation");
    }
    assert_eq!(dir.successor("Sở Tài chính", after), None);
}
