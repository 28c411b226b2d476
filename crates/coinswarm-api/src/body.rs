//! Reading a JSON request body and a query string the way `coinswarm up` does (axum's
//! `Json` and `Query` extractors), for a host that has no axum: the same codes and statuses
//! (415 without a JSON content type, 413 over the limit, 400 `MALFORMED_JSON` for broken
//! JSON, 422 `INVALID_BODY` for JSON of the wrong shape, 400 `INVALID_QUERY`).

use crate::{ErrorCode, Failure};
use serde::de::DeserializeOwned;

/// The largest request body `coinswarm up` takes by default (`limits.max_body_bytes`).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Whether a `Content-Type` names JSON (`application/json` or `application/*+json`).
pub fn is_json(content_type: Option<&str>) -> bool {
    let Some(mime) = content_type.and_then(|c| c.split(';').next()).map(|m| m.trim().to_ascii_lowercase()) else {
        return false;
    };
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// A JSON body of type `T`.
pub fn json<T: DeserializeOwned>(content_type: Option<&str>, bytes: &[u8], limit: usize) -> Result<T, Failure> {
    if bytes.len() > limit {
        return Err(Failure::new(ErrorCode::BodyTooLarge, "length limit exceeded"));
    }
    if !is_json(content_type) {
        return Err(Failure::new(
            ErrorCode::UnsupportedMediaType,
            "Expected request with `Content-Type: application/json`",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = T::deserialize(&mut deserializer).and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Failure::new(
            ErrorCode::InvalidBody,
            format!("Failed to deserialize the JSON body into the target type: {e}"),
        ),
        _ => Failure::new(ErrorCode::MalformedJson, format!("Failed to parse the request body as JSON: {e}")),
    })
}

/// The refusal of a query string that does not deserialize.
pub fn invalid_query(error: impl std::fmt::Display) -> Failure {
    Failure::new(ErrorCode::InvalidQuery, format!("Failed to deserialize query string: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        size: u32,
    }

    fn code(content_type: &str, body: &str) -> (ErrorCode, u16) {
        let failure = json::<Body>(Some(content_type), body.as_bytes(), 100).unwrap_err();
        (failure.code, failure.status)
    }

    #[test]
    fn bodies_are_refused_with_axums_codes_and_statuses() {
        assert!(json::<Body>(Some("application/json; charset=utf-8"), br#"{"size":1}"#, 100).is_ok());
        assert_eq!(code("text/plain", r#"{"size":1}"#), (ErrorCode::UnsupportedMediaType, 415));
        assert_eq!(code("application/json", r#"{"size":"#), (ErrorCode::MalformedJson, 400));
        assert_eq!(code("application/json", r#"{"size":1} x"#), (ErrorCode::MalformedJson, 400));
        assert_eq!(code("application/json", r#"{"size":-1}"#), (ErrorCode::InvalidBody, 422));
        assert_eq!(code("application/json", r#"{"size":1,"x":2}"#), (ErrorCode::InvalidBody, 422));
        assert_eq!(code("application/json", &" ".repeat(101)), (ErrorCode::BodyTooLarge, 413));
    }
}
