//! `dondoc backup --out FILE`: a consistent online copy of the embedded store (the log,
//! its seals and the read models, as of one moment; writers go on meanwhile), then the
//! copy's chains and seals checked as `audit verify` checks them. Restoring is copying
//! the file back as `dondoc.sqlite` with the daemon stopped (docs/huong-dan-su-dung.md).

use anyhow::Result;
use dondoc_app::AppError;
use dondoc_store::any::Store;
use dondoc_store::sqlite::SqliteStore;

use crate::cli::{BackupArgs, Global};
use crate::datadir::DataDir;
use crate::outln;

pub async fn run(global: &Global, args: &BackupArgs) -> Result<()> {
    let data = DataDir::locate(global)?;
    let db = data.db();
    if Store::is_server_url(&db.to_string_lossy()) {
        return Err(AppError::Input(
            "nhật ký đang ở máy chủ: sao lưu bằng công cụ của máy chủ (pg_basebackup/pg_dump; bản sao lưu của \
             EventStoreDB), hoặc chép sang một tệp mới bằng dondoc migrate --to <tệp>"
                .into(),
        )
        .into());
    }
    SqliteStore::copy_file(&db, &args.out).map_err(AppError::from)?;
    let size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    let copy = data.open_at(&args.out, global, dondoc_app::Delivery::none()?, crate::clock::cli()?).await?;
    let report = dondoc_app::audit::verify(&copy, None).await?;
    outln!(
        "Đã sao lưu {} vào {} ({:.1} MB): {} sự kiện trong {} luồng.",
        db.display(),
        args.out.display(),
        size as f64 / 1e6,
        report.chains.events,
        report.chains.streams
    );
    match (&report.chains.first_break, &report.seals) {
        (Some(b), _) => {
            return Err(AppError::Integrity(format!("chuỗi băm của bản sao lưu bị phá vỡ ở {b}")).into());
        }
        (None, Some(seals)) if !seals.holds() => {
            return Err(AppError::Integrity(
                "dấu niêm phong của bản sao lưu không khớp: chạy dondoc audit verify trên kho gốc".into(),
            )
            .into());
        }
        (None, Some(seals)) => outln!(
            "Kiểm tra bản sao lưu: chuỗi băm khớp; {} dấu niêm phong khớp ({} sự kiện được niêm phong).",
            seals.seals,
            seals.sealed_events
        ),
        (None, None) => {
            outln!("Kiểm tra bản sao lưu: chuỗi băm khớp (không có khóa niêm phong để kiểm tra dấu niêm phong).")
        }
    }
    outln!(
        "Sao lưu riêng: tệp khóa niêm phong, dondoc.toml, thư mục evidence/ và tệp mã Zalo. Khôi phục: dừng dịch vụ, \
         chép tệp này thành {}, rồi chạy dondoc audit verify.",
        db.display()
    );
    Ok(())
}
