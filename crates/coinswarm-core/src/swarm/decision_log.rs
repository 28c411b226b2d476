//! The decision log: every decision with the votes, weights, regime, guard verdicts and
//! order behind it, as JSON lines, and a SHA-256 over those lines that identifies a run.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Appends records as JSON lines, hashing every byte; keeps the lines only when asked.
#[derive(Debug, Clone)]
pub struct DecisionLog {
    hasher: Sha256,
    records: u64,
    lines: Option<String>,
}

impl DecisionLog {
    /// A log that hashes records and, if `keep_lines`, also keeps their text.
    pub fn new(keep_lines: bool) -> Self {
        Self { hasher: Sha256::new(), records: 0, lines: keep_lines.then(String::new) }
    }

    /// Serialises `record` as one JSON line (fields in declaration order; floats in
    /// shortest round-trip form) and folds it into the hash.
    pub fn append<T: Serialize>(&mut self, record: &T) {
        // Records are plain data with string keys: serialising them cannot fail.
        let mut line = serde_json::to_string(record).expect("decision records serialise");
        line.push('\n');
        self.hasher.update(line.as_bytes());
        self.records += 1;
        if let Some(lines) = &mut self.lines {
            lines.push_str(&line);
        }
    }

    /// Number of records appended.
    pub fn len(&self) -> u64 {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// SHA-256 of every line so far, in lower-case hex.
    pub fn hash_hex(&self) -> String {
        self.hasher.clone().finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The kept lines (empty when the log only hashes).
    /// Takes the lines kept since the last call, leaving the hash and count running: a
    /// long-lived swarm hands its records on (to storage) without growing in memory.
    pub fn take_lines(&mut self) -> String {
        self.lines.as_mut().map(std::mem::take).unwrap_or_default()
    }

    pub fn lines(&self) -> &str {
        self.lines.as_deref().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Record {
        seq: u64,
        action: &'static str,
    }

    #[test]
    fn the_same_records_give_the_same_hash_and_any_change_another() {
        let run = |action| {
            let mut log = DecisionLog::new(true);
            log.append(&Record { seq: 0, action: "BUY" });
            log.append(&Record { seq: 1, action });
            log
        };
        assert_eq!(run("HOLD").hash_hex(), run("HOLD").hash_hex());
        assert_ne!(run("HOLD").hash_hex(), run("SELL").hash_hex());
        assert_eq!(run("HOLD").lines(), "{\"seq\":0,\"action\":\"BUY\"}\n{\"seq\":1,\"action\":\"HOLD\"}\n");
        assert_eq!(DecisionLog::new(false).hash_hex().len(), 64);
    }
}
