//! `dondoc migrate --to URL`: the whole history copied to another store, verified there.

use anyhow::Result;
use dondoc_app::AppError;

use crate::cli::{Global, MigrateArgs};
use crate::datadir::DataDir;
use crate::outln;

pub async fn run(global: &Global, args: &MigrateArgs) -> Result<()> {
    let app = DataDir::locate(global)?.open(global, dondoc_app::Delivery::none()?, crate::clock::cli()?).await?;
    let target = if dondoc_store::any::Store::is_server_url(&args.to) {
        crate::datadir::connect(&args.to).await?
    } else {
        // A file: a new embedded store (or one an interrupted run began), sealed with this
        // deployment's seal key when it has one.
        let path = std::path::Path::new(&args.to);
        let same = match (std::fs::canonicalize(path), app.store.sqlite().map(|s| std::fs::canonicalize(s.path()))) {
            (Ok(a), Some(Ok(b))) => a == b,
            _ => false,
        };
        if same {
            return Err(AppError::Input("kho đích là chính tệp nhật ký đang dùng".into()).into());
        }
        let options =
            dondoc_store::sqlite::SqliteOptions { seal_key: app.settings.seal_key.clone(), ..Default::default() };
        dondoc_store::any::Store::Sqlite(
            dondoc_store::sqlite::SqliteStore::open_with(path, options).map_err(AppError::from)?,
        )
    };
    outln!("Chép nhật ký từ {} sang {}.", app.store.describe(), target.describe());
    let report = dondoc_app::migrate::migrate(&app.store, &target, args.max_events, &|n| {
        if n % 10_000 == 0 {
            eprintln!("  đã chép {n} sự kiện");
        }
    })
    .await?;
    if report.resumed_after > 0 {
        outln!("Tiếp tục sau {} sự kiện đã chép ở lần trước.", report.resumed_after);
    }
    outln!(
        "Đã chép {} sự kiện; kho đích có {} / {} sự kiện.",
        report.copied,
        report.resumed_after + report.copied,
        report.source_events
    );
    match &report.verified {
        None => {
            outln!("Chưa chép hết: chạy lại lệnh này để tiếp tục.");
            Ok(())
        }
        Some(v) if v.first_break.is_none() => {
            outln!("Kiểm tra chuỗi băm trên kho đích: {} sự kiện, {} luồng, không có chỗ hỏng.", v.events, v.streams);
            Ok(())
        }
        Some(v) => Err(AppError::Integrity(format!(
            "chuỗi băm trên kho đích bị hỏng: {}",
            v.first_break.as_ref().map_or(String::new(), |b| b.to_string())
        ))
        .into()),
    }
}
