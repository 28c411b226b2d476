//! An account rebuilt from the JSON text of its event log by a second, independent reading
//! of the ledger's rules: the oracle the engine's account is checked against.

use coinswarm_core::ledger::Account;
use coinswarm_core::market::Currency;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// An order as the log's JSON says it stands.
#[derive(Debug)]
struct RebuiltOrder {
    client_order_id: Option<String>,
    status: String,
    trigger_status: String,
    filled_size: Decimal,
    filled_value: Decimal,
    total_fees: Decimal,
    hold_currency: String,
    hold_remaining: Decimal,
    reason: Option<String>,
}

/// An account rebuilt from the JSON lines of its log by the rules its events document
/// (`ledger::EventKind`): deposits and withdrawals move available funds; an accepted order
/// moves its hold from available to hold; a fill spends from the order's hold first, then
/// from available, and credits what it brought net of its fee; a fill that completes the
/// order, a cancel, an expiry or a failure releases what the order still holds. Positions
/// grow with buys and shrink with sells, never below zero. The most recent
/// `retained_orders` ended orders are kept, and every live one.
#[derive(Debug, Default)]
pub struct RebuiltAccount {
    available: BTreeMap<String, Decimal>,
    hold: BTreeMap<String, Decimal>,
    fees_paid: BTreeMap<String, Decimal>,
    net_deposits: BTreeMap<String, Decimal>,
    position_sizes: BTreeMap<String, Decimal>,
    orders: BTreeMap<String, RebuiltOrder>,
    /// Order ids in the order they ended.
    ended: Vec<String>,
    events: u64,
    last_time: i64,
    retained_orders: usize,
}

fn decimal(value: &Value) -> Decimal {
    value.as_str().unwrap_or_else(|| panic!("a decimal is a JSON string: {value}")).parse().unwrap()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_string()
}

impl RebuiltAccount {
    pub fn from_jsonl(log: &str, retained_orders: usize) -> Self {
        let mut account = Self { retained_orders, ..Self::default() };
        for line in log.lines() {
            let event: Value = serde_json::from_str(line).unwrap();
            assert_eq!(event["seq"].as_u64(), Some(account.events), "{line}");
            account.events += 1;
            account.last_time = event["time"].as_i64().unwrap();
            account.apply(&event);
        }
        account
    }

    fn apply(&mut self, event: &Value) {
        match event["type"].as_str().unwrap() {
            "DEPOSITED" | "WITHDREW" => {
                let sign = if event["type"] == "DEPOSITED" { Decimal::ONE } else { -Decimal::ONE };
                let (currency, amount) = (text(&event["currency"]), decimal(&event["amount"]));
                *self.available.entry(currency.clone()).or_default() += sign * amount;
                *self.net_deposits.entry(currency).or_default() += sign * amount;
            }
            "ORDER_ACCEPTED" => {
                let order = &event["order"];
                let rebuilt = RebuiltOrder {
                    client_order_id: order["client_order_id"].as_str().map(str::to_string),
                    status: text(&order["status"]),
                    trigger_status: text(&order["trigger_status"]),
                    filled_size: Decimal::ZERO,
                    filled_value: Decimal::ZERO,
                    total_fees: Decimal::ZERO,
                    hold_currency: text(&order["hold_currency"]),
                    hold_remaining: decimal(&order["hold_remaining"]),
                    reason: None,
                };
                *self.available.entry(rebuilt.hold_currency.clone()).or_default() -= rebuilt.hold_remaining;
                *self.hold.entry(rebuilt.hold_currency.clone()).or_default() += rebuilt.hold_remaining;
                self.orders.insert(text(&order["order_id"]), rebuilt);
            }
            "ORDER_TRIGGERED" => self.order(event).trigger_status = "STOP_TRIGGERED".into(),
            kind @ ("ORDER_PARTIALLY_FILLED" | "ORDER_FILLED") => {
                let fill = &event["fill"];
                let product = text(&fill["product_id"]);
                let (base, quote) = product.split_once('-').map(|(b, q)| (b.to_string(), q.to_string())).unwrap();
                let (price, size, fee) = (decimal(&fill["price"]), decimal(&fill["size"]), decimal(&fill["fee"]));
                let notional = price * size;
                let buy = fill["side"] == "BUY";
                let (spent_currency, spent, received_currency, received) = if buy {
                    (quote.clone(), notional + fee, base, size)
                } else {
                    (base, size, quote.clone(), notional - fee)
                };
                let order = self.orders.get_mut(&text(&fill["order_id"])).unwrap();
                let from_hold = spent.min(order.hold_remaining);
                order.hold_remaining -= from_hold;
                order.filled_size += size;
                order.filled_value += notional;
                order.total_fees += fee;
                *self.hold.entry(spent_currency.clone()).or_default() -= from_hold;
                *self.available.entry(spent_currency).or_default() -= spent - from_hold;
                *self.available.entry(received_currency).or_default() += received;
                *self.fees_paid.entry(quote).or_default() += fee;
                let position = self.position_sizes.entry(product).or_default();
                *position = if buy { *position + size } else { (*position - size).max(Decimal::ZERO) };
                if kind == "ORDER_FILLED" {
                    self.end(&text(&fill["order_id"]), "FILLED", None);
                }
            }
            "ORDER_CANCELLED" => self.end(&text(&event["order_id"]), "CANCELLED", event["reason"].as_str()),
            "ORDER_EXPIRED" => self.end(&text(&event["order_id"]), "EXPIRED", None),
            "ORDER_FAILED" => self.end(&text(&event["order_id"]), "FAILED", event["reason"].as_str()),
            other => panic!("a paper account logs no {other} event"),
        }
    }

    fn order(&mut self, event: &Value) -> &mut RebuiltOrder {
        self.orders.get_mut(event["order_id"].as_str().unwrap()).unwrap()
    }

    fn end(&mut self, order_id: &str, status: &str, reason: Option<&str>) {
        let order = self.orders.get_mut(order_id).unwrap();
        order.status = status.into();
        order.reason = reason.map(str::to_string);
        let released = std::mem::take(&mut order.hold_remaining);
        *self.hold.entry(order.hold_currency.clone()).or_default() -= released;
        *self.available.entry(order.hold_currency.clone()).or_default() += released;
        self.ended.push(order_id.to_string());
    }

    pub fn assert_matches(&self, account: &Account) {
        let currencies: BTreeSet<&String> = self.available.keys().chain(self.hold.keys()).collect();
        for currency in currencies {
            let balance = account.balance(Currency::new(currency).unwrap());
            let available = self.available.get(currency).copied().unwrap_or_default();
            let hold = self.hold.get(currency).copied().unwrap_or_default();
            assert_eq!((balance.available, balance.hold), (available, hold), "{currency} available and hold");
        }
        let by_name = |map: &BTreeMap<Currency, Decimal>| -> BTreeMap<String, Decimal> {
            map.iter().map(|(currency, amount)| (currency.to_string(), *amount)).collect()
        };
        assert_eq!(by_name(account.fees_paid()), self.fees_paid, "fees paid");
        assert_eq!(by_name(account.net_deposits()), self.net_deposits, "net deposits");
        let sizes: BTreeMap<String, Decimal> =
            account.positions().iter().map(|(product, position)| (product.to_string(), position.size)).collect();
        assert_eq!(sizes, self.position_sizes, "position sizes");
        // Every live order, and the most recently ended ones.
        let retained = &self.ended[self.ended.len().saturating_sub(self.retained_orders)..];
        let mut expected_ids: Vec<&str> = self
            .orders
            .iter()
            .filter(|(_, o)| o.status == "OPEN" || o.status == "PENDING")
            .map(|(id, _)| id.as_str())
            .chain(retained.iter().map(String::as_str))
            .collect();
        expected_ids.sort_unstable();
        let mut held_ids: Vec<String> = account.orders().map(|o| o.order_id.to_string()).collect();
        held_ids.sort_unstable();
        assert_eq!(held_ids, expected_ids, "the orders the account keeps");
        for order in account.orders() {
            let rebuilt = &self.orders[&order.order_id.to_string()];
            let status = serde_json::to_value(order.status).unwrap();
            let trigger = serde_json::to_value(order.trigger_status).unwrap();
            assert_eq!(status.as_str(), Some(rebuilt.status.as_str()), "{}", order.order_id);
            assert_eq!(trigger.as_str(), Some(rebuilt.trigger_status.as_str()), "{}", order.order_id);
            assert_eq!(
                (order.filled_size, order.filled_value, order.total_fees, order.hold_remaining),
                (rebuilt.filled_size, rebuilt.filled_value, rebuilt.total_fees, rebuilt.hold_remaining),
                "{} filled size, value, fees and hold",
                order.order_id
            );
            assert_eq!(order.hold_currency.to_string(), rebuilt.hold_currency);
            assert_eq!((&order.client_order_id, &order.reason), (&rebuilt.client_order_id, &rebuilt.reason));
        }
        assert_eq!((account.next_seq(), account.time().millis()), (self.events, self.last_time));
    }
}
