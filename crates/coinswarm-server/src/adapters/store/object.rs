//! The `ObjectStore` port (R2 at the edge) and its embedded adapter: a local folder where
//! each key is a file path and every write is atomic (written aside, then renamed).

use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

pub trait ObjectStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing any object there, all or nothing.
    fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()>;
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
    /// Keys under `prefix`, sorted.
    fn list(&self, prefix: &str) -> anyhow::Result<Vec<String>>;
}

/// Objects as files under `root`.
#[derive(Debug, Clone)]
pub struct LocalObjectStore {
    root: PathBuf,
}

impl LocalObjectStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file of `key`.
    fn path_of(&self, key: &str) -> anyhow::Result<PathBuf> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

/// Refuses a key that is not a relative path of plain segments (no `..`, no absolute path,
/// no empty segment): the same keys on every adapter.
pub(super) fn check_key(key: &str) -> anyhow::Result<()> {
    if key.is_empty() || key.starts_with('/') || key.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        bail!("invalid object key '{key}'");
    }
    Ok(())
}

impl ObjectStore for LocalObjectStore {
    fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.path_of(key)?;
        let dir = path.parent().context("an object key needs a file name")?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let temporary = path.with_extension("partial");
        std::fs::write(&temporary, bytes).with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::File::open(&temporary)?.sync_all()?;
        std::fs::rename(&temporary, &path).with_context(|| format!("cannot move {} into place", path.display()))?;
        Ok(())
    }

    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path_of(key)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn list(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut keys = Vec::new();
        collect(&self.root, &self.root, &mut keys)?;
        keys.retain(|k| k.starts_with(prefix) && !k.ends_with(".partial"));
        keys.sort();
        Ok(keys)
    }
}

fn collect(root: &Path, dir: &Path, keys: &mut Vec<String>) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, keys)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            keys.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::adapters::store::testing::each_object_store;

    #[test]
    fn objects_round_trip_list_by_prefix_and_refuse_escaping_keys() {
        for scratch in each_object_store("round-trip") {
            let (store, kind) = (&scratch.store, scratch.kind);
            store.put("a/b/one.bin", b"1").unwrap();
            store.put("a/c/two.bin", b"2").unwrap();
            store.put("a/bc.bin", b"3").unwrap();
            store.put("a/b/one.bin", b"11").unwrap();
            assert_eq!(store.get("a/b/one.bin").unwrap(), Some(b"11".to_vec()), "{kind}: the last write wins");
            assert_eq!(store.get("a/none").unwrap(), None, "{kind}");
            assert_eq!(store.list("a/b/").unwrap(), vec!["a/b/one.bin".to_string()], "{kind}");
            assert_eq!(store.list("a/b").unwrap(), vec!["a/b/one.bin".to_string(), "a/bc.bin".to_string()], "{kind}");
            assert_eq!(store.list("a/").unwrap().len(), 3, "{kind}");
            assert!(store.list("z/").unwrap().is_empty(), "{kind}");
            for bad in ["../x", "/etc/passwd", "a//b", "a/./b", ""] {
                assert!(store.put(bad, b"x").is_err(), "{kind}: {bad}");
                assert!(store.get(bad).is_err(), "{kind}: {bad}");
            }
            scratch.remove();
        }
    }
}
