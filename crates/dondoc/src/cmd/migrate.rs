//! `dondoc migrate --to URL`: the whole history copied to another store, verified there.

use anyhow::Result;
use dondoc_app::AppError;

use crate::cli::{Global, MigrateArgs};
use crate::datadir::DataDir;
use crate::outln;

pub async fn run(global: &Global, args: &MigrateArgs) -> Result<()> {
    if !dondoc_store::any::Store::is_server_url(&args.to) {
        return Err(AppError::Input(format!(
            "kho đích \"{}\": chỉ chuyển được sang PostgreSQL (postgres://…) hoặc EventStoreDB/KurrentDB (esdb://…, kurrentdb://…)",
            args.to.split("://").next().unwrap_or(&args.to)
        ))
        .into());
    }
    let app = DataDir::locate(global)?.open(global, dondoc_app::Delivery::none()?, crate::clock::cli()?).await?;
    let target = crate::datadir::connect(&args.to).await?;
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
