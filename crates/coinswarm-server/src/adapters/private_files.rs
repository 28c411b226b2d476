//! The data directory is private to its owner: it holds the accounts' event logs, API key
//! hashes and a first admin key, so the directory is `0700` and every file the server writes
//! in it `0600`, set explicitly (whatever the umask) and tightened on directories and files
//! left by an older version. On non-Unix systems these are plain file operations.

use anyhow::Context;
use std::path::Path;

/// Mode of the data directory and its folders: the owner only.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// Mode of every file in the data directory: the owner reads and writes.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) if needed, and makes it private to the owner.
pub fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    #[cfg(unix)]
    set_mode(dir, DIR_MODE)?;
    Ok(())
}

/// Makes an existing file private to the owner; a missing file is left missing.
pub fn restrict(path: &Path) -> anyhow::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    #[cfg(unix)]
    set_mode(path, FILE_MODE)?;
    Ok(())
}

/// Options that create a file private to the owner (its mode is set at creation, before any
/// byte is written). An existing file keeps its mode: [`restrict`] it.
pub fn open_options() -> std::fs::OpenOptions {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

/// Writes `contents` to `path` (replacing it), private to the owner.
pub fn write(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut file = open_options()
        .create(true)
        .truncate(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    restrict(path)?;
    file.write_all(contents).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot restrict {} to its owner", path.display()))
}
