//! The success envelope: `{"data": …}`, and for lists `"pagination"` beside it.

use serde::Serialize;

use crate::store::Page;
use crate::timestamp::Timestamp;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Data<T> {
    pub data: T,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Listed<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

/// A page of an instance's audit trail (history, drift events).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Trail<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
    /// Where the kept record begins: entries recorded before this time may have been
    /// dropped by history retention (`retention.history_days`, off by default); null
    /// while nothing ever was. `pagination.total` counts what is kept.
    #[schema(required = true, format = DateTime)]
    pub kept_since: Option<String>,
}

impl<T> Trail<T> {
    pub fn new(data: Vec<T>, pagination: Pagination, kept_since: Option<Timestamp>) -> Trail<T> {
        Trail {
            data,
            pagination,
            kept_since: kept_since.map(Timestamp::to_rfc3339),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Pagination {
    pub limit: u64,
    /// Items skipped before this page; 0 on a page reached by `cursor` (its depth is
    /// not counted: that is what makes it cheap).
    pub offset: u64,
    pub total: u64,
    pub has_more: bool,
    /// Pass as `cursor` for the next page (opaque); null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl Pagination {
    /// The page `page` asked for, of a list of `total`, continued by `next_cursor` if
    /// more follow.
    pub fn new(page: &Page, total: u64, next_cursor: Option<String>) -> Pagination {
        Pagination {
            limit: u64::from(page.limit),
            offset: page.offset,
            total,
            has_more: next_cursor.is_some(),
            next_cursor,
        }
    }

    /// A list returned whole.
    pub fn whole(total: u64) -> Pagination {
        Pagination {
            limit: total,
            offset: 0,
            total,
            has_more: false,
            next_cursor: None,
        }
    }
}
