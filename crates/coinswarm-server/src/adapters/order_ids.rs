//! Order and trade ids differ between accounts. The paper exchange derives them from engine
//! time and the account's event sequence mixed with a seed ([`ExchangeConfig::id_seed`]), so
//! two accounts doing the same thing at the same moment would get the same ids under one
//! seed. Each account's seed is a hash of the data directory's salt (random, drawn on the
//! first start and kept in the store) and the account id: stable across restarts, different
//! between accounts and between data directories. A restart replays the ids stored in the
//! events; it never derives them again.
//!
//! [`ExchangeConfig::id_seed`]: coinswarm_core::exchange::ExchangeConfig::id_seed

use crate::adapters::store::StateStore;
use anyhow::Context;
use sha2_full::{Digest, Sha256};

/// The store's name for the data directory's salt (a `u64` in decimal).
const SALT: &str = "order_id_salt";

/// The store's salt: the stored one, or a new random one stored now (when two processes
/// share a database and start together, both keep the first one stored).
pub async fn data_dir_salt(store: &impl StateStore) -> anyhow::Result<u64> {
    if let Some(text) = store.state(SALT).await? {
        return text.parse().with_context(|| format!("the stored {SALT} '{text}' is not a number"));
    }
    let salt: u64 = rand::random();
    let text = store.init_state(SALT, &salt.to_string()).await?;
    text.parse().with_context(|| format!("the stored {SALT} '{text}' is not a number"))
}

/// The id seed of `account_id`'s exchange: the first 8 bytes (little-endian) of
/// SHA-256(salt little-endian ‖ account id).
pub fn account_seed(salt: u64, account_id: &str) -> u64 {
    let digest = Sha256::new().chain_update(salt.to_le_bytes()).chain_update(account_id.as_bytes()).finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::SqlStore;

    #[tokio::test]
    async fn each_account_gets_its_own_seed_and_a_data_directory_keeps_its_salt() {
        let dir = std::env::temp_dir().join(format!("coinswarm-order-ids-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqlStore::open(&dir, crate::clock::SystemClock::shared()).await.unwrap();
        let salt = data_dir_salt(&store).await.unwrap();
        assert_eq!(data_dir_salt(&store).await.unwrap(), salt, "drawn once");
        store.close().await;
        let reopened = SqlStore::open(&dir, crate::clock::SystemClock::shared()).await.unwrap();
        assert_eq!(data_dir_salt(&reopened).await.unwrap(), salt, "kept across a restart");
        reopened.close().await;

        assert_eq!(account_seed(salt, "alice"), account_seed(salt, "alice"));
        assert_ne!(account_seed(salt, "alice"), account_seed(salt, "bob"));
        assert_ne!(account_seed(salt, "alice"), account_seed(salt.wrapping_add(1), "alice"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
