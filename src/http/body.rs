//! The success envelope: `{"data": …}`, and for lists `"pagination"` beside it.

use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Data<T> {
    pub data: T,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Listed<T> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Pagination {
    pub limit: u64,
    pub offset: u64,
    pub total: u64,
    pub has_more: bool,
}

impl Pagination {
    pub fn new(limit: u64, offset: u64, total: u64) -> Pagination {
        Pagination {
            limit,
            offset,
            total,
            has_more: offset.saturating_add(limit) < total,
        }
    }

    /// A list returned whole.
    pub fn whole(total: u64) -> Pagination {
        Pagination::new(total, 0, total)
    }
}
