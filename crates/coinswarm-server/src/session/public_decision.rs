//! A live swarm's decision as the public sees it: every amount of the account's money
//! removed, the rest (action, prices, fractions, reasons) kept.

use serde_json::Value;

/// Shown in a decision's text in place of an amount of the account's money.
const HIDDEN: &str = "(hidden)";

/// Removes from a decision record (JSON) every amount of the account's money: the equity at
/// the decision, the order's base size and notional, a breaker trip's equity figures and
/// P&L, an oversight breach's equity and notional, the peak equity a risk veto names and the
/// size a skip below the product minimum names, and the peak and equity of a risk event (with
/// a breaker trip's figures in a cancellation's reason). Everything else stays, prices and fractions
/// included: the action, its price and the fractions of equity say what the swarm did and
/// why, not how much money it has (entry prices follow from its public decisions anyway).
/// The `/stream` `decisions` channel, one message for every subscriber, carries this form in
/// live mode.
pub fn hide_account_figures(decision: &mut Value) {
    let Some(record) = decision.as_object_mut() else { return };
    record.remove("equity");
    if let Some(order) = record.get_mut("order").and_then(Value::as_object_mut) {
        order.remove("base_size");
        order.remove("notional");
    }
    let trips = record.get_mut("breaker").and_then(|b| b.get_mut("tripped")).and_then(Value::as_array_mut);
    for trip in trips.into_iter().flatten().filter_map(Value::as_object_mut) {
        for amount in ["high", "equity", "last_pnl", "pnl"] {
            trip.remove(amount);
        }
    }
    let breaches = record.get_mut("oversight").and_then(Value::as_array_mut);
    for breach in breaches.into_iter().flatten().filter_map(Value::as_object_mut) {
        breach.remove("equity");
        breach.remove("notional");
    }
    let votes = record.get_mut("votes").and_then(Value::as_array_mut);
    for reason in votes.into_iter().flatten().filter_map(|vote| vote.get_mut("reason")) {
        hide_amount_after(reason, "peak equity ");
    }
    if let Some(skipped) = record.get_mut("skipped") {
        hide_amount_after(skipped, "order of ");
    }
    let events = record.get_mut("risk_events").and_then(Value::as_array_mut);
    for event in events.into_iter().flatten().filter_map(Value::as_object_mut) {
        for amount in ["peak", "equity", "previous_peak"] {
            event.remove(amount);
        }
        // A breaker's reason names the trip's figures: keep only the breaker's state.
        if let Some(reason) = event.get_mut("reason")
            && let Some(text) = reason.as_str()
            && text.starts_with("circuit breaker")
        {
            *reason = Value::String(text.split(':').next().unwrap_or(text).to_string());
        }
    }
}

/// Replaces, in a text value, the number right after each `marker` with [`HIDDEN`].
fn hide_amount_after(text: &mut Value, marker: &str) {
    let Some(original) = text.as_str() else { return };
    let mut hidden = String::with_capacity(original.len());
    let mut rest = original;
    while let Some(at) = rest.find(marker) {
        let (before, after) = rest.split_at(at + marker.len());
        hidden.push_str(before);
        let end = after.find(|c: char| c.is_whitespace()).unwrap_or(after.len());
        if after[..end].parse::<f64>().is_ok() {
            hidden.push_str(HIDDEN);
            rest = &after[end..];
        } else {
            rest = after;
        }
    }
    hidden.push_str(rest);
    *text = Value::String(hidden);
}
