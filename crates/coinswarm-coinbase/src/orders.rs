//! Coinswarm orders in Coinbase's words and back: the create-order body for an accepted
//! order, Coinbase's answer to it, an order's cumulative state for the engine's venue
//! execution, and the accounts' available balances.

use crate::error::CoinbaseError;
use coinswarm_core::exchange::{Order, OrderRequest, VenueOrderState, VenueStatus};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// Why Coinbase refused to create an order (`success: false`): its failure code and words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Coinbase refused the order: {code}: {message}")]
pub struct OrderRefused {
    pub code: String,
    pub message: String,
}

/// The create-order body for an accepted order. Its `client_order_id` is the order's own
/// id, so however often it is sent Coinbase places it once.
pub fn create_order_body(order: &Order) -> Value {
    let request = OrderRequest {
        client_order_id: Some(order.order_id.to_string()),
        product_id: order.product_id,
        side: order.side,
        order_configuration: order.order_configuration.clone(),
    };
    serde_json::to_value(request).unwrap_or(Value::Null)
}

/// Coinbase's order id from its answer to a create-order request, or why it refused.
pub fn created_order_id(answer: &Value) -> Result<String, OrderRefused> {
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    if answer.get("success").and_then(Value::as_bool) == Some(true) {
        let id = answer.get("success_response").map(|r| text(r, "order_id")).unwrap_or_default();
        let id = if id.is_empty() { text(answer, "order_id") } else { id };
        if !id.is_empty() {
            return Ok(id);
        }
        return Err(OrderRefused { code: "NO_ORDER_ID".into(), message: "success without an order id".into() });
    }
    let error = answer.get("error_response").cloned().unwrap_or(Value::Null);
    let code =
        [text(&error, "error"), text(&error, "new_order_failure_reason"), text(&error, "preview_failure_reason")]
            .into_iter()
            .chain([text(answer, "failure_reason")])
            .find(|c| !c.is_empty() && !c.starts_with("UNKNOWN"))
            .unwrap_or_else(|| "UNKNOWN_FAILURE_REASON".into());
    let message = [text(&error, "message"), text(&error, "error_details")].into_iter().find(|m| !m.is_empty());
    Err(OrderRefused { code, message: message.unwrap_or_else(|| answer.to_string()) })
}

/// An order's cumulative state from Coinbase's `get order` answer (`{"order": {…}}` or the
/// order itself). Queued, open and unknown statuses count as still working.
pub fn venue_state(answer: &Value) -> Result<VenueOrderState, CoinbaseError> {
    let order = answer.get("order").unwrap_or(answer);
    let invalid = |what: String| CoinbaseError::Invalid(format!("Coinbase order {order}: {what}"));
    let decimal = |key: &str| -> Result<Decimal, CoinbaseError> {
        match order.get(key) {
            None | Some(Value::Null) => Ok(Decimal::ZERO),
            Some(Value::String(s)) if s.is_empty() => Ok(Decimal::ZERO),
            Some(Value::String(s)) => Decimal::from_str(s).map_err(|e| invalid(format!("{key} '{s}': {e}"))),
            Some(other) => Decimal::from_str(&other.to_string()).map_err(|e| invalid(format!("{key}: {e}"))),
        }
    };
    let status = match order.get("status").and_then(Value::as_str) {
        Some("FILLED") => VenueStatus::Filled,
        Some("CANCELLED") => VenueStatus::Cancelled,
        Some("EXPIRED") => VenueStatus::Expired,
        Some("FAILED") => VenueStatus::Failed,
        Some(_) => VenueStatus::Working,
        None => return Err(invalid("no status".into())),
    };
    let filled_size = decimal("filled_size")?;
    let average = decimal("average_filled_price")?;
    if filled_size.is_sign_negative() || average.is_sign_negative() {
        return Err(invalid("negative filled size or price".into()));
    }
    let reason = ["cancel_message", "reject_message", "reject_reason"]
        .iter()
        .filter_map(|key| order.get(*key).and_then(Value::as_str))
        .find(|m| !m.is_empty())
        .map(str::to_string);
    Ok(VenueOrderState {
        status,
        filled_size,
        filled_value: filled_size * average,
        total_fees: decimal("total_fees")?,
        reason,
    })
}

/// One currency's balance at Coinbase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub currency: String,
    pub available: Decimal,
    /// Held for open orders.
    pub hold: Decimal,
}

/// The balances in one page of Coinbase's `accounts` answer.
pub fn balances(answer: &Value) -> Result<Vec<Balance>, CoinbaseError> {
    let accounts = answer
        .get("accounts")
        .and_then(Value::as_array)
        .ok_or_else(|| CoinbaseError::Invalid(format!("not an accounts answer: {answer}")))?;
    accounts
        .iter()
        .map(|account| {
            let currency = account.get("currency").and_then(Value::as_str).unwrap_or_default();
            let amount = |key: &str| account.get(key).and_then(|b| b.get("value")).and_then(Value::as_str);
            let hold = amount("hold").map_or(Ok(Decimal::ZERO), Decimal::from_str);
            match (currency, amount("available_balance").map(Decimal::from_str), hold) {
                (c, Some(Ok(available)), Ok(hold))
                    if !c.is_empty() && !available.is_sign_negative() && !hold.is_sign_negative() =>
                {
                    Ok(Balance { currency: c.to_string(), available, hold })
                }
                _ => Err(CoinbaseError::Invalid(format!("an account without a currency and balance: {account}"))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coinbase_refusals_carry_the_most_specific_reason() {
        let refused = json!({"success": false, "failure_reason": "UNKNOWN_FAILURE_REASON",
            "error_response": {"error": "INSUFFICIENT_FUND", "message": "Insufficient balance in source account"}});
        let err = created_order_id(&refused).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("INSUFFICIENT_FUND", "Insufficient balance in source account")
        );
        let ok = json!({"success": true, "success_response": {"order_id": "abc", "client_order_id": "x"}});
        assert_eq!(created_order_id(&ok).unwrap(), "abc");
    }

    #[test]
    fn order_states_are_read_from_coinbase_fields() {
        let answer = json!({"order": {"status": "OPEN", "filled_size": "0.5", "average_filled_price": "101.5",
            "total_fees": "0.3", "cancel_message": ""}});
        let state = venue_state(&answer).unwrap();
        assert_eq!(state.status, VenueStatus::Working);
        assert_eq!(
            (state.filled_size, state.filled_value, state.total_fees),
            (Decimal::new(5, 1), Decimal::new(5075, 2), Decimal::new(3, 1))
        );
        let cancelled =
            venue_state(&json!({"order": {"status": "CANCELLED", "cancel_message": "User requested cancel"}})).unwrap();
        assert_eq!(
            (cancelled.status, cancelled.reason.as_deref()),
            (VenueStatus::Cancelled, Some("User requested cancel"))
        );
        assert!(venue_state(&json!({"order": {"status": "OPEN", "filled_size": "x"}})).is_err());
        assert!(venue_state(&json!({"order": {}})).is_err());
    }

    #[test]
    fn balances_are_read_and_malformed_accounts_refused() {
        let answer = json!({"accounts": [{"currency": "USD", "available_balance": {"value": "10.5", "currency": "USD"},
            "hold": {"value": "2", "currency": "USD"}}]});
        let usd = Balance { currency: "USD".into(), available: Decimal::new(105, 1), hold: Decimal::TWO };
        assert_eq!(balances(&answer).unwrap(), vec![usd]);
        assert!(balances(&json!({"accounts": [{"currency": "USD"}]})).is_err());
        assert!(balances(&json!({})).is_err());
    }
}
