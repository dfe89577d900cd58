//! The account's instance lists: a page by offset or by keyset in one of two orders,
//! under the filters, with its exact total from the counts the triggers of `instances`
//! keep (migrations 0005, 0006) — or, among a set of ids the runtime alone knows (its
//! resident or failed instances), counted over that set: either way bounded by what is
//! asked, not by the account's size.

use crate::ids::{AccountId, InstanceId};

use super::records::{InstanceFilter, InstanceRecord, Page, Paged, Position, SortKey};
use super::rows::{InstanceRow, corrupt, instance_select, signed};
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
        // Among given ids, the total is theirs: counted, at most one primary-key probe
        // per id; else from the counts the triggers keep.
        let count = match &ids {
            Some(_) => {
                format!("SELECT COUNT(*), CAST(0 AS BIGINT) FROM instances i WHERE {conditions}")
            }
            None => counts_sql(filter).to_owned(),
        };
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
        let after = match (&page.after, sort) {
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
        if after.is_some() {
            conditions.push_str(&format!(
                " AND ({column}, i.id) {beyond} (${}, ${})",
                n + 1,
                n + 2
            ));
            n += 2;
        }
        let list = format!(
            "{} WHERE {conditions} ORDER BY {column} {direction}, i.id {direction} \
             LIMIT ${} OFFSET ${}",
            instance_select(self.backend()),
            n + 1,
            n + 2
        );
        let (rows, counts): (Vec<InstanceRow>, (i64, i64)) = with_pool!(self.backend(), |pool| {
            let mut q = sqlx::query_as(&list).bind(account.as_str());
            let mut c = sqlx::query_as(&count).bind(account.as_str());
            if let Some(user) = &filter.user {
                q = q.bind(user.as_str());
                c = c.bind(user.as_str());
            }
            if let Some(ids) = &ids {
                q = q.bind(ids.as_str());
                c = c.bind(ids.as_str());
            }
            q = match after {
                None => q,
                Some((KeyValue::Micros(at), id)) => q.bind(at).bind(id),
                Some((KeyValue::Text(name), id)) => q.bind(name).bind(id),
            };
            // A page of no rows asks only for the total: the list is not read (among a
            // large set of ids, it is the costlier statement of the two).
            let rows = if page.limit == 0 {
                Vec::new()
            } else {
                q.bind(i64::from(page.limit) + 1)
                    .bind(signed(page.offset))
                    .fetch_all(pool)
                    .await?
            };
            let counts = c.fetch_one(pool).await?;
            Ok::<_, StoreError>((rows, counts))
        })?;
        let (live, stopped) = counts;
        let total = match (&ids, filter.stopped) {
            (Some(_), _) | (None, None) => live,
            (None, Some(true)) => stopped,
            (None, Some(false)) => live - stopped,
        };
        Paged::cut(rows, page.limit, super::rows::unsigned(total)?)
            .try_map(InstanceRecord::try_from)
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
