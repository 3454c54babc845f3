//! `dondoc init`: the data directory, its configuration and database.

use anyhow::Result;

use crate::cli::Global;
use crate::datadir::{self, CONFIG_FILE, DB_FILE};
use crate::outln;

pub async fn run(global: &Global) -> Result<()> {
    let (dir, created) = datadir::init(global).await?;
    outln!("Thư mục dữ liệu: {}", dir.display());
    if created {
        outln!("Đã tạo tệp cấu hình {} (xem giải thích trong tệp).", dir.join(CONFIG_FILE).display());
    } else {
        outln!("Giữ nguyên tệp cấu hình đã có: {}", dir.join(CONFIG_FILE).display());
    }
    outln!("Cơ sở dữ liệu: {}", dir.join(DB_FILE).display());
    Ok(())
}
