//! Configuration from the environment (and CLI flags, which clap maps to the same names).

use std::path::PathBuf;

/// Where the database lives, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path (`sqlite://path`, `sqlite:path` or a bare path).
    Sqlite(PathBuf),
    /// A libpq connection string (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/passerelle.sqlite3";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_REFERENTIALS_DIR: &str = "referentials";
pub const DEFAULT_SPA_DIR: &str = "frontend/dist";

impl DatabaseUrl {
    pub fn parse(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return DatabaseUrl::Postgres(url.to_owned());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        DatabaseUrl::Sqlite(PathBuf::from(path))
    }

    /// For logs: never prints a password.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme_end), Some(at)) if at > scheme_end => {
                    format!("{}://***@{}", &url[..scheme_end], &url[at + 1..])
                }
                _ => url.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db"),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("/tmp/x.db"),
            DatabaseUrl::Sqlite("/tmp/x.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://u:p@localhost/test"),
            DatabaseUrl::Postgres(_)
        ));
    }

    #[test]
    fn passwords_stay_out_of_logs() {
        let url = DatabaseUrl::parse("postgres://user:secret@db:5432/test");
        assert_eq!(url.redacted(), "postgres://***@db:5432/test");
    }
}
