//! Storage tests run on each engine: SQLite in a scratch folder, and PostgreSQL in a scratch
//! database on the server at `COINSWARM_TEST_POSTGRES_URL` (which `scripts/test` starts and
//! sets). Without it the PostgreSQL half fails, saying how to run it: a storage test never
//! passes on one engine alone.

use super::{BucketObjectStore, Database, LocalObjectStore, ObjectStore, SqlStore};
use crate::clock::SystemClock;
use sqlx::migrate::MigrateDatabase;
use std::path::PathBuf;

/// The variable naming a PostgreSQL server for tests (a URL with a user allowed to create
/// databases; its database part is replaced by each scratch database's name).
pub const TEST_POSTGRES_URL: &str = "COINSWARM_TEST_POSTGRES_URL";

/// A store on a scratch place, removed by [`Scratch::remove`].
pub(crate) struct Scratch {
    pub store: SqlStore,
    pub database: Database,
}

/// A fresh store of `name` on each engine: SQLite first, then PostgreSQL.
pub(crate) async fn each_engine(name: &str) -> Vec<Scratch> {
    vec![sqlite(name).await, postgres(name).await]
}

/// A fresh SQLite store of `name`.
pub(crate) async fn sqlite(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("coinswarm-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Scratch::open(Database::Sqlite(dir)).await
}

/// A fresh PostgreSQL database of `name` on the test server.
pub(crate) async fn postgres(name: &str) -> Scratch {
    let url = scratch_database_url(name);
    if sqlx::Postgres::database_exists(&url).await.unwrap() {
        sqlx::Postgres::force_drop_database(&url).await.unwrap();
    }
    sqlx::Postgres::create_database(&url).await.unwrap_or_else(|e| panic!("cannot create {url}: {e}"));
    Scratch::open(Database::Postgres(url)).await
}

/// The URL of a scratch database of `name` (unique to this process) on the test server.
pub fn scratch_database_url(name: &str) -> String {
    let server = std::env::var(TEST_POSTGRES_URL).unwrap_or_else(|_| {
        panic!(
            "{TEST_POSTGRES_URL} is not set: storage tests run on SQLite and PostgreSQL. Run scripts/test, which \
             starts a PostgreSQL server and sets it, or set it to postgres://USER@HOST:PORT/postgres"
        )
    });
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    format!("{base}/cs_{name}_{}", std::process::id())
}

impl Scratch {
    async fn open(database: Database) -> Self {
        let store = SqlStore::connect(&database, SystemClock::shared()).await.unwrap();
        Self { store, database }
    }

    /// The engine's name, for assertion messages.
    pub fn engine(&self) -> &'static str {
        self.store.engine_name()
    }

    /// Closes the store and opens the same place again (a restart).
    pub async fn reopen(self) -> Self {
        self.store.close().await;
        Self::open(self.database).await
    }

    /// Closes the store and deletes its folder or database.
    pub async fn remove(self) {
        self.store.close().await;
        match self.database {
            Database::Sqlite(dir) => std::fs::remove_dir_all::<PathBuf>(dir).unwrap(),
            Database::Postgres(url) => sqlx::Postgres::force_drop_database(&url).await.unwrap(),
        }
    }
}

/// The variable naming the test bucket (`s3://bucket`; `scripts/test` starts an
/// S3-compatible server and sets it with the AWS variables that reach it).
pub const TEST_S3_URL: &str = "COINSWARM_TEST_S3_URL";

/// An object store on a scratch place: a folder (removed by [`ScratchObjects::remove`]) or
/// a prefix of the test bucket of its own.
pub(crate) struct ScratchObjects {
    pub store: Box<dyn ObjectStore>,
    pub kind: &'static str,
    folder: Option<PathBuf>,
}

impl ScratchObjects {
    pub fn remove(self) {
        if let Some(folder) = self.folder {
            std::fs::remove_dir_all(folder).unwrap();
        }
    }
}

/// A fresh object store of `name` on each adapter: a local folder, then the test bucket.
pub(crate) fn each_object_store(name: &str) -> Vec<ScratchObjects> {
    let folder = std::env::temp_dir().join(format!("coinswarm-objects-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let bucket = std::env::var(TEST_S3_URL).unwrap_or_else(|_| {
        panic!(
            "{TEST_S3_URL} is not set: archive tests run on a folder and on S3. Run scripts/test, which starts an \
             S3-compatible server and sets it, or set it (s3://bucket) with AWS_ENDPOINT_URL and the AWS keys"
        )
    });
    let prefix = format!("{}/{name}-{}-{}", bucket.trim_end_matches('/'), std::process::id(), rand::random::<u32>());
    vec![
        ScratchObjects { store: Box::new(LocalObjectStore::new(&folder)), kind: "folder", folder: Some(folder) },
        ScratchObjects { store: Box::new(BucketObjectStore::open(&prefix).unwrap()), kind: "s3", folder: None },
    ]
}
