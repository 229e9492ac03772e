//! Database access: one code path for SQLite (one school, embedded) and PostgreSQL
//! (an académie: several app servers, one database).

use std::time::Duration;

use diesel::connection::SimpleConnection;
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

pub type DbPool = Pool<Manager>;
pub type DbPooled = PooledConnection<Manager>;

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
            // WAL lets readers run beside the writer; busy_timeout makes a second writer wait
            // instead of failing; foreign keys are off by default in SQLite.
            c.batch_execute(
                // busy_timeout first: switching to WAL needs a lock that another
                // connection of the pool may be holding.
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
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

/// Runs blocking database work with a pooled connection off the async executor (every
/// handler's way to the database).
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
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
    Ok(pool)
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
        assert_eq!(timeout.value, 5000);
    }
}
