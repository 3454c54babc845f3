//! Files kept beside the store by their content: evidence attached to reports and
//! completions. A file is written once under its SHA-256 (atomically: a temporary file,
//! synced, then renamed) with a small record of the name and type it was first uploaded
//! with; every read recomputes the hash, so a file changed on disk is refused, never
//! served. Events hold only the hash, name, size and type.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// What a stored file was uploaded as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobInfo {
    pub sha256: String,
    pub name: String,
    pub size: u64,
    pub media_type: String,
}

/// Why a file could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("không có tệp {0}")]
    NotFound(String),
    #[error("tệp {sha256} đã bị thay đổi trên đĩa (mã băm hiện là {found})")]
    Corrupted { sha256: String, found: String },
    #[error("lỗi đọc ghi tệp minh chứng: {0}")]
    Io(#[from] std::io::Error),
}

/// A directory of files named by their SHA-256.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
}

/// Whether `s` is a SHA-256 in lowercase hex.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl BlobStore {
    /// The files in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> BlobStore {
        BlobStore { dir: dir.into() }
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2]).join(sha256)
    }

    fn info_path(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2]).join(format!("{sha256}.json"))
    }

    /// Stores `bytes` (a file already there is kept as it is) and says what it is.
    pub fn put(&self, bytes: &[u8], name: &str, media_type: &str) -> Result<BlobInfo, BlobError> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let path = self.path(&sha256);
        let info_path = self.info_path(&sha256);
        if let Some(info) = self.info(&sha256)? {
            return Ok(info);
        }
        let parent = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let info = BlobInfo {
            sha256: sha256.clone(),
            name: name.to_string(),
            size: bytes.len() as u64,
            media_type: media_type.to_string(),
        };
        write_atomically(&path, bytes)?;
        write_atomically(&info_path, &serde_json::to_vec(&info).map_err(std::io::Error::other)?)?;
        Ok(info)
    }

    /// What the file `sha256` was uploaded as, if it is stored.
    pub fn info(&self, sha256: &str) -> Result<Option<BlobInfo>, BlobError> {
        if !is_sha256(sha256) {
            return Ok(None);
        }
        match std::fs::read(self.info_path(sha256)) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The file `sha256`, its hash checked.
    pub fn get(&self, sha256: &str) -> Result<(BlobInfo, Vec<u8>), BlobError> {
        let Some(info) = self.info(sha256)? else { return Err(BlobError::NotFound(sha256.to_string())) };
        let bytes = match std::fs::read(self.path(sha256)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(BlobError::NotFound(sha256.into())),
            Err(e) => return Err(e.into()),
        };
        let found = hex::encode(Sha256::digest(&bytes));
        if found != sha256 {
            return Err(BlobError::Corrupted { sha256: sha256.to_string(), found });
        }
        Ok((info, bytes))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_kept_by_hash_and_checked_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::new(dir.path().join("evidence"));
        let info = store.put(b"bao cao so 12", "bao-cao.pdf", "application/pdf").unwrap();
        // SHA-256 of the bytes, computed independently.
        assert_eq!(info.sha256, hex::encode(Sha256::digest(b"bao cao so 12")));
        assert_eq!(info.size, 13);
        let again = store.put(b"bao cao so 12", "khac.pdf", "application/pdf").unwrap();
        assert_eq!(again.name, "bao-cao.pdf", "the first upload names it");
        let (_, bytes) = store.get(&info.sha256).unwrap();
        assert_eq!(bytes, b"bao cao so 12");
        std::fs::write(store.path(&info.sha256), b"bao cao so 13").unwrap();
        assert!(matches!(store.get(&info.sha256), Err(BlobError::Corrupted { .. })));
        assert!(matches!(store.get(&"0".repeat(64)), Err(BlobError::NotFound(_))));
        assert!(matches!(store.get("../../etc/passwd"), Err(BlobError::NotFound(_))));
    }
}
