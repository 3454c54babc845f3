//! The seal key's file: where it is, creating it (`init`), reading it. The key must live
//! outside the data directory, so that a copy or an edit of the data directory cannot
//! forge seals; the file is readable by its owner only.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use dondoc_store::seal::SealKey;

use crate::config::FileConfig;

/// Where the seal key of the data directory `dir` is: `[audit] seal_key_file`, else
/// `$DONDOC_SEAL_KEY`, else `<user config>/dondoc/seal.key`. `None` when none can be named.
pub fn path(config: &FileConfig, dir: &Path) -> Option<PathBuf> {
    let configured = config
        .audit
        .seal_key_file
        .clone()
        .map(|p| if p.is_absolute() { p } else { dir.parent().unwrap_or(Path::new("/")).join(p) });
    configured
        .or_else(|| std::env::var_os("DONDOC_SEAL_KEY").filter(|v| !v.is_empty()).map(PathBuf::from))
        .or_else(|| dirs::config_dir().map(|d| d.join("dondoc").join("seal.key")))
}

/// Refuses a key inside the data directory.
fn check_outside(key: &Path, dir: &Path) -> Result<()> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let parent = key.parent().map(canonical).unwrap_or_default();
    if parent.starts_with(canonical(dir)) {
        bail!(
            "khóa niêm phong {} nằm trong thư mục dữ liệu: hãy để ở nơi khác ([audit] seal_key_file), \
             nếu không ai sao chép được thư mục dữ liệu cũng giả được dấu niêm phong",
            key.display()
        );
    }
    Ok(())
}

/// Reads the key; `None` (with a warning) when its file does not exist.
pub fn load(config: &FileConfig, dir: &Path) -> Result<Option<SealKey>> {
    let Some(path) = path(config, dir) else {
        eprintln!(
            "cảnh báo: không xác định được nơi để khóa niêm phong ([audit] seal_key_file): sự kiện ghi lần này không được niêm phong"
        );
        return Ok(None);
    };
    check_outside(&path, dir)?;
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(SealKey::from_hex(&text).with_context(|| format!("khóa niêm phong {}", path.display()))?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "cảnh báo: không có khóa niêm phong {} (dondoc init tạo khóa): sự kiện ghi lần này không được niêm phong",
                path.display()
            );
            Ok(None)
        }
        Err(e) => Err(e).with_context(|| format!("không đọc được khóa niêm phong {}", path.display())),
    }
}

/// Creates the key file (32 random bytes in hex, mode 0600, its directory 0700) unless it
/// exists; returns its path and whether it was created.
pub fn create(config: &FileConfig, dir: &Path) -> Result<Option<(PathBuf, bool)>> {
    let Some(path) = path(config, dir) else { return Ok(None) };
    check_outside(&path, dir)?;
    if path.exists() {
        return Ok(Some((path, false)));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("không tạo được {}", parent.display()))?;
    }
    // Written whole under a temporary name, then linked into place: another process never
    // reads a half-written key, and one that created it meanwhile keeps its own.
    let key: [u8; 32] = rand::random();
    let temp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e).with_context(|| format!("không ghi được {}", temp.display()));
    }
    let linked = std::fs::hard_link(&temp, &path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(Some((path, true))),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Some((path, false))),
        Err(e) => Err(e).with_context(|| format!("không tạo được khóa niêm phong {}", path.display())),
    }
}
