//! The MCP resources: the caller's accounts, the products, its orders and fills, and one
//! account, product or order by id, as JSON from [`crate::desk`].

use super::mcp_error;
use crate::adapters::keys::ApiKey;
use crate::desk;
use crate::desk::Desk;
use coinswarm_api::views::{OrderView, to_json};
use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde_json::{Value, json};

const JSON: &str = "application/json";

pub fn list() -> Vec<Resource> {
    [
        ("coinswarm://accounts", "accounts", "The accounts your key sees: balances, positions, equity."),
        ("coinswarm://products", "products", "The listed products and their trading rules."),
        ("coinswarm://orders", "orders", "Your account's orders, newest first (up to 1000)."),
        ("coinswarm://fills", "fills", "Your account's recent fills, newest first (up to 1000)."),
    ]
    .into_iter()
    .map(|(uri, name, description)| Resource::new(uri, name).with_description(description).with_mime_type(JSON))
    .collect()
}

pub fn templates() -> Vec<ResourceTemplate> {
    [
        ("coinswarm://account/{id}", "account", "One account by id: balances, positions, equity."),
        ("coinswarm://product/{id}", "product", "One product by id (e.g. BTC-USD) with its rules."),
        ("coinswarm://order/{id}", "order", "One of your orders by id."),
    ]
    .into_iter()
    .map(|(uri, name, description)| ResourceTemplate::new(uri, name).with_description(description).with_mime_type(JSON))
    .collect()
}

/// Reads a resource; an unknown URI or id is `resource_not_found`.
pub async fn read(parts: &Desk, key: &ApiKey, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let not_found = || ErrorData::resource_not_found(format!("no resource {uri}"), Some(json!({"uri": uri})));
    let found = |error: coinswarm_api::Failure| {
        if error.status == 404 {
            ErrorData::resource_not_found(format!("no resource {uri}: {}", error.message), Some(json!({"uri": uri})))
        } else {
            mcp_error(error)
        }
    };
    let path = uri.strip_prefix("coinswarm://").ok_or_else(not_found)?;
    let value: Value = match path.split_once('/') {
        None => match path {
            "accounts" => {
                to_json(&desk::accounts(parts, desk::Permit::check(key).map_err(found)?).await.map_err(found)?)
            }
            "products" => to_json(&desk::products(parts)),
            "orders" => to_json(
                &desk::orders(parts, desk::Permit::check(key).map_err(found)?, None, None, Some(1000))
                    .await
                    .map_err(found)?,
            ),
            "fills" => to_json(
                &desk::trades(parts, desk::Permit::check(key).map_err(found)?, None, Some(1000))
                    .await
                    .map_err(found)?,
            ),
            _ => return Err(not_found()),
        },
        Some(("account", id)) if !id.is_empty() => {
            to_json(&desk::account(parts, desk::Permit::check(key).map_err(found)?, Some(id)).await.map_err(found)?)
        }
        Some(("product", id)) if !id.is_empty() => to_json(&desk::product(parts, id).map_err(found)?),
        Some(("order", id)) if !id.is_empty() => to_json(&OrderView {
            order: desk::order(parts, desk::Permit::check(key).map_err(found)?, id).await.map_err(found)?,
        }),
        _ => return Err(not_found()),
    };
    Ok(ReadResourceResult::new(vec![ResourceContents::text(value.to_string(), uri).with_mime_type(JSON)]))
}
