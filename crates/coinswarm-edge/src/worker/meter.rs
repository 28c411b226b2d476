//! Counting a request's billable operations ([`crate::billable`]) as the Worker and its
//! objects make them. A meter belongs to one request (requests interleave in an isolate, so
//! it is passed along, never global).

use crate::billable::{Billable, HEADER};
use std::cell::Cell;
use worker::{Response, SqlCursor, SqlStorage, SqlStorageValue};

#[derive(Debug, Default)]
pub struct Meter(Cell<Billable>);

impl Meter {
    pub fn add(&self, more: Billable) {
        let mut now = self.0.get();
        now += more;
        self.0.set(now);
    }

    pub fn total(&self) -> Billable {
        self.0.get()
    }

    /// A Durable Object call and what the object reported it did.
    pub fn object_answered(&self, response: &Response) {
        let mut billable =
            response.headers().get(HEADER).ok().flatten().map(|h| Billable::parse(&h)).unwrap_or_default();
        billable.do_requests += 1;
        self.add(billable);
    }

    /// The rows a SQLite statement of an object read and wrote.
    pub fn sql(&self, cursor: &SqlCursor) {
        self.add(Billable {
            sql_rows_read: cursor.rows_read() as u64,
            sql_rows_written: cursor.rows_written() as u64,
            ..Billable::default()
        });
    }

    /// Runs a writing statement, counting its rows.
    pub fn exec(&self, sql: &SqlStorage, query: &str, bindings: Vec<SqlStorageValue>) -> worker::Result<SqlCursor> {
        let cursor = sql.exec(query, bindings)?;
        self.sql(&cursor);
        Ok(cursor)
    }

    /// Puts the count on a response.
    pub fn stamp(&self, response: Response) -> Response {
        let mut response = response;
        let _ = response.headers_mut().set(HEADER, &self.total().header());
        response
    }
}
