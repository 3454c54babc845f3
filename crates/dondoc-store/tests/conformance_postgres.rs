//! The conformance suite against a real PostgreSQL server that the test starts
//! (`dondoc_testkit::postgres`): each check on a database of its own, then all of them on
//! one shared database (as on a server with history).

use dondoc_store::conformance;
use dondoc_store::postgres::PgStore;
use dondoc_testkit::postgres::{PgServer, bin_dir};
use dondoc_testkit::skip::skip;

/// A server, or `None` (recorded as a skip) where PostgreSQL is not installed.
fn server(test: &str) -> Option<PgServer> {
    if bin_dir().is_none() {
        skip(test, "PostgreSQL's server binaries are not installed (Debian package postgresql)");
        return None;
    }
    Some(PgServer::start())
}

macro_rules! check {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let Some(server) = server(concat!("conformance_postgres::", stringify!($name))) else { return };
            let url = server.create_db("conformance");
            let store = PgStore::connect(&url).await.expect("connect");
            conformance::$name(&store).await;
        }
    )*};
}

check!(
    expected_revision_conflicts,
    append_results,
    concurrent_writers,
    read_all_order,
    read_stream_directions,
    subscription_handover,
    large_and_vietnamese,
    idempotent_retry,
    invalid_requests,
    chains_verify,
    group_appends_are_atomic,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_all_on_one_shared_database_and_on_separate_handles() {
    let Some(server) = server("conformance_postgres::run_all_on_one_shared_database_and_on_separate_handles") else {
        return;
    };
    let url = server.create_db("shared");
    let store = PgStore::connect(&url).await.expect("connect");
    conformance::run_all(|| store.clone()).await;
    // Every check with a handle of its own (its own writer), on the same database: as two
    // daemons writing to one log.
    let mut handles = Vec::new();
    for _ in 0..conformance::CHECKS {
        handles.push(PgStore::connect(&url).await.expect("connect"));
    }
    let handles = std::sync::Mutex::new(handles.into_iter());
    conformance::run_all(|| handles.lock().unwrap().next().expect("a handle per check")).await;
}

/// Two handles, each with its own knowledge of the log, taking turns on the same streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_in_two_handles_taking_turns_never_trust_stale_knowledge() {
    let Some(server) = server("conformance_postgres::writers_in_two_handles_taking_turns") else { return };
    let url = server.create_db("turns");
    let (a, b) = (PgStore::connect(&url).await.expect("a"), PgStore::connect(&url).await.expect("b"));
    conformance::writers_taking_turns(&a, &b).await;
}

/// TLS: a server that takes only TLS connections names a plain connection's refusal as
/// such; `sslmode=require` with the province's CA (`sslrootcert`) works; without the CA
/// the certificate is not trusted, and said so; TLS asked of a server without it is named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_verified_and_a_mismatch_is_named() {
    use dondoc_store::{EventStore, ExpectedRevision};
    let Some(_) = server("conformance_postgres::tls_is_verified_and_a_mismatch_is_named") else { return };
    let server = PgServer::start_tls_only();
    let url = server.create_db("tls");
    let message = |r: Result<PgStore, dondoc_store::StoreError>| match r {
        Ok(_) => panic!("connected"),
        Err(e) => e.to_string(),
    };
    let plain = message(PgStore::connect(&url).await);
    assert!(plain.contains("chỉ nhận kết nối mã hóa TLS") && plain.contains("sslmode=require"), "{plain}");
    let untrusted = message(PgStore::connect(&format!("{url}?sslmode=require")).await);
    assert!(untrusted.contains("không được tin cậy") && untrusted.contains("sslrootcert"), "{untrusted}");
    let verified = format!("{url}?sslmode=require&sslrootcert={}", server.ca_file().display());
    let store = PgStore::connect(&verified).await.expect("TLS with the CA");
    let s = conformance::fresh_stream("tls");
    store
        .append(&s, ExpectedRevision::NoStream, vec![conformance::event(serde_json::json!({"qua": "TLS"}))])
        .await
        .unwrap();
    assert_eq!(server.psql("tls", "SELECT count(*) FROM dondoc_events").trim(), "1");
    let ssl_in_use = server.psql("tls", "SELECT bool_or(ssl) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE datname = 'tls' AND application_name <> 'psql'");
    assert_eq!(ssl_in_use.trim(), "t", "the store's connections are encrypted");

    let plain_server = PgServer::start();
    let url = plain_server.create_db("plain");
    let asked = message(PgStore::connect(&format!("{url}?sslmode=require")).await);
    assert!(asked.contains("máy chủ không bật TLS"), "{asked}");
}
