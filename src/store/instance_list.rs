//! The account's instance lists: a page by offset or by keyset in one of two orders,
//! under the filters, with its exact total from the counts the triggers of `instances`
//! keep (migrations 0005, 0006) — or, among a set of ids the runtime alone knows (its
//! resident or failed instances), counted over that set: either way bounded by what is
//! asked, not by the account's size. Lists that only the runtime can filter (residency)
//! walk the list's keys first and read whole rows only for the instances kept.

use crate::ids::{AccountId, InstanceId};

use super::records::{InstanceFilter, InstanceRecord, Keys, Page, Paged, Position, SortKey};
use super::rows::{InstanceRow, corrupt, instance_id, instance_select, signed};
use super::{Backend, Store, StoreError, with_pool};

/// A live instance, as lists test it: the predicate of the partial list indexes, so that
/// PostgreSQL can use them.
const LIVE: &str = "i.deleted_at IS NULL";

/// The sort value of a keyset position, as bound.
#[derive(Clone, Copy)]
enum KeyValue<'a> {
    Micros(i64),
    Text(&'a str),
}

/// A list's statement, less its columns: the filter's conditions (which its count shares),
/// the keyset condition and the order, and the values they bind — the account, the user
/// tag, the ids, then the keyset position, numbered in that order.
struct ListSql<'a> {
    conditions: String,
    keyset: String,
    /// The sort's column, as `order` starts with it.
    column: &'static str,
    order: String,
    /// The number of the last placeholder.
    n: usize,
    user: Option<&'a str>,
    ids: Option<String>,
    after: Option<(KeyValue<'a>, &'a str)>,
}

/// Binds a [`ListSql`]'s values to `q`: the account, the user tag, the ids and, unless
/// `$filter_only`, the keyset position.
macro_rules! bind_list {
    ($q:expr, $parts:expr, $account:expr, $filter_only:expr) => {{
        let mut q = $q.bind($account.as_str());
        if let Some(user) = $parts.user {
            q = q.bind(user);
        }
        if let Some(ids) = &$parts.ids {
            q = q.bind(ids.as_str());
        }
        match $parts.after {
            Some(_) if $filter_only => q,
            None => q,
            Some((KeyValue::Micros(at), id)) => q.bind(at).bind(id),
            Some((KeyValue::Text(name), id)) => q.bind(name).bind(id),
        }
    }};
}

impl Store {
    /// One page of the account's live instances (by offset, or after a position of
    /// the same sort), and how many there are in all.
    pub async fn list_instances(
        &self,
        account: &AccountId,
        filter: &InstanceFilter,
        sort: SortKey,
        descending: bool,
        page: Page,
    ) -> Result<Paged<InstanceRecord>, StoreError> {
        let parts = self.list_sql(filter, sort, descending, page.after.as_ref())?;
        // Past an offset, the page's ids come first, from the sort's index alone, so only
        // the page's rows join their snapshot and newest history row, however many the
        // offset skips (without one, the planner joins only the page's rows anyway, and
        // the extra lookup of each row by id would be its only effect).
        let select = instance_select(self.backend());
        let page_rows = format!(
            "{} {} ORDER BY {} LIMIT ${} OFFSET ${}",
            parts.conditions,
            parts.keyset,
            parts.order,
            parts.n + 1,
            parts.n + 2
        );
        let list = if page.offset > 0 {
            format!(
                "{select} WHERE i.id IN (SELECT i.id FROM instances i WHERE {page_rows}) \
                 ORDER BY {}",
                parts.order
            )
        } else {
            format!("{select} WHERE {page_rows}")
        };
        // Among given ids, the total is theirs: counted, at most one primary-key probe
        // per id; else from the counts the triggers keep.
        let count = match &parts.ids {
            Some(_) => format!(
                "SELECT COUNT(*), CAST(0 AS BIGINT) FROM instances i WHERE {}",
                parts.conditions
            ),
            None => counts_sql(filter).to_owned(),
        };
        let (rows, counts): (Vec<InstanceRow>, (i64, i64)) = with_pool!(self.backend(), |pool| {
            // A page of no rows asks only for the total: the list is not read (among a
            // large set of ids, it is the costlier statement of the two).
            let rows = if page.limit == 0 {
                Vec::new()
            } else {
                bind_list!(sqlx::query_as(&list), parts, account, false)
                    .bind(i64::from(page.limit) + 1)
                    .bind(signed(page.offset))
                    .fetch_all(pool)
                    .await?
            };
            let counts = bind_list!(sqlx::query_as(&count), parts, account, true)
                .fetch_one(pool)
                .await?;
            Ok::<_, StoreError>((rows, counts))
        })?;
        let (live, stopped) = counts;
        let total = match (&parts.ids, filter.stopped) {
            (Some(_), _) | (None, None) => live,
            (None, Some(true)) => stopped,
            (None, Some(false)) => live - stopped,
        };
        Paged::cut(rows, page.limit, super::rows::unsigned(total)?)
            .try_map(InstanceRecord::try_from)
    }

    /// Up to `limit` ids of the list after `after` (or from its start), and the position
    /// of the last: the sort's index alone, for callers that filter them further and then
    /// read the rows they keep with [`Store::instances_in_order`]. The chunk comes back as
    /// one row (the ids joined in the list's order, and the sort value of the last), split
    /// in place: a residency page reads thousands of keys, and in a server holding a
    /// million actors a row, or a string, allocated per key was its largest cost
    /// (BENCHMARKS.md, 2026-12-07 fourth session).
    pub async fn list_instance_keys(
        &self,
        account: &AccountId,
        filter: &InstanceFilter,
        sort: SortKey,
        descending: bool,
        after: Option<&Position>,
        limit: u32,
    ) -> Result<Keys, StoreError> {
        let parts = self.list_sql(filter, sort, descending, after)?;
        // The last row's sort value is the chunk's extreme one: the order is (value, id).
        // As text, whichever the sort: one column to decode.
        let last = if descending { "MIN" } else { "MAX" };
        // `string_agg` is SQLite's too (3.44), with the order inside the aggregate.
        let sql = format!(
            "SELECT string_agg(i.id, ',' ORDER BY {order}), CAST({last}({column}) AS TEXT) \
             FROM (SELECT i.id, {column} FROM instances i WHERE {} {} ORDER BY {order} \
             LIMIT ${}) i",
            parts.conditions,
            parts.keyset,
            parts.n + 1,
            order = parts.order,
            column = parts.column,
        );
        let (ids, value): (Option<String>, Option<String>) = with_pool!(self.backend(), |pool| {
            bind_list!(sqlx::query_as(&sql), parts, account, false)
                .bind(i64::from(limit))
                .fetch_one(pool)
                .await
        })?;
        keys_of(ids.as_deref(), value, sort)
    }

    /// The instances among `ids` that `filter` (whose own ids it replaces) still covers,
    /// whole, in the list's order.
    pub async fn instances_in_order(
        &self,
        account: &AccountId,
        filter: &InstanceFilter,
        ids: Vec<InstanceId>,
        sort: SortKey,
        descending: bool,
    ) -> Result<Vec<InstanceRecord>, StoreError> {
        let among = InstanceFilter {
            ids: Some(ids),
            ..filter.clone()
        };
        let parts = self.list_sql(&among, sort, descending, None)?;
        let list = format!(
            "{} WHERE {} ORDER BY {}",
            instance_select(self.backend()),
            parts.conditions,
            parts.order
        );
        let rows: Vec<InstanceRow> = with_pool!(self.backend(), |pool| {
            bind_list!(sqlx::query_as(&list), parts, account, false)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(InstanceRecord::try_from).collect()
    }

    /// The parts of a list's statement under `filter`, in `sort`'s order, after `after`.
    fn list_sql<'a>(
        &self,
        filter: &'a InstanceFilter,
        sort: SortKey,
        descending: bool,
        after: Option<&'a Position>,
    ) -> Result<ListSql<'a>, StoreError> {
        // Only fixed fragments are spliced in; every value is bound.
        let mut conditions = format!("i.account_id = $1 AND {LIVE}");
        let mut n = 1;
        if filter.user.is_some() {
            n += 1;
            conditions.push_str(&format!(" AND i.user_tag = ${n}"));
        }
        let ids = match &filter.ids {
            Some(ids) => {
                n += 1;
                conditions.push_str(&format!(" AND i.id IN ({})", self.ids_in(n)));
                Some(ids_json(ids)?)
            }
            None => None,
        };
        // Spelled out, not bound: only then do the planners of both databases know the
        // partial index of stopped instances applies (migration 0009).
        match filter.stopped {
            Some(true) => conditions.push_str(" AND i.stopped"),
            Some(false) => conditions.push_str(" AND NOT i.stopped"),
            None => {}
        }
        let column = match sort {
            SortKey::CreatedAt => "i.created_at",
            SortKey::Name => "i.name",
        };
        let (direction, beyond) = if descending {
            ("DESC", "<")
        } else {
            ("ASC", ">")
        };
        // A keyset page: the rows beyond the last one of the page before, in the list's
        // order (a range of the sort's index, however deep).
        let after = match (after, sort) {
            (None, _) => None,
            (Some(Position::Created { at, id }), SortKey::CreatedAt) => {
                Some((KeyValue::Micros(*at), id.as_str()))
            }
            (Some(Position::Name { name, id }), SortKey::Name) => {
                Some((KeyValue::Text(name.as_str()), id.as_str()))
            }
            (Some(_), _) => {
                return Err(StoreError::Corrupt(
                    "an instance page continues after a position of its own sort".into(),
                ));
            }
        };
        let keyset = match after {
            Some(_) => {
                n += 2;
                format!("AND ({column}, i.id) {beyond} (${}, ${n})", n - 1)
            }
            None => String::new(),
        };
        Ok(ListSql {
            conditions,
            keyset,
            column,
            order: format!("{column} {direction}, i.id {direction}"),
            n,
            user: filter.user.as_deref(),
            ids,
            after,
        })
    }

    /// The rows of a JSON array of ids bound at `$n`, as a subquery.
    fn ids_in(&self, n: usize) -> String {
        match self.backend() {
            Backend::Postgres(_) => {
                format!("SELECT jsonb_array_elements_text(CAST(${n} AS JSONB))")
            }
            Backend::Sqlite(_) => format!("SELECT value FROM json_each(${n})"),
        }
    }
}

/// The ids of a key chunk (joined by commas, in order; none for an empty chunk) and the
/// position of the last, from its sort value as text.
fn keys_of(ids: Option<&str>, value: Option<String>, sort: SortKey) -> Result<Keys, StoreError> {
    let Some(joined) = ids else {
        return Ok(Keys {
            ids: Vec::new(),
            last: None,
        });
    };
    let id = joined
        .rsplit_once(',')
        .map_or(joined, |(_, last)| last)
        .to_owned();
    let value = value.ok_or_else(|| corrupt("a key chunk without its last sort value"))?;
    let last = match sort {
        SortKey::CreatedAt => Position::Created {
            at: value.parse().map_err(corrupt)?,
            id,
        },
        SortKey::Name => Position::Name { name: value, id },
    };
    let ids = joined
        .split(',')
        .map(instance_id)
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Keys {
        ids,
        last: Some(last),
    })
}

/// Ids as the JSON array [`Store::ids_in`] reads: one bound text, whatever their number.
fn ids_json(ids: &[InstanceId]) -> Result<String, StoreError> {
    serde_json::to_string(&ids.iter().map(InstanceId::as_str).collect::<Vec<_>>()).map_err(corrupt)
}

/// How many live and how many stopped instances a list's filter covers, from the
/// counts the triggers of `instances` keep (migrations 0005, 0006): a handful of rows
/// whatever the account's size. Binds the account, then the user tag if filtered.
fn counts_sql(filter: &InstanceFilter) -> &'static str {
    match filter.user {
        None => {
            "SELECT CAST(COALESCE(SUM(live), 0) AS BIGINT), \
             CAST(COALESCE(SUM(stopped), 0) AS BIGINT) \
             FROM account_counts WHERE account_id = $1"
        }
        Some(_) => {
            "SELECT CAST(COALESCE(SUM(live), 0) AS BIGINT), \
             CAST(COALESCE(SUM(stopped), 0) AS BIGINT) \
             FROM user_counts WHERE account_id = $1 AND user_tag = $2"
        }
    }
}
