//! How far long work has got, for whoever waits on it: a backfill paging candles, the
//! pattern memory index rebuilt at start. The work counts its own units (bars, episodes) as
//! each is done and tells a [`Progress`]; the server draws nothing itself (the CLI turns it
//! into a bar on a terminal).

/// Hears how far one piece of long work has got. Called from whichever thread does the
/// work, so it is `Sync`.
pub trait Progress: Sync {
    /// The work starts: `total` units to do. Called once, before any [`Progress::advance`];
    /// not at all when there is no work (an index that loads instead of being rebuilt).
    fn start(&self, total: u64);
    /// `units` more are done; the work is over once `total` are.
    fn advance(&self, units: u64);
    /// A line worth showing the person waiting (a backfill's page fetched).
    fn note(&self, line: &str);
}

/// Progress nobody watches: the server's own background work, tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unwatched;

impl Progress for Unwatched {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn note(&self, _: &str) {}
}
