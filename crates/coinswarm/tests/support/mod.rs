pub mod browser;
pub mod contract;
pub mod server;
