//! Metadata filters, with Vectorize's operators: equal, not equal, in, not in, and the four
//! range comparisons. A filter's conditions must all hold.

use super::vector::Metadata;

/// A metadata value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum MetadataValue {
    Bool(bool),
    Number(f64),
    Text(String),
}

impl From<&str> for MetadataValue {
    fn from(value: &str) -> Self {
        MetadataValue::Text(value.to_string())
    }
}

impl From<String> for MetadataValue {
    fn from(value: String) -> Self {
        MetadataValue::Text(value)
    }
}

impl From<f64> for MetadataValue {
    fn from(value: f64) -> Self {
        MetadataValue::Number(value)
    }
}

impl From<i64> for MetadataValue {
    fn from(value: i64) -> Self {
        MetadataValue::Number(value as f64)
    }
}

impl From<bool> for MetadataValue {
    fn from(value: bool) -> Self {
        MetadataValue::Bool(value)
    }
}

/// One condition on one metadata field.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Eq(MetadataValue),
    /// Also holds when the field is missing.
    Ne(MetadataValue),
    In(Vec<MetadataValue>),
    /// Also holds when the field is missing.
    NotIn(Vec<MetadataValue>),
    Lt(MetadataValue),
    Lte(MetadataValue),
    Gt(MetadataValue),
    Gte(MetadataValue),
}

/// Conditions on metadata fields, all of which must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub conditions: Vec<(String, Condition)>,
}

impl Filter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a condition on `field`.
    pub fn and(mut self, field: impl Into<String>, condition: Condition) -> Self {
        self.conditions.push((field.into(), condition));
        self
    }

    /// Whether `metadata` passes every condition.
    pub fn passes(&self, metadata: &Metadata) -> bool {
        self.conditions.iter().all(|(field, condition)| condition.holds(metadata.get(field)))
    }
}

impl Condition {
    fn holds(&self, value: Option<&MetadataValue>) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Condition::Eq(expected) => value == Some(expected),
            Condition::Ne(expected) => value != Some(expected),
            Condition::In(set) => value.is_some_and(|v| set.contains(v)),
            Condition::NotIn(set) => !value.is_some_and(|v| set.contains(v)),
            Condition::Lt(bound) => matches!(compare(value, bound), Some(Less)),
            Condition::Lte(bound) => matches!(compare(value, bound), Some(Less | Equal)),
            Condition::Gt(bound) => matches!(compare(value, bound), Some(Greater)),
            Condition::Gte(bound) => matches!(compare(value, bound), Some(Greater | Equal)),
        }
    }
}

/// Numbers compare with numbers, text with text (byte order); anything else never matches.
fn compare(value: Option<&MetadataValue>, bound: &MetadataValue) -> Option<std::cmp::Ordering> {
    match (value?, bound) {
        (MetadataValue::Number(a), MetadataValue::Number(b)) => a.partial_cmp(b),
        (MetadataValue::Text(a), MetadataValue::Text(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> Metadata {
        [("regime".to_string(), "trending".into()), ("time".to_string(), 100_i64.into())].into_iter().collect()
    }

    #[test]
    fn every_operator_holds_as_vectorize_defines_it() {
        let m = metadata();
        let passes = |field: &str, condition| Filter::new().and(field, condition).passes(&m);
        assert!(passes("regime", Condition::Eq("trending".into())));
        assert!(!passes("regime", Condition::Eq("ranging".into())));
        assert!(passes("regime", Condition::Ne("ranging".into())));
        assert!(passes("missing", Condition::Ne("x".into())), "a missing field is not equal");
        assert!(passes("regime", Condition::In(vec!["ranging".into(), "trending".into()])));
        assert!(!passes("missing", Condition::In(vec!["x".into()])));
        assert!(passes("missing", Condition::NotIn(vec!["x".into()])));
        assert!(passes("time", Condition::Lt(101_i64.into())));
        assert!(!passes("time", Condition::Lt(100_i64.into())));
        assert!(passes("time", Condition::Lte(100_i64.into())));
        assert!(passes("time", Condition::Gt(99_i64.into())));
        assert!(passes("time", Condition::Gte(100_i64.into())));
        assert!(!passes("time", Condition::Gt("a".into())), "a number never compares with text");
        assert!(!passes("missing", Condition::Gte(0_i64.into())));
        let both =
            Filter::new().and("regime", Condition::Eq("trending".into())).and("time", Condition::Lt(50_i64.into()));
        assert!(!both.passes(&m), "all conditions must hold");
    }
}
