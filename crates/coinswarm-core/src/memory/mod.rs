//! Pattern memory: the state builder (market states as vectors), the port of a vector
//! index (Vectorize at the edge) and its exact brute-force adapter, which is also the
//! oracle the approximate index is measured against.

pub mod audit;
pub mod clustering;
pub mod episode;
pub mod episodic;
pub mod exact;
pub mod filter;
pub mod governance;
pub mod pattern;
pub mod pattern_book;
pub mod state;
pub mod vector;
pub mod workload;

pub use audit::{AuditLog, AuditRecord, ChainBreak, verify};
pub use clustering::{KMeansConfig, kmeans};
pub use episode::Episode;
pub use episodic::{EpisodeChange, EpisodicMemory};
pub use exact::ExactIndex;
pub use filter::{Condition, Filter, MetadataValue};
pub use governance::{
    Decision, Governance, GovernanceConfig, Lifecycle, Manager, ModelEvidence, ModelProposal, Mutation, Outcome,
    PatternEvidence, Proposal, Vote,
};
pub use pattern::{LiveRecord, Pattern, PatternStats, StatsScale};
pub use pattern_book::{Influence, PatternBook, PatternConfig, Sample};
pub use state::{BarValues, Dimension, PositionState, StateBuilder, StateConfig, StateError};
pub use vector::{MAX_TOP_K, Match, Metadata, Metric, QueryOptions, VectorError, VectorIndex, VectorRecord};
