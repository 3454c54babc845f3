//! One sender per data directory: `serve` and `simulate` hold an exclusive lock on
//! `dondoc.lock` in the data directory for as long as they run. The lock is the operating
//! system's (released when the process ends, a crash included); the file says who holds
//! it, so a second sender names the first and exits at once. Other commands take no lock
//! and keep working beside a running daemon.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;

use anyhow::{Context, Result, anyhow};

/// The lock file inside the data directory.
pub const LOCK_FILE: &str = "dondoc.lock";

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Takes the data directory's lock for `command`, or says which process holds it.
pub fn acquire(dir: &Path, command: &str) -> Result<DirLock> {
    let path = dir.join(LOCK_FILE);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).with_context(|| format!("không mở được {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            let holder = format!("{} (PID {}, từ {})", command, std::process::id(), crate::clock::now()?.to_rfc3339());
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(holder.as_bytes())?;
            file.sync_all()?;
            Ok(DirLock { _file: file })
        }
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = if holder.trim().is_empty() { "một tiến trình khác".to_string() } else { holder };
            Err(anyhow!(
                "thư mục dữ liệu {} đang được dùng bởi dondoc {}: mỗi thư mục dữ liệu chỉ một tiến trình gửi nhắc việc",
                dir.display(),
                holder.trim()
            ))
        }
        Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("không khóa được {}", path.display())),
    }
}
