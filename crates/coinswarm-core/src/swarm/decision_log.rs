//! The decision log: every decision with the votes, weights, regime, guard verdicts and
//! order behind it, as JSON lines, and a SHA-256 over those lines that identifies a run.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Appends records as JSON lines, hashing every byte; keeps the lines, or each record with
/// its line, only when asked.
#[derive(Debug, Clone)]
pub struct DecisionLog {
    hasher: Sha256,
    records: u64,
    lines: Option<String>,
    handed_out: Option<Vec<LoggedRecord>>,
}

/// One record as the log wrote it: its JSON line (without the newline) and the same record
/// as a JSON value, built from the record itself, so a reader never parses the line back.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRecord {
    pub line: String,
    pub record: serde_json::Value,
}

impl LoggedRecord {
    /// The record's `time` (Unix milliseconds), when it has one.
    pub fn time_ms(&self) -> Option<i64> {
        self.record.get("time").and_then(serde_json::Value::as_i64)
    }
}

impl DecisionLog {
    /// A log that hashes records and, if `keep_lines`, also keeps their text.
    pub fn new(keep_lines: bool) -> Self {
        Self { hasher: Sha256::new(), records: 0, lines: keep_lines.then(String::new), handed_out: None }
    }

    /// A log that hashes records and keeps each with its line until [`take_records`]
    /// hands them on: for a long-lived host that stores and streams every decision.
    ///
    /// [`take_records`]: DecisionLog::take_records
    pub fn handing_out_records() -> Self {
        Self { hasher: Sha256::new(), records: 0, lines: None, handed_out: Some(Vec::new()) }
    }

    /// Serialises `record` as one JSON line (fields in declaration order; floats in
    /// shortest round-trip form) and folds it into the hash.
    pub fn append<T: Serialize>(&mut self, record: &T) {
        // Records are plain data with string keys: serialising them cannot fail.
        let line = serde_json::to_string(record).expect("decision records serialise");
        self.hasher.update(line.as_bytes());
        self.hasher.update(b"\n");
        self.records += 1;
        if let Some(lines) = &mut self.lines {
            lines.push_str(&line);
            lines.push('\n');
        }
        if let Some(handed_out) = &mut self.handed_out {
            let record = serde_json::to_value(record).expect("decision records serialise");
            handed_out.push(LoggedRecord { line, record });
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

    /// Takes the records kept since the last call (none unless the log was made with
    /// [`DecisionLog::handing_out_records`]), leaving the hash and count running: a
    /// long-lived swarm hands its records on (to storage) without growing in memory.
    pub fn take_records(&mut self) -> Vec<LoggedRecord> {
        self.handed_out.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The kept lines (empty unless the log was made to keep them).
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

    #[test]
    fn a_handed_out_record_is_its_line_and_its_value_and_hashes_as_a_kept_line() {
        let mut kept = DecisionLog::new(true);
        let mut handed = DecisionLog::handing_out_records();
        for log in [&mut kept, &mut handed] {
            log.append(&Record { seq: 0, action: "BUY" });
            log.append(&Record { seq: 1, action: "HOLD" });
        }
        assert_eq!(kept.hash_hex(), handed.hash_hex());
        let records = handed.take_records();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].line, "{\"seq\":1,\"action\":\"HOLD\"}");
        assert_eq!(records[1].record, serde_json::json!({"seq": 1, "action": "HOLD"}));
        assert_eq!(records[1].time_ms(), None);
        assert!(handed.take_records().is_empty(), "taken once");
        assert_eq!(handed.len(), 2, "the count runs on");
        assert!(handed.lines().is_empty(), "a handing-out log keeps no text");
    }
}
