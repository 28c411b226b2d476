//! The `ObjectStore` port on an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, a local
//! test server) through the `object_store` crate: `s3://bucket/prefix`, with credentials,
//! region and endpoint from the usual AWS variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` or `AWS_DEFAULT_REGION`, and `AWS_ENDPOINT_URL` or
//! `AWS_ENDPOINT` for R2 or a local server; a plain `http://` endpoint is allowed as given).
//!
//! The port is synchronous (the archive writes and reads whole monthly files); the crate is
//! async, so each call runs on a small runtime of its own, which also keeps the bucket's
//! connections alive between calls.

use super::ObjectStore;
use super::object::check_key;
use anyhow::Context;
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore as _, ObjectStoreExt, RetryConfig};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Tries of one request before it fails (the first included: 1 + this).
const RETRIES: usize = 3;
/// How long one request and its retries may take at most.
const RETRY_WINDOW: Duration = Duration::from_secs(20);
/// How long opening a connection to the bucket may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request may take (a monthly file of minute candles is a few MB).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Objects in a bucket, under the URL's prefix.
#[derive(Debug, Clone)]
pub struct BucketObjectStore {
    store: Arc<PrefixStore<object_store::aws::AmazonS3>>,
    url: String,
}

impl BucketObjectStore {
    /// The bucket and prefix of `url` (`s3://bucket` or `s3://bucket/prefix`).
    pub fn open(url: &str) -> anyhow::Result<Self> {
        let rest = url.strip_prefix("s3://").with_context(|| format!("'{url}' is not an s3:// URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(!bucket.is_empty(), "'{url}' names no bucket");
        // HTTPS to the bucket uses rustls with ring, as every client of this process does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_retry(RetryConfig { max_retries: RETRIES, retry_timeout: RETRY_WINDOW, ..RetryConfig::default() })
            .with_client_options(
                ClientOptions::new().with_connect_timeout(CONNECT_TIMEOUT).with_timeout(REQUEST_TIMEOUT),
            );
        let endpoint = std::env::var("AWS_ENDPOINT_URL").or_else(|_| std::env::var("AWS_ENDPOINT")).ok();
        if let Some(endpoint) = endpoint.filter(|e| !e.is_empty()) {
            builder = builder.with_allow_http(endpoint.starts_with("http://")).with_endpoint(endpoint);
        }
        if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
            builder = builder.with_region("us-east-1");
        }
        let bucket_store = builder.build().with_context(|| format!("cannot use the bucket of {url}"))?;
        let prefix = prefix.trim_matches('/');
        Ok(Self { store: Arc::new(PrefixStore::new(bucket_store, prefix)), url: url.to_string() })
    }

    /// `work` run to its end on the object store's runtime.
    fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> T {
        let (done, result) = std::sync::mpsc::channel();
        runtime().spawn(async move {
            let _ = done.send(work.await);
        });
        result.recv().expect("the object store's runtime runs for the process's life")
    }
}

/// The runtime every bucket's calls run on: one worker thread, for the process's life (a
/// static is never dropped, so no runtime is ever dropped inside another).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("object-store")
            .enable_all()
            .build()
            .expect("the object store's runtime starts")
    })
}

impl ObjectStore for BucketObjectStore {
    fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        check_key(key)?;
        let (store, path, payload) = (self.store.clone(), Path::from(key), bytes.to_vec());
        // One PUT: the object appears whole or not at all.
        self.run(async move { store.put(&path, payload.into()).await })
            .with_context(|| format!("cannot write {key} to {}", self.url))?;
        Ok(())
    }

    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        check_key(key)?;
        let (store, path) = (self.store.clone(), Path::from(key));
        let read = self.run(async move {
            match store.get(&path).await {
                Ok(object) => object.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        Ok(read.with_context(|| format!("cannot read {key} from {}", self.url))?.map(|bytes| bytes.to_vec()))
    }

    fn list(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        // A bucket lists by folder: list the prefix's folder, then keep the keys it begins.
        let folder = prefix.rsplit_once('/').map(|(folder, _)| folder.to_string());
        let store = self.store.clone();
        let listed = self.run(async move {
            let folder = folder.filter(|f| !f.is_empty()).map(Path::from);
            store.list(folder.as_ref()).map_ok(|meta| meta.location.to_string()).try_collect::<Vec<String>>().await
        });
        let mut keys = listed.with_context(|| format!("cannot list {prefix} in {}", self.url))?;
        keys.retain(|k| k.starts_with(prefix));
        keys.sort();
        Ok(keys)
    }
}
