//! `[store]`: where `coinswarm up` keeps its data (SQLite in the data directory by default).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The store's engine and, on a database shared by several processes, how they hand
/// accounts over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// A PostgreSQL URL, `postgres://user:password@host:port/database` (env
    /// COINSWARM_DATABASE_URL, flag `--database-url`). Empty (the default): SQLite in the
    /// data directory. `--print-config` shows it without its password.
    #[serde(serialize_with = "without_password")]
    pub database_url: String,
    /// Where the candle archive lives: `s3://bucket/prefix` on an S3-compatible bucket (the
    /// usual AWS variables give credentials, region and `AWS_ENDPOINT_URL` for R2 or a local
    /// server; env COINSWARM_ARCHIVE_URL, flag `--archive-url`). Empty (the default): the
    /// data directory's `archive` folder.
    pub archive_url: String,
    /// On a shared database, how often a process that does not own the swarm's account
    /// tries to take it over, in ms (its owner stopped: the takeover follows within this).
    /// Default 1,000.
    pub claim_retry_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { database_url: String::new(), archive_url: String::new(), claim_retry_ms: 1_000 }
    }
}

impl StoreConfig {
    /// The database this configuration names, with `data_dir` for SQLite.
    pub fn database(&self, data_dir: &Path) -> anyhow::Result<Database> {
        Database::choose(data_dir, &self.database_url)
    }

    /// Refuses a URL of another engine or scheme and a zero retry interval.
    pub fn validate(&self, data_dir: &Path) -> anyhow::Result<()> {
        self.database(data_dir)?;
        let archive = self.archive_url.trim();
        anyhow::ensure!(
            archive.is_empty() || archive.starts_with("s3://"),
            "store.archive_url '{archive}': only s3://bucket/prefix is supported; leave it empty for the data directory"
        );
        anyhow::ensure!(self.claim_retry_ms > 0, "store.claim_retry_ms must be at least 1");
        Ok(())
    }
}

/// Where a store keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// `coinswarm.sqlite` in this data directory.
    Sqlite(PathBuf),
    /// A PostgreSQL server, by its URL (`postgres://user:password@host:port/database`).
    Postgres(String),
}

impl Database {
    /// PostgreSQL when `database_url` is set (`postgres://` or `postgresql://`), else SQLite
    /// in `data_dir`. Any other scheme is refused.
    pub fn choose(data_dir: &Path, database_url: &str) -> anyhow::Result<Self> {
        let url = database_url.trim();
        if url.is_empty() {
            return Ok(Self::Sqlite(data_dir.to_path_buf()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        anyhow::bail!(
            "database URL '{}': only postgres:// (or postgresql://) is supported; leave it empty for SQLite in the data directory",
            redact_password(url)
        )
    }

    /// Which engine, for logs: `sqlite <path>` or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(dir) => format!("SQLite {}", dir.join("coinswarm.sqlite").display()),
            Self::Postgres(url) => format!("PostgreSQL {}", redact_password(url)),
        }
    }
}

/// `url` with its password replaced by `***`: the one between `user:` and `@`, and any
/// `password` or `sslpassword` query parameter.
pub fn redact_password(url: &str) -> String {
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (url, None),
    };
    let mut shown = match address.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((credentials, host)) => match credentials.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => address.to_string(),
            },
            None => address.to_string(),
        },
        None => address.to_string(),
    };
    if let Some(query) = query {
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| match parameter.split_once('=') {
                Some((name, _))
                    if name.eq_ignore_ascii_case("password") || name.eq_ignore_ascii_case("sslpassword") =>
                {
                    format!("{name}=***")
                }
                _ => parameter.to_string(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&parameters.join("&"));
    }
    shown
}

fn without_password<S: serde::Serializer>(url: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_password(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_chooses_postgres_and_an_empty_one_sqlite_in_the_data_directory() {
        let dir = Path::new("/data");
        assert_eq!(Database::choose(dir, "").unwrap(), Database::Sqlite(dir.into()));
        assert_eq!(
            Database::choose(dir, " postgres://cs@db/coinswarm ").unwrap(),
            Database::Postgres("postgres://cs@db/coinswarm".into())
        );
        assert!(matches!(Database::choose(dir, "postgresql://db/x").unwrap(), Database::Postgres(_)));
        let refused = Database::choose(dir, "mysql://root:hunter2@db/x").unwrap_err().to_string();
        assert!(refused.contains("only postgres://") && !refused.contains("hunter2"), "{refused}");
    }

    #[test]
    fn a_password_never_shows() {
        assert_eq!(redact_password("postgres://cs:s3cret@db:5432/x"), "postgres://cs:***@db:5432/x");
        assert_eq!(redact_password("postgres://cs@db/x"), "postgres://cs@db/x");
        assert_eq!(redact_password("postgres://cs:p@ss@db/x"), "postgres://cs:***@db/x");
        assert_eq!(
            redact_password("postgres://cs@db/x?sslmode=require&password=s3cret"),
            "postgres://cs@db/x?sslmode=require&password=***"
        );
        assert_eq!(
            redact_password("postgres://db/x?PASSWORD=a&sslpassword=b"),
            "postgres://db/x?PASSWORD=***&sslpassword=***"
        );
    }
}
