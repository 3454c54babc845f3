//! Connecting, and the tables (created when missing, in one transaction under an advisory
//! lock so that two daemons starting together do not race).

use tokio_postgres::{Client, Config};

use super::pg_error;
use crate::StoreError;

/// The schema version these tables are at.
pub(crate) const VERSION: i32 = 1;

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS dondoc_events (
    position    bigint PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    stream      text NOT NULL,
    revision    bigint NOT NULL CHECK (revision >= 0),
    event_type  text NOT NULL,
    data        text NOT NULL,
    metadata    text NOT NULL,
    recorded_at timestamptz NOT NULL,
    UNIQUE (stream, revision)
);
CREATE TABLE IF NOT EXISTS dondoc_log_head (
    one         smallint PRIMARY KEY CHECK (one = 1),
    position    bigint NOT NULL,
    recorded_at timestamptz
);
INSERT INTO dondoc_log_head (one, position) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS dondoc_schema (
    one     smallint PRIMARY KEY CHECK (one = 1),
    version integer NOT NULL
);
";

/// Connects (the connection runs on its own task) or names the address and the reason:
/// unreachable, refused, a wrong password, a server that wants TLS.
pub(crate) async fn connect(config: &Config, tls: &super::tls::Tls, address: &str) -> Result<Client, StoreError> {
    let (client, connection) = config.connect(tls.clone()).await.map_err(|e| connect_error(address, &e))?;
    // A connection that ends with an error: the client's next call reports it.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Why a connection failed, in words an operator acts on.
pub(crate) fn connect_error(address: &str, e: &tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let why = match code {
            // pg_hba.conf has no line for this connection without encryption.
            "28000" if db.message().contains("no encryption") => {
                "máy chủ chỉ nhận kết nối mã hóa TLS: thêm sslmode=require vào chuỗi kết nối (và sslrootcert=<tệp CA> nếu chứng chỉ do tỉnh tự cấp)"
            }
            "28P01" | "28000" => "sai tên đăng nhập hoặc mật khẩu",
            "3D000" => "không có cơ sở dữ liệu này",
            _ => db.message(),
        };
        return StoreError::Backend(format!("không kết nối được PostgreSQL {address}: {why} ({code})"));
    }
    // "error connecting to server: Connection refused (os error 111)": the cause too.
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    let why = if text.contains("timed out") || text.contains("timeout") {
        "quá thời gian chờ kết nối".to_string()
    } else if text.contains("server does not support TLS") {
        format!("chuỗi kết nối đòi TLS (sslmode) nhưng máy chủ không bật TLS: {text}")
    } else if text.contains("certificate") || text.contains("UnknownIssuer") {
        format!(
            "chứng chỉ TLS của máy chủ không được tin cậy: chỉ định tệp CA của tỉnh bằng sslrootcert=<tệp> trong chuỗi kết nối: {text}"
        )
    } else if text.contains("TLS") || text.contains("tls") || text.contains("SSL") {
        format!("lỗi kết nối mã hóa (TLS): {text}")
    } else {
        text
    };
    StoreError::Backend(format!("không kết nối được PostgreSQL {address}: {why}"))
}

/// Creates the tables when missing and checks the schema version.
pub(crate) async fn create(client: &Client, address: &str) -> Result<(), StoreError> {
    let err = |e: tokio_postgres::Error| pg_error(address, &e);
    client.batch_execute("BEGIN; SELECT pg_advisory_xact_lock(7273636973);").await.map_err(err)?;
    client.batch_execute(TABLES).await.map_err(err)?;
    let row = client.query_opt("SELECT version FROM dondoc_schema WHERE one = 1", &[]).await.map_err(err)?;
    match row.map(|r| r.get::<_, i32>(0)) {
        None => {
            client
                .execute("INSERT INTO dondoc_schema (one, version) VALUES (1, $1)", &[&VERSION])
                .await
                .map_err(err)?;
        }
        Some(v) if v > VERSION => {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(StoreError::Integrity {
                check: "schema".into(),
                detail: format!(
                    "các bảng dondoc ở phiên bản {v}, mới hơn phiên bản {VERSION} mà bản dondoc này đọc được"
                ),
            });
        }
        Some(_) => {}
    }
    client.batch_execute("COMMIT").await.map_err(err)?;
    Ok(())
}
