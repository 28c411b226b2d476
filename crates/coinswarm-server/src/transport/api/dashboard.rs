//! `GET /`: the dashboard, one self-contained page embedded in the binary (no external
//! assets, works offline). It draws with the canvas API and reads `/stream` and `/api/swarm`.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("../../../assets/dashboard.html");

pub async fn page() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], PAGE)
}
