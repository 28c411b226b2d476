//! Episodes: every decision of the swarm, remembered with the market state it was taken in
//! and, once its horizon has passed, what it earned. The SQL store holds them (the source of
//! truth); the vector index holds their states for recall.

use super::vector::{Metadata, VectorRecord};

/// One remembered decision.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Episode {
    pub id: String,
    pub product_id: String,
    /// When the decision was taken (the bar's close), ms since the Unix epoch.
    pub time_ms: i64,
    /// When its outcome is known; it may be recalled only after this.
    pub horizon_end_ms: i64,
    pub regime: String,
    /// `BUY`, `SELL` or `HOLD`.
    pub action: String,
    /// The price decided on (the bar's close): the outcome is measured from it.
    #[serde(default)]
    pub price: f64,
    /// The state vector at the decision.
    pub state: Vec<f32>,
    /// Return over the horizon, net of fees, once known.
    pub outcome: Option<f64>,
}

impl Episode {
    /// The episode as a vector record: its product as the namespace, the rest as metadata.
    pub fn to_record(&self) -> VectorRecord {
        let mut metadata = Metadata::new();
        metadata.insert("regime".into(), self.regime.clone().into());
        metadata.insert("action".into(), self.action.clone().into());
        metadata.insert("time".into(), self.time_ms.into());
        metadata.insert("horizon_end".into(), self.horizon_end_ms.into());
        if let Some(outcome) = self.outcome {
            metadata.insert("outcome".into(), outcome.into());
        }
        VectorRecord {
            id: self.id.clone(),
            values: self.state.clone(),
            namespace: Some(self.product_id.clone()),
            metadata,
        }
    }
}

/// The state as little-endian bytes (how the SQL store keeps it).
pub fn state_to_bytes(state: &[f32]) -> Vec<u8> {
    state.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The state back from little-endian bytes; `None` when the length is not a whole number of values.
pub fn state_from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    bytes
        .len()
        .is_multiple_of(4)
        .then(|| bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_bytes_and_records_carry_the_metadata() {
        let state = vec![0.5, -1.0, f32::MIN_POSITIVE, 0.0];
        assert_eq!(state_from_bytes(&state_to_bytes(&state)), Some(state.clone()));
        assert_eq!(state_from_bytes(&[1, 2, 3]), None);
        let episode = Episode {
            id: "e1".into(),
            product_id: "BTC-USD".into(),
            time_ms: 10,
            horizon_end_ms: 20,
            regime: "trending".into(),
            action: "BUY".into(),
            price: 100.0,
            state,
            outcome: Some(0.01),
        };
        let record = episode.to_record();
        assert_eq!(record.namespace.as_deref(), Some("BTC-USD"));
        assert_eq!(record.metadata["horizon_end"], 20_i64.into());
        assert_eq!(record.metadata["outcome"], 0.01.into());
    }
}
