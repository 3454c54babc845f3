//! TLS to the server. A URL without `sslmode` connects in plain text, as dondoc always
//! has; `sslmode=require` (or `prefer`) uses TLS through rustls and always verifies the
//! server's certificate: against the system's roots, or against the CA in
//! `sslrootcert=<file>` (dondoc reads that parameter itself: a province's own CA).
//! There is no mode that accepts an unverified certificate.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::StoreError;

/// The connector every connection of a store uses.
pub type Tls = MakeRustlsConnect;

/// A URL as tokio-postgres reads it (without `sslrootcert`), the CA file if one was
/// named, and whether `sslmode` was given.
pub(crate) fn split(url: &str) -> (String, Option<PathBuf>, bool) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_owned(), None, false) };
    let mut ca = None;
    let mut kept = Vec::new();
    let mut mode = false;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslrootcert", path)) => ca = Some(PathBuf::from(path)),
            Some(("sslmode", _)) => {
                mode = true;
                kept.push(pair);
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    (url, ca, mode)
}

/// Plain text unless the URL asked for TLS.
pub(crate) fn default_mode(config: &mut tokio_postgres::Config, mode_given: bool) {
    if !mode_given {
        config.ssl_mode(SslMode::Disable);
    }
}

/// The connector: the CA file's certificates, or the system's roots.
pub(crate) fn connector(ca: Option<&std::path::Path>) -> Result<Tls, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| StoreError::Invalid(format!("sslrootcert: không đọc được {}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(StoreError::Invalid(format!("sslrootcert: {} không có chứng chỉ nào", path.display())));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| StoreError::Invalid(format!("sslrootcert: chứng chỉ không dùng được: {e}")))?;
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Invalid(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslrootcert_is_ours_and_sslmode_is_noticed() {
        assert_eq!(split("postgres://u@h/db"), ("postgres://u@h/db".into(), None, false));
        assert_eq!(
            split("postgres://u@h/db?sslmode=require&sslrootcert=/etc/ca.pem&target_session_attrs=read-write"),
            (
                "postgres://u@h/db?sslmode=require&target_session_attrs=read-write".into(),
                Some("/etc/ca.pem".into()),
                true
            )
        );
        assert_eq!(
            split("postgres://u@h/db?sslrootcert=ca.pem"),
            ("postgres://u@h/db".into(), Some("ca.pem".into()), false)
        );
    }
}
