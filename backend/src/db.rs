//! Database access: one code path for SQLite (one school, embedded) and PostgreSQL
//! (an académie: several app servers, one database).
//!
//! Handlers reach the database through two doors: [`run`] for reads and [`write`] for
//! anything that changes a row. The split is what keeps writes from failing under a
//! class's load: a SQLite transaction that reads first and writes later has to upgrade its
//! lock, and when another writer got there in between SQLite answers "database is locked"
//! at once, without waiting (the busy timeout cannot help: waiting would not make its
//! snapshot current). [`write`] therefore takes the write lock up front (`BEGIN
//! IMMEDIATE`), and lets this process's writers queue on a fair in-process lock rather
//! than poll SQLite's; on PostgreSQL it retries the transactions the server aborts
//! (serialization failures, deadlocks). Debug builds (the test suite) make [`run`]'s SQLite
//! connections read-only, so a write that slips outside [`write`] fails every test that
//! reaches it.

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;
use crate::error::AppError;

/// Either engine, picked at run time from `DATABASE_URL`.
///
/// Portable queries go through the derived multi-backend; engine-specific SQL (upserts,
/// pragmas) matches on the variant with [`with_conn!`](crate::with_conn).
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// The connection pool, and the queue of this process's SQLite writers.
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<Manager>,
    /// This process's SQLite writers take turns here, first come first served, instead of
    /// polling SQLite's file lock (whose busy handler sleeps in growing steps and favours
    /// whoever polls at the right moment). `None` on PostgreSQL: its row locks need no
    /// such queue, and several app servers share the database anyway.
    writers: Option<Arc<parking_lot::FairMutex<()>>>,
}

pub type DbPooled = PooledConnection<Manager>;

impl DbPool {
    /// A connection from the pool (waits up to 10 s for one).
    pub fn get(&self) -> Result<DbPooled, diesel::r2d2::PoolError> {
        self.pool.get()
    }
}

/// Opens connections of the engine named by the URL (the derived `establish` would try
/// each engine in turn, and SQLite accepts any string as a file name).
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let conn = match &self.url {
            DatabaseUrl::Sqlite(path) => {
                SqliteConnection::establish(&path.to_string_lossy()).map(DbConnection::Sqlite)
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConnection::Pg),
        };
        conn.map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Runs `$body` with `$c` bound to the concrete connection of either engine, so that
/// diesel code with engine-specific features compiles once per engine.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Pg($c) => $body,
        }
    };
}

/// Inserts `$rows` into `$table`, [`CHUNK`](crate::demo::CHUNK) rows per INSERT, each
/// row's values given by `|$row| $values` (batch inserts need the concrete connection,
/// hence `with_conn!`).
#[macro_export]
macro_rules! insert_in_chunks {
    ($conn:expr, $table:expr, $rows:expr, |$row:pat_param| $values:expr) => {
        for chunk in $rows.chunks($crate::demo::CHUNK) {
            let values: Vec<_> = chunk.iter().map(|$row| $values).collect();
            $crate::with_conn!(&mut *$conn, |c| diesel::insert_into($table)
                .values(values)
                .execute(c))?;
        }
    };
}

/// Refreshes PostgreSQL's planner statistics of `tables` (all of them when empty) after a
/// bulk insert: until autovacuum catches up they describe near-empty tables, and plans
/// made from them scan whole tables (seconds, not milliseconds, for `x = ANY(…)` lookups
/// over thousands of rows). SQLite keeps no such statistics: nothing to do.
pub fn refresh_statistics(conn: &mut DbConnection, tables: &[&str]) -> Result<(), AppError> {
    if let DbConnection::Pg(c) = conn {
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("ANALYZE {}", tables.join(", "))),
            c,
        )?;
    }
    Ok(())
}

/// After a bulk load outside any transaction (`passerelle generate`): PostgreSQL's
/// `VACUUM (ANALYZE)` of every table, so that plans see the real sizes and index-only
/// scans (the covering indexes of the progress and coverage reads) need not visit the
/// rows until autovacuum would have passed. SQLite: nothing to do (its plans here are
/// made without statistics, as in every other SQLite database Passerelle runs on).
pub fn settle_after_bulk_load(conn: &mut DbConnection) -> Result<(), AppError> {
    if let DbConnection::Pg(c) = conn {
        diesel::RunQueryDsl::execute(diesel::sql_query("VACUUM (ANALYZE)"), c)?;
    }
    Ok(())
}

/// Per-connection settings: SQLite's pragmas that are not persistent, PostgreSQL's
/// serial plans.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            // WAL lets readers run beside the writer; busy_timeout makes a writer of another
            // process (the CLI) wait instead of failing; `synchronous = FULL` syncs the WAL
            // on every commit, so that an acknowledged write survives a power cut, not only
            // a crash of the process (NORMAL may lose the last commits then); foreign keys
            // are off by default in SQLite.
            c.batch_execute(
                // busy_timeout first: switching to WAL needs a lock that another
                // connection of the pool may be holding.
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        if let DbConnection::Pg(c) = conn {
            // Requests run small keyed queries: a parallel plan's worker start-up (tens of
            // ms on a busy server) costs more than it saves and takes the cores other
            // requests need (a class's progress: 3 ms serial, 25–65 ms parallel).
            c.batch_execute("SET max_parallel_workers_per_gather = 0")
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Runs blocking database reads with a pooled connection off the async executor. Anything
/// that writes goes through [`write`] instead (debug builds refuse writes here, on SQLite).
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        read_only(&mut conn, true)?;
        let result = work(&mut conn);
        read_only(&mut conn, false)?;
        result
    })
    .await?
}

/// Debug builds only: turns SQLite's `query_only` on for [`run`]'s reads (and back off
/// after), so that the test suite finds any write made outside [`write`].
fn read_only(conn: &mut DbConnection, on: bool) -> Result<(), AppError> {
    if cfg!(debug_assertions) {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(if on {
                "PRAGMA query_only = 1"
            } else {
                "PRAGMA query_only = 0"
            })?;
        }
    }
    Ok(())
}

/// How many times a PostgreSQL transaction aborted by the server (serialization failure,
/// deadlock) is run again before the client is told to retry (503).
const WRITE_ATTEMPTS: u32 = 5;

/// Runs `work` in one write transaction, off the async executor: all of it or nothing,
/// and never refused because another write runs (see the module doc). `work` may run more
/// than once on PostgreSQL (after a serialization failure or a deadlock), hence `FnMut`:
/// it must not keep effects outside the database between attempts.
pub async fn write<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnMut(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || write_blocking(&pool, work)).await?
}

/// [`write`] for callers already off the executor.
pub fn write_blocking<T, F>(pool: &DbPool, mut work: F) -> Result<T, AppError>
where
    F: FnMut(&mut DbConnection) -> Result<T, AppError>,
{
    let mut attempt = 1;
    loop {
        let result = {
            // The queue comes before the pool: a writer waiting its turn holds no connection
            // that a reader could use.
            let _turn = pool.writers.as_ref().map(|queue| queue.lock());
            let mut conn = pool.get()?;
            transaction(&mut conn, &mut work)
        };
        match result {
            Err(AppError::Busy(cause)) if attempt < WRITE_ATTEMPTS => {
                log::warn!("write transaction aborted (attempt {attempt}), retrying: {cause}");
                // Spread the retries of transactions that collided with each other.
                let jitter = rand::random_range(0..10 * u64::from(attempt));
                std::thread::sleep(Duration::from_millis(5 * u64::from(attempt) + jitter));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One attempt of [`write_blocking`]: SQLite's `BEGIN IMMEDIATE` (the write lock before the
/// first read), PostgreSQL's `BEGIN`; commit on `Ok`, roll back on `Err`. Transactions
/// nested inside `work` become savepoints, as with diesel's own `transaction`.
fn transaction<T, F>(conn: &mut DbConnection, work: &mut F) -> Result<T, AppError>
where
    F: FnMut(&mut DbConnection) -> Result<T, AppError>,
{
    read_only(conn, false)?;
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN"),
    }?;
    match work(conn) {
        Ok(value) => {
            DbConnection::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            // A failed rollback leaves the connection broken: the pool drops it
            // (`has_broken`). The caller hears of the first error, the one that matters.
            if let Err(rollback) = DbConnection::rollback_transaction(conn) {
                log::error!("rollback failed: {rollback}");
            }
            Err(error)
        }
    }
}

/// Opens the pool (creating the SQLite file and its folder if needed) and runs the
/// embedded migrations of the engine.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> Result<DbPool, AppError> {
    if let DatabaseUrl::Sqlite(path) = url {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| AppError::internal(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    // A pooled PostgreSQL connection can die with its server (restart, failover): test it
    // on checkout. A SQLite file connection cannot, and the test would cost a query on
    // every checkout (two per request).
    let pool = Pool::builder()
        .max_size(max_size)
        .test_on_check_out(matches!(url, DatabaseUrl::Postgres(_)))
        .connection_timeout(Duration::from_secs(10))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(Manager { url: url.clone() })
        .map_err(|e| AppError::internal(format!("cannot open database {}: {e}", url.redacted())))?;
    let mut conn = pool.get().map_err(AppError::from)?;
    run_migrations(&mut conn)?;
    let writers = matches!(url, DatabaseUrl::Sqlite(_)).then(Arc::default);
    Ok(DbPool { pool, writers })
}

fn run_migrations(conn: &mut DbConnection) -> Result<(), AppError> {
    let result = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConnection::Pg(c) => c.run_pending_migrations(PG_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| AppError::internal(format!("migrations failed: {e}")))
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::{BigInt, Text};
    use diesel::{QueryableByName, RunQueryDsl};

    use super::*;

    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }

    #[derive(QueryableByName)]
    struct Flag {
        #[diesel(sql_type = BigInt)]
        value: i64,
    }

    #[test]
    fn reads_cannot_write_in_debug_builds() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let pool = connect(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3")), 2)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
        read_only(&mut conn, true).unwrap_or_else(|e| panic!("{e}"));
        let insert = "INSERT INTO login_throttle (key, failures, window_started_at) \
                      VALUES ('k', 0, '2026-01-01 00:00:00')";
        assert!(conn.batch_execute(insert).is_err(), "a write inside run()");
        read_only(&mut conn, false).unwrap_or_else(|e| panic!("{e}"));
        drop(conn);
        write_blocking(&pool, |conn| Ok(conn.batch_execute(insert)?))
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// A transaction the database aborted (serialization failure, deadlock) runs again,
    /// its first attempts rolled back; past the attempts, the client hears 503 `busy`.
    #[test]
    fn aborted_transactions_are_run_again_then_answer_busy() {
        use crate::schema::login_throttle;
        use diesel::prelude::*;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let pool = connect(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3")), 2)
            .unwrap_or_else(|e| panic!("{e}"));
        let now = chrono::NaiveDateTime::default();
        let mut attempts = 0;
        write_blocking(&pool, |conn| {
            attempts += 1;
            diesel::insert_into(login_throttle::table)
                .values((
                    login_throttle::key.eq("k"),
                    login_throttle::failures.eq(attempts),
                    login_throttle::window_started_at.eq(now),
                ))
                .execute(conn)?;
            if attempts < 3 {
                return Err(AppError::Busy("deadlock detected".to_owned()));
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(attempts, 3);
        let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
        let kept: Vec<i32> = login_throttle::table
            .select(login_throttle::failures)
            .load(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kept, [3], "the aborted attempts left nothing");
        drop(conn);
        let mut attempts = 0;
        let result: Result<(), AppError> = write_blocking(&pool, |_| {
            attempts += 1;
            Err(AppError::Busy("could not serialize access".to_owned()))
        });
        assert!(matches!(result, Err(AppError::Busy(_))));
        assert_eq!(attempts, WRITE_ATTEMPTS);
    }

    /// The pattern that failed under a class's load: read, then write, in one transaction,
    /// from many threads at once. Every one of them commits.
    #[test]
    fn concurrent_read_then_write_transactions_all_commit() {
        use crate::schema::login_throttle;
        use diesel::prelude::*;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let pool = connect(&DatabaseUrl::Sqlite(dir.path().join("db.sqlite3")), 16)
            .unwrap_or_else(|e| panic!("{e}"));
        let now = chrono::NaiveDate::from_ymd_opt(2026, 12, 8)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap_or_default();
        std::thread::scope(|scope| {
            for t in 0..16 {
                let pool = &pool;
                scope.spawn(move || {
                    for i in 0..25 {
                        write_blocking(pool, |conn| {
                            let before: i64 = login_throttle::table.count().get_result(conn)?;
                            diesel::insert_into(login_throttle::table)
                                .values((
                                    login_throttle::key.eq(format!("{t}-{i}-{before}")),
                                    login_throttle::failures.eq(0),
                                    login_throttle::window_started_at.eq(now),
                                ))
                                .execute(conn)?;
                            Ok(())
                        })
                        .unwrap_or_else(|e| panic!("thread {t}, write {i}: {e}"));
                    }
                });
            }
        });
        let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
        let rows: i64 = login_throttle::table
            .count()
            .get_result(&mut *conn)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows, 16 * 25);
    }

    #[test]
    fn sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = DatabaseUrl::Sqlite(dir.path().join("nested/db.sqlite3"));
        let pool = connect(&url, 2).unwrap_or_else(|e| panic!("{e}"));
        let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
        let DbConnection::Sqlite(c) = &mut *conn else {
            panic!("expected SQLite");
        };
        let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
            .get_result(c)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode.journal_mode, "wal");
        let fk: Flag = diesel::sql_query("SELECT foreign_keys AS value FROM pragma_foreign_keys")
            .get_result(c)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fk.value, 1);
        let timeout: Flag = diesel::sql_query("SELECT timeout AS value FROM pragma_busy_timeout")
            .get_result(c)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(timeout.value, 10000);
    }
}
