//! `dondoc zalo authorize`: a new authorisation of the Official Account after Zalo refused
//! the stored refresh token (expired after three months unused, revoked, or spent by
//! another copy of the token file). The administrator obtains a new refresh token (Zalo's
//! OAuth consent page or the developer console) and hands it to this command, which
//! exchanges it at once for a pair and writes the token file; a running daemon adopts the
//! pair at its next Zalo send and the channel is healthy again.

use std::io::Read as _;

use anyhow::{Context, Result};
use dondoc_app::AppError;
use dondoc_notify::channel::zalo;

use crate::channels::zalo_config;
use crate::cli::{Global, ZaloAction, ZaloArgs};
use crate::datadir::DataDir;
use crate::outln;

pub async fn run(global: &Global, args: &ZaloArgs) -> Result<()> {
    match &args.action {
        ZaloAction::Authorize { from_file } => {
            let data = DataDir::locate(global)?;
            let config = zalo_config(&data)?
                .ok_or_else(|| AppError::Input("chưa cấu hình kênh Zalo ([zalo] trong dondoc.toml)".to_string()))?;
            let raw = match from_file {
                Some(path) => {
                    std::fs::read_to_string(path).with_context(|| format!("không đọc được {}", path.display()))?
                }
                None => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s).context("không đọc được refresh token từ đầu vào chuẩn")?;
                    s
                }
            };
            let token = raw.trim();
            if token.is_empty() || token.contains(char::is_whitespace) {
                return Err(AppError::Input(
                    "refresh token rỗng hoặc có khoảng trắng: hãy dán đúng một refresh token".to_string(),
                )
                .into());
            }
            let pair = zalo::authorize(&config, token, crate::clock::cli()?)
                .await
                .map_err(|e| AppError::Refused(format!("Zalo không cấp token mới: {e}")))?;
            outln!(
                "Đã cấp lại quyền cho Zalo OA: token mới đã ghi vào {} (hết hạn truy cập lúc {}). \
                 Dịch vụ đang chạy sẽ dùng token này ở lần gửi Zalo kế tiếp.",
                config.token_file.display(),
                pair.expires_at.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).format("%H:%M %d/%m/%Y")
            );
            Ok(())
        }
    }
}
