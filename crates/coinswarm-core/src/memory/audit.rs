//! The audit log of learned memory: append-only and hash-chained. Each record carries the
//! SHA-256 of the previous record and its own, computed over its sequence number, time,
//! kind and canonical payload (JSON with fields in a fixed order), so changing, removing or
//! reordering any record breaks the chain from there on, and [`verify`] names the first
//! record that does not fit.

use sha2::{Digest, Sha256};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    /// 1, 2, 3, … in append order.
    pub seq: u64,
    /// Milliseconds since the Unix epoch (the caller's clock).
    pub time_ms: i64,
    /// `proposal`, `vote`, `commit` or `rejection`.
    pub kind: String,
    /// Canonical JSON of what happened.
    pub payload: String,
    pub previous_hash: String,
    pub hash: String,
}

/// The hash of a record's content chained to the previous hash.
pub fn record_hash(previous_hash: &str, seq: u64, time_ms: i64, kind: &str, payload: &str) -> String {
    let mut hasher = Sha256::new();
    for part in
        [previous_hash.as_bytes(), &seq.to_be_bytes(), &time_ms.to_be_bytes(), kind.as_bytes(), payload.as_bytes()]
    {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An audit log held in memory (the SQL store keeps the durable copy).
#[derive(Debug, Clone, Default)]
pub struct AuditLog {
    records: Vec<AuditRecord>,
}

impl AuditLog {
    /// Continues a stored log (check it with [`verify`] first).
    pub fn from_records(records: Vec<AuditRecord>) -> Self {
        Self { records }
    }

    /// Appends a record and returns it.
    pub fn append(&mut self, time_ms: i64, kind: &str, payload: String) -> &AuditRecord {
        let previous_hash = self.records.last().map_or(GENESIS.to_string(), |r| r.hash.clone());
        let seq = self.records.len() as u64 + 1;
        let hash = record_hash(&previous_hash, seq, time_ms, kind, &payload);
        self.records.push(AuditRecord { seq, time_ms, kind: kind.to_string(), payload, previous_hash, hash });
        self.records.last().expect("just pushed")
    }

    pub fn records(&self) -> &[AuditRecord] {
        &self.records
    }
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit record {seq} does not fit the chain: {reason}")]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

/// Checks every record of a log in order; the first that does not fit is named.
pub fn verify(records: &[AuditRecord]) -> Result<(), ChainBreak> {
    let mut previous_hash = GENESIS.to_string();
    for (i, record) in records.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        let broken = |reason: String| ChainBreak { seq: record.seq, reason };
        if record.seq != expected_seq {
            return Err(broken(format!(
                "sequence {} where {expected_seq} was due (a record is missing or moved)",
                record.seq
            )));
        }
        if record.previous_hash != previous_hash {
            return Err(broken("it does not name the hash of the record before it".into()));
        }
        let hash = record_hash(&record.previous_hash, record.seq, record.time_ms, &record.kind, &record.payload);
        if record.hash != hash {
            return Err(broken("its content does not match its hash (it was changed)".into()));
        }
        previous_hash = hash;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> AuditLog {
        let mut log = AuditLog::default();
        for i in 0..5 {
            log.append(1_000 + i, "proposal", format!("{{\"n\":{i}}}"));
        }
        log
    }

    #[test]
    fn an_untouched_chain_verifies_and_any_change_names_the_record() {
        let records = log().records().to_vec();
        assert_eq!(verify(&records), Ok(()));

        let mut edited = records.clone();
        edited[2].payload = "{\"n\":99}".into();
        assert_eq!(verify(&edited).unwrap_err().seq, 3);

        let mut rehashed = records.clone();
        rehashed[2].payload = "{\"n\":99}".into();
        rehashed[2].hash =
            record_hash(&rehashed[2].previous_hash, 3, rehashed[2].time_ms, "proposal", &rehashed[2].payload);
        assert_eq!(verify(&rehashed).unwrap_err().seq, 4, "re-hashing a changed record breaks the next link");

        let mut removed = records.clone();
        removed.remove(1);
        assert_eq!(verify(&removed).unwrap_err().seq, 3);

        let mut retimed = records;
        retimed[4].time_ms += 1;
        let err = verify(&retimed).unwrap_err();
        assert_eq!(err.seq, 5);
        assert!(err.to_string().contains("audit record 5"), "{err}");
    }
}
