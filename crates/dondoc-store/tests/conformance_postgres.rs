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
    for _ in 0..11 {
        handles.push(PgStore::connect(&url).await.expect("connect"));
    }
    let handles = std::sync::Mutex::new(handles.into_iter());
    conformance::run_all(|| handles.lock().unwrap().next().expect("a handle per check")).await;
}

/// Two handles (two writers, each with its own knowledge of the log) taking turns on the
/// same streams: a writer whose knowledge is stale writes nothing on its one-round-trip
/// path and decides again on what the server has, so revisions stay contiguous, stale
/// expectations are refused and every chain verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_in_two_handles_taking_turns_never_trust_stale_knowledge() {
    use dondoc_store::{EventStore, ExpectedRevision, StoreError};
    let Some(server) = server("conformance_postgres::writers_in_two_handles_taking_turns") else { return };
    let url = server.create_db("turns");
    let (a, b) = (PgStore::connect(&url).await.expect("a"), PgStore::connect(&url).await.expect("b"));
    let s = conformance::fresh_stream("turns");
    let ev = |n: usize| conformance::event(serde_json::json!({"n": n}));
    a.append(&s, ExpectedRevision::NoStream, vec![ev(0)]).await.unwrap();
    for n in 1..40usize {
        let (writer, other) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let r = writer.append(&s, ExpectedRevision::Exact(n as u64 - 1), vec![ev(n)]).await.unwrap();
        assert_eq!(r.revision, n as u64);
        // The other handle last saw the stream one revision earlier: refused, not written.
        match other.append(&s, ExpectedRevision::Exact(n as u64 - 1), vec![ev(1000 + n)]).await {
            Err(StoreError::WrongExpectedRevision { actual: Some(actual), .. }) => assert_eq!(actual, n as u64),
            other => panic!("a stale expectation was not refused: {other:?}"),
        }
        // Any goes after whatever the other wrote.
        let any = other.append(&format!("{s}-any"), ExpectedRevision::Any, vec![ev(n)]).await.unwrap();
        assert_eq!(any.revision, n as u64 - 1);
    }
    let report = dondoc_store::chain::verify_all(&a).await.unwrap();
    assert!(report.first_break.is_none(), "{report:?}");
    assert_eq!(report.events, 40 + 39);
}
