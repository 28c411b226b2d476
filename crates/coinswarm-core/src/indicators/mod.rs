//! Streaming technical indicators: O(1) per update, no allocation after construction.
//! Definitions follow TA-Lib's.
