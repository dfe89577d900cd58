//! The success envelope: `{"data": …}`, and for lists `"pagination"` beside it.

use serde::Serialize;

use crate::store::Page;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Data<T> {
    pub data: T,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Listed<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
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
