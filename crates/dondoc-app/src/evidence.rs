//! Evidence files: uploaded once, kept beside the store by their SHA-256
//! (`dondoc_store::blobs`), referred to by reports and completions (the event records the
//! hash, name, size and type, never the bytes), downloaded with the hash checked.

use dondoc_core::event::Evidence;
use dondoc_store::blobs::{BlobError, BlobInfo};

use crate::App;
use crate::error::{AppError, Result};

/// What may be uploaded: the largest size and the file types (by name extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidencePolicy {
    pub max_bytes: u64,
    /// Lowercase extensions without the dot ("pdf", "docx").
    pub extensions: Vec<String>,
}

impl Default for EvidencePolicy {
    fn default() -> Self {
        let extensions = ["pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "csv", "txt", "jpg", "jpeg", "png", "zip"];
        EvidencePolicy { max_bytes: 20 << 20, extensions: extensions.iter().map(|e| e.to_string()).collect() }
    }
}

/// A file refused for its size (HTTP 413) or type (HTTP 415), or accepted.
#[derive(Debug)]
pub enum Refusal {
    TooLarge(String),
    WrongType(String),
}

fn blob_error(e: BlobError) -> AppError {
    match e {
        BlobError::NotFound(h) => AppError::NotFound(format!("không có tệp minh chứng {h}")),
        BlobError::Corrupted { .. } => AppError::Integrity(e.to_string()),
        BlobError::Io(e) => AppError::Integrity(format!("lỗi đọc ghi tệp minh chứng: {e}")),
    }
}

/// Checks a file against the policy without storing it.
pub fn check(policy: &EvidencePolicy, name: &str, size: u64) -> std::result::Result<(), Refusal> {
    if size > policy.max_bytes {
        return Err(Refusal::TooLarge(format!(
            "tệp \"{name}\" ({} KB) lớn hơn giới hạn {} KB",
            size.div_ceil(1024),
            policy.max_bytes / 1024
        )));
    }
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
    if !policy.extensions.contains(&extension) {
        return Err(Refusal::WrongType(format!("tệp \"{name}\": chỉ nhận các loại {}", policy.extensions.join(", "))));
    }
    Ok(())
}

/// Stores an uploaded file (already checked with [`check`]).
pub async fn store(app: &App, name: &str, media_type: &str, bytes: Vec<u8>) -> Result<BlobInfo> {
    let blobs = app.blobs.clone();
    let (name, media_type) = (clean_name(name), media_type.to_string());
    tokio::task::spawn_blocking(move || blobs.put(&bytes, &name, &media_type))
        .await
        .map_err(|e| AppError::Integrity(e.to_string()))?
        .map_err(blob_error)
}

/// A file name without its path or control characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if cleaned.trim().is_empty() { "tep-minh-chung".to_string() } else { cleaned }
}

/// A stored file and what it was uploaded as, its hash checked.
pub async fn fetch(app: &App, sha256: &str) -> Result<(BlobInfo, Vec<u8>)> {
    let blobs = app.blobs.clone();
    let sha256 = sha256.trim().to_lowercase();
    tokio::task::spawn_blocking(move || blobs.get(&sha256))
        .await
        .map_err(|e| AppError::Integrity(e.to_string()))?
        .map_err(blob_error)
}

/// Evidence naming a file by its hash, completed with the file's name, size and type; a
/// hash no upload stored is an input error.
pub fn describe_file(app: &App, mut evidence: Evidence) -> Result<Evidence> {
    let Some(hash) = evidence.file_sha256.clone() else { return Ok(evidence) };
    let info =
        app.blobs.info(&hash).map_err(blob_error)?.ok_or_else(|| {
            AppError::Input(format!("tệp minh chứng {hash} chưa được tải lên (POST /api/v1/evidence)"))
        })?;
    evidence.file_name = Some(info.name);
    evidence.file_size = Some(info.size);
    evidence.file_type = Some(info.media_type);
    Ok(evidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_checks_size_and_type() {
        let policy = EvidencePolicy { max_bytes: 1000, extensions: vec!["pdf".into()] };
        assert!(check(&policy, "Báo cáo.PDF", 1000).is_ok());
        assert!(matches!(check(&policy, "a.pdf", 1001), Err(Refusal::TooLarge(_))));
        assert!(matches!(check(&policy, "a.exe", 10), Err(Refusal::WrongType(_))));
        assert!(matches!(check(&policy, "pdf", 10), Err(Refusal::WrongType(_))));
        assert_eq!(clean_name("C:\\tmp\\bao-cao.pdf"), "bao-cao.pdf");
        assert_eq!(clean_name("../../x\u{7}.pdf"), "x.pdf");
    }
}
