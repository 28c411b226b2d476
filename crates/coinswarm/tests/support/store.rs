//! Where a test's `coinswarm up` keeps its store: SQLite in a scratch data directory, or a
//! scratch PostgreSQL database (with its own data directory for the rest) on the server at
//! `COINSWARM_TEST_POSTGRES_URL`, which `scripts/test` starts and sets. A suite run on both
//! engines fails on PostgreSQL without it, saying how to run it.

#![allow(dead_code)]

use super::server::{Server, keys_create_in, scratch_dir};
use sqlx::migrate::MigrateDatabase;
use std::path::PathBuf;

/// A scratch store for one test.
pub struct Store {
    pub dir: PathBuf,
    /// The PostgreSQL database's URL, or `None` for SQLite in `dir`.
    pub database_url: Option<String>,
}

impl Store {
    /// SQLite in a fresh data directory.
    pub fn sqlite(name: &str) -> Store {
        Store { dir: scratch_dir(name), database_url: None }
    }

    /// A fresh PostgreSQL database, and a fresh data directory beside it.
    pub fn postgres(name: &str) -> Store {
        let url = scratch_database_url(name);
        block_on(async {
            if sqlx::Postgres::database_exists(&url).await.unwrap() {
                sqlx::Postgres::force_drop_database(&url).await.unwrap();
            }
            sqlx::Postgres::create_database(&url).await.unwrap_or_else(|e| panic!("cannot create {url}: {e}"));
        });
        Store { dir: scratch_dir(&format!("{name}-pg")), database_url: Some(url) }
    }

    /// `sqlite` or `postgres`, for assertion messages.
    pub fn engine(&self) -> &'static str {
        if self.database_url.is_some() { "postgres" } else { "sqlite" }
    }

    /// `env` and, on PostgreSQL, `COINSWARM_DATABASE_URL`.
    pub fn env<'a>(&'a self, env: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut all = env.to_vec();
        if let Some(url) = &self.database_url {
            all.push(("COINSWARM_DATABASE_URL", url));
        }
        all
    }

    /// `coinswarm up` on this store, in its data directory.
    pub fn start(&self, env: &[(&str, &str)]) -> Server {
        Server::start(&self.dir, &self.env(env))
    }

    /// `coinswarm up` on this store in another data directory (a second process on one
    /// PostgreSQL database).
    pub fn start_in(&self, dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
        Server::start(dir, &self.env(env))
    }

    /// `coinswarm keys create --account ACCOUNT --scope SCOPE` on this store: the secret.
    pub fn create_key(&self, account: &str, scope: &str) -> String {
        keys_create_in(&self.dir, self.database_url.as_deref(), &["--account", account, "--scope", scope])
            .unwrap_or_else(|stderr| panic!("{stderr}"))
    }

    /// Deletes the data directory and the database.
    pub fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(url) = self.database_url {
            block_on(async { sqlx::Postgres::force_drop_database(&url).await.unwrap() });
        }
    }
}

/// The URL of a scratch database of `name` (unique to this process) on the test server.
fn scratch_database_url(name: &str) -> String {
    let server = std::env::var("COINSWARM_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "COINSWARM_TEST_POSTGRES_URL is not set: this suite runs on SQLite and PostgreSQL. Run scripts/test, \
             which starts a PostgreSQL server and sets it, or set it to postgres://USER@HOST:PORT/postgres"
        )
    });
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    format!("{base}/cs_{name}_{}", std::process::id())
}

fn block_on<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(work)
}
