//! `GET /api/analytics?metric&bucket&from&to&account`: analytics events aggregated by time
//! bucket (server wall-clock time). Metrics: `trade_notional`, `trade_fee` (per fill, after
//! the post-trade queue), `order_ack_ms` (time to acknowledge an order durably).
//!
//! A key sees its own account's events; an admin key sees every account's (with events of no
//! known account, from before events named theirs), or one account's with `account`. An
//! account the caller may not see is answered exactly like one that does not exist (404).

use super::auth::Caller;
use super::error::ApiError;
use super::{AppState, json_body};
use crate::adapters::keys::Scope;
use crate::adapters::store::Analytics;
use crate::desk;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use coinswarm_api::query::AnalyticsQuery;
use coinswarm_api::{ErrorCode, Failure, RetryAfter, views};
use coinswarm_core::time::Timestamp;
use serde_json::Value;

const METRICS: [&str; 3] = ["trade_notional", "trade_fee", "order_ack_ms"];
/// Most buckets one query returns.
const MAX_BUCKETS: i64 = 10_000;

/// `1s`, `1m`, `5m`, `15m`, `1h`, `1d` or a number of milliseconds.
fn bucket_ms(text: &str) -> Option<i64> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: i64 = number.parse().ok().filter(|n| *n > 0)?;
    let scale = match unit {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(scale)
}

pub async fn query(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<AnalyticsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::Read)?;
    let Query(query) = query?;
    if !METRICS.contains(&query.metric.as_str()) {
        return Err(Failure::new(
            ErrorCode::UnknownMetric,
            format!("metric '{}': one of {}", query.metric, METRICS.join(", ")),
        )
        .into());
    }
    let bucket_text = query.bucket.as_deref().unwrap_or("1m");
    let bucket = bucket_ms(bucket_text).ok_or_else(|| {
        Failure::new(ErrorCode::InvalidBucket, format!("bucket '{bucket_text}': e.g. 1s, 1m, 1h, 1d"))
    })?;
    let now = state.0.clock.now().millis();
    let time = |text: &Option<String>, default: i64, end: bool| -> Result<i64, Failure> {
        match text {
            None => Ok(default),
            Some(text) => if end { Timestamp::parse_inclusive_end(text) } else { Timestamp::parse(text) }
                .map(|t| t.millis())
                .map_err(|e| Failure::new(ErrorCode::InvalidTime, format!("'{text}': {e}"))),
        }
    };
    let from = time(&query.from, now - 86_400_000, false)?;
    let to = time(&query.to, now, true)?;
    if from > to {
        return Err(Failure::new(ErrorCode::InvalidTime, "from is after to").into());
    }
    if (to - from) / bucket > MAX_BUCKETS {
        return Err(Failure::new(
            ErrorCode::TooManyBuckets,
            format!("more than {MAX_BUCKETS} buckets: widen the bucket"),
        )
        .into());
    }
    let account = match query.account {
        Some(account) => Some(visible_account(&state, &caller, account).await?),
        None if caller.0.allows(Scope::Admin) => None,
        None => Some(caller.0.account_id.clone()),
    };
    let buckets = state
        .store
        .query_buckets(&query.metric, account.as_deref(), bucket, from, to)
        .await
        .map_err(|e| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT))?;
    Ok(json_body(&views::Analytics { account_id: account, bucket_ms: bucket, buckets, from, metric: query.metric, to }))
}

/// `account` if it exists and the caller may see it, else 404.
async fn visible_account(state: &AppState, caller: &Caller, account: String) -> Result<String, Failure> {
    let not_found = || Failure::not_found(format!("no account {account}"));
    if !desk::may_see(&caller.0, &account) {
        return Err(not_found());
    }
    let accounts =
        state.store.accounts().await.map_err(|e| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT))?;
    if !accounts.contains(&account) {
        return Err(not_found());
    }
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::bucket_ms;

    #[test]
    fn buckets_read_as_durations() {
        assert_eq!(bucket_ms("1m"), Some(60_000));
        assert_eq!(bucket_ms("15m"), Some(900_000));
        assert_eq!(bucket_ms("250"), Some(250));
        assert_eq!(bucket_ms("1d"), Some(86_400_000));
        for bad in ["", "0s", "m", "1w", "-1m", "99999999999999999999d"] {
            assert_eq!(bucket_ms(bad), None, "{bad}");
        }
    }
}
