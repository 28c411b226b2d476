pub mod browser;
pub mod contract;
pub mod live;
pub mod server;
