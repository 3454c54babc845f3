//! `dondoc init`: the data directory, its configuration and database.

use anyhow::Result;

use crate::cli::Global;
use crate::datadir::{self, CONFIG_FILE};
use crate::outln;

pub async fn run(global: &Global) -> Result<()> {
    let datadir::Initialised { dir, config_created: created, seal_key, store } = datadir::init(global).await?;
    outln!("Thư mục dữ liệu: {}", dir.display());
    match seal_key {
        Some((path, true)) => outln!(
            "Đã tạo khóa niêm phong nhật ký {} (chỉ người dùng này đọc được; giữ bản sao an toàn, không để trong thư mục dữ liệu).",
            path.display()
        ),
        Some((path, false)) => outln!("Khóa niêm phong nhật ký: {}", path.display()),
        None => outln!("Chưa có khóa niêm phong: đặt [audit] seal_key_file trong tệp cấu hình."),
    }
    if created {
        outln!("Đã tạo tệp cấu hình {} (xem giải thích trong tệp).", dir.join(CONFIG_FILE).display());
    } else {
        outln!("Giữ nguyên tệp cấu hình đã có: {}", dir.join(CONFIG_FILE).display());
    }
    outln!("Cơ sở dữ liệu: {store}");
    Ok(())
}
