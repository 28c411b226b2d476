//! The learned agent's model files under `<data_dir>/models`: every version promoted by
//! online learning as `<hash>.safetensors`, and `current.json` naming the version in use
//! and its root — the `--model` file the run started from. At the next start with the same
//! `--model`, the latest promoted version is used instead, so what was learned is kept;
//! another `--model` starts over from that file.

use anyhow::Context;
use coinswarm_core::learned::{LearnedModel, SharedModel};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the promoted versions live.
#[derive(Debug, Clone)]
pub struct ModelStore {
    dir: PathBuf,
}

#[derive(Debug, Serialize, Deserialize)]
struct Current {
    model: String,
    root: String,
}

/// Which file the learned agent started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelOrigin {
    /// The `--model` file itself.
    Given,
    /// A version promoted from it in an earlier run.
    Promoted,
}

/// Reads and checks a model file.
pub fn read_model(path: &Path) -> anyhow::Result<LearnedModel> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read model file {}", path.display()))?;
    LearnedModel::from_safetensors(&bytes).with_context(|| format!("model file {}", path.display()))
}

impl ModelStore {
    pub fn new(data_dir: &Path) -> Self {
        Self { dir: data_dir.join("models") }
    }

    /// The model to start from, its root's hash and where it came from: the latest version
    /// promoted from `given`, else `given`.
    pub fn open(&self, given: &Path) -> anyhow::Result<(SharedModel, String, ModelOrigin)> {
        let given = read_model(given)?;
        let root = given.hash().to_string();
        let current = self.dir.join("current.json");
        if let Ok(text) = std::fs::read_to_string(&current) {
            let current: Current =
                serde_json::from_str(&text).with_context(|| format!("{} is not valid", current.display()))?;
            if current.root == root && current.model != root {
                let promoted = read_model(&self.dir.join(format!("{}.safetensors", current.model)))?;
                return Ok((Arc::new(promoted), root, ModelOrigin::Promoted));
            }
        }
        Ok((Arc::new(given), root, ModelOrigin::Given))
    }

    /// Saves a promoted version and makes it the current one (each file written whole).
    pub fn promote(&self, model: &LearnedModel, root: &str) -> anyhow::Result<()> {
        super::private_files::create_dir(&self.dir)?;
        let file = self.dir.join(format!("{}.safetensors", model.hash()));
        write_whole(&file, &model.to_safetensors())?;
        let current = serde_json::to_vec(&Current { model: model.hash().to_string(), root: root.to_string() })?;
        write_whole(&self.dir.join("current.json"), &current)
    }
}

fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    super::private_files::write(&partial, bytes)?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot move {} into place", path.display()))
}
