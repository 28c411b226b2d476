pub mod browser;
pub mod contract;
pub mod contract_suite;
pub mod edge;
pub mod live;
pub mod mcp;
pub mod server;
pub mod stream;
