//! `GET /`: the dashboard, a page embedded in the binary with its script and the charting
//! library it draws with (TradingView's Lightweight Charts, vendored under `assets/vendor`,
//! Apache-2.0), so it works with no network but loopback. It reads `/api/candles`,
//! `/api/swarm`, `/api/decisions`, `/api/memory` and `/stream`, and with a key the caller
//! pastes (kept in the browser's session storage) that account's balances, orders and fills.
//!
//! Since a trader's key lives in the page, the page runs only the scripts served here and
//! talks only to this server (its Content-Security-Policy), and no other site may frame it.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("../../../assets/dashboard.html");

/// Where the page loads its own script from.
pub const SCRIPT_PATH: &str = "/assets/dashboard.js";

const SCRIPT: &str = include_str!("../../../assets/dashboard.js");

/// Where the page loads the charting library from; the version in the path lets browsers
/// keep it for good.
pub const CHART_LIBRARY_PATH: &str = "/assets/lightweight-charts-5.3.0.js";

/// Where the library's licence is served, next to the library.
pub const CHART_LIBRARY_LICENCE_PATH: &str = "/assets/lightweight-charts-5.3.0.LICENSE.txt";

const CHART_LIBRARY: &str =
    include_str!("../../../assets/vendor/lightweight-charts/lightweight-charts.standalone.production.js");

const CHART_LIBRARY_LICENCE: &str = include_str!("../../../assets/vendor/lightweight-charts/LICENSE");

/// Scripts from this server only (none inline), requests to this server only (REST and
/// `/stream`), styles and images from the page itself, no forms elsewhere, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// A versioned asset never changes, so a browser may keep it a year without asking again.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        PAGE,
    )
}

pub async fn script() -> impl IntoResponse {
    script_answer(SCRIPT, "no-cache")
}

pub async fn chart_library() -> impl IntoResponse {
    script_answer(CHART_LIBRARY, IMMUTABLE)
}

fn script_answer(body: &'static str, cache: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
}

pub async fn chart_library_licence() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, IMMUTABLE),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        CHART_LIBRARY_LICENCE,
    )
}
