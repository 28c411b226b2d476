//! REST's answer to a [`Failure`]: its status, the error envelope
//! `{"error": {"code", "message"}}` and, when the failure says when to try again (every 503
//! does), a `Retry-After` header and `retry_after_secs` in the envelope. Anything the caller
//! can fix is a 4xx, never a 5xx.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use coinswarm_api::{ErrorCode, Failure};

/// A [`Failure`] answered over HTTP.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl From<Failure> for ApiError {
    fn from(failure: Failure) -> Self {
        Self(failure)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, Json(self.0.envelope())).into_response();
        if let Some(secs) = self.0.retry_after_secs()
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert("retry-after", value);
        }
        response
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as R;
        let failure = |code: ErrorCode| Failure::new(code, rejection.body_text());
        Self(match &rejection {
            R::JsonDataError(_) => failure(ErrorCode::InvalidBody),
            R::JsonSyntaxError(_) => failure(ErrorCode::MalformedJson),
            R::MissingJsonContentType(_) => failure(ErrorCode::UnsupportedMediaType),
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => failure(ErrorCode::BodyTooLarge),
            _ => failure(ErrorCode::InvalidBody).with_status(400),
        })
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        Self(Failure::new(ErrorCode::InvalidQuery, rejection.body_text()))
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        Self(Failure::new(ErrorCode::InvalidPath, rejection.body_text()))
    }
}
