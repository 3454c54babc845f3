//! The sending lease: of several daemons on one PostgreSQL log, exactly one sends
//! reminders. It is a session-level advisory lock held on a connection of its own; the
//! server releases it when that connection ends: the holder stopping, crashing (its socket
//! closed by the kernel) or its machine dying (TCP keepalives, about 20 s). The others try
//! again every [`RETRY`].

use std::time::Duration;

use tokio::sync::watch;
use tokio_postgres::Config;

use super::PgStore;

/// The advisory lock's key (any constant agreed by every daemon): "dondoc.s" in ASCII.
pub const LEASE_KEY: i64 = 0x646f_6e64_6f63_2e73;
/// How often a daemon without the lease tries to take it, and a holder checks it still
/// has its connection.
pub const RETRY: Duration = Duration::from_secs(2);

/// Holds (or waits for) the lease for this process, named `holder` on the server
/// (`application_name`, shown by [`holder`]); `leading` says whether it holds it. Runs
/// until `stop` turns true; the lease is given up with the connection.
pub async fn hold(store: PgStore, holder: String, leading: &watch::Sender<bool>, mut stop: watch::Receiver<bool>) {
    let mut config: Config = store.config().clone();
    config.application_name(&holder);
    loop {
        if *stop.borrow() {
            leading.send_replace(false);
            return;
        }
        if let Ok((client, connection)) = config.connect(store.tls().clone()).await {
            let driver = tokio::spawn(connection);
            loop {
                if *leading.borrow() {
                    // Still connected, so still holding it.
                    let alive = tokio::time::timeout(RETRY * 3, client.simple_query("SELECT 1")).await;
                    if !alive.is_ok_and(|r| r.is_ok()) || driver.is_finished() {
                        break;
                    }
                } else {
                    let taken = tokio::time::timeout(
                        RETRY * 3,
                        client.query_one("SELECT pg_try_advisory_lock($1)", &[&LEASE_KEY]),
                    )
                    .await;
                    match taken {
                        Ok(Ok(row)) if row.get::<_, bool>(0) => {
                            leading.send_replace(true);
                        }
                        Ok(Ok(_)) => {}
                        // The connection failed: start again with a new one.
                        _ => break,
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(RETRY) => {}
                    _ = stop.changed() => {}
                }
                if *stop.borrow() {
                    break;
                }
            }
            // Whatever happened, this connection no longer proves the lease.
            leading.send_replace(false);
            driver.abort();
        }
        tokio::select! {
            _ = tokio::time::sleep(RETRY) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Who holds the lease now (the holder's `application_name`), if anyone.
pub async fn holder(store: &PgStore) -> Result<Option<String>, crate::StoreError> {
    let client = store.reader().await?;
    let row = client
        .query_opt(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted
               AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
            &[&LEASE_KEY],
        )
        .await
        .map_err(|e| super::pg_error(store.address(), &e))?;
    Ok(row.map(|r| r.get(0)))
}
