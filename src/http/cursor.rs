//! Keyset cursors (API.md): a page's `pagination.next_cursor`, given back as `cursor=`,
//! reads the next page as an index range instead of skipping `offset` rows.
//!
//! Opaque to clients: the hex of `<scope>:<position>`, where the scope is a crc32 of the
//! list, its sort and its filters (so a cursor given to another list, sort or filter is
//! refused, 400 naming `cursor`) and the position is the last item's key: `s<seq>` for
//! history and drift, `c<micros>.<id>` or `n<id>.<name>` for instances by creation or
//! by name. Not signed: a cursor a client edits can only move where its own list starts.

use crate::engine::DriftLevel;
use crate::hex;
use crate::ids::{AccountId, InstanceId};
use crate::store::{Page, Paged, Position, SortKey};

use super::error::ApiError;

/// The longest cursor taken: a name sort's cursor holds the name (at most
/// `MAX_NAME_CHARS`, 100 characters of up to 4 bytes) and the id, in hex: about 900.
pub const MAX_CURSOR_LEN: usize = 2048;

/// The list a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope(u32);

impl Scope {
    /// An instance's history.
    pub fn history(id: &InstanceId) -> Scope {
        Scope::of(&["history", id.as_str()])
    }

    /// An instance's drift events, of one level or all.
    pub fn drift(id: &InstanceId, level: Option<DriftLevel>) -> Scope {
        Scope::of(&["drift", id.as_str(), level.map_or("", DriftLevel::as_str)])
    }

    /// An account's instances in one order, filtered by user tag and status as the
    /// query says (`filters`: each filter's name and value, or "").
    pub fn instances(
        account: &AccountId,
        sort: SortKey,
        descending: bool,
        filters: &[&str],
    ) -> Scope {
        let sort = match sort {
            SortKey::CreatedAt => "created_at",
            SortKey::Name => "name",
        };
        let order = if descending { "desc" } else { "asc" };
        let mut parts = vec!["instances", account.as_str(), sort, order];
        parts.extend_from_slice(filters);
        Scope::of(&parts)
    }

    /// The scope of the list named by `parts`: its kind, whose it is, sort and filters.
    pub fn of(parts: &[&str]) -> Scope {
        let mut hasher = crc32fast::Hasher::new();
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update(&[0x1f]);
        }
        Scope(hasher.finalize())
    }
}

/// The kind of position a list continues after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Seq,
    Created,
    Name,
}

/// The cursor of the page after `paged`, if items follow it: the position of its last
/// item, by `position`.
pub fn after<T>(
    scope: Scope,
    paged: &Paged<T>,
    position: impl Fn(&T) -> Position,
) -> Option<String> {
    let last = paged.items.last().filter(|_| paged.more)?;
    Some(encode(scope, &position(last)))
}

/// Where a page starts: after the position of `cursor` (of `scope`, holding a `kind`)
/// or, without one, after skipping `offset` items (default 0). A cursor and an offset
/// together are refused: the cursor says where the page starts.
pub fn page(
    limit: u32,
    offset: Option<u64>,
    cursor: Option<&str>,
    scope: Scope,
    kind: Kind,
) -> Result<Page, ApiError> {
    match (cursor, offset) {
        (None, offset) => Ok(Page {
            limit,
            offset: offset.unwrap_or(0),
            after: None,
        }),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "offset",
            "conflict",
            "offset cannot be given with cursor: the cursor says where the page starts",
        )),
        (Some(cursor), None) => Ok(Page {
            limit,
            offset: 0,
            after: Some(decode(cursor, scope, kind)?),
        }),
    }
}

/// The cursor that continues `scope` after `position`.
pub fn encode(scope: Scope, position: &Position) -> String {
    let text = match position {
        Position::Seq(seq) => format!("{:08x}:s{seq}", scope.0),
        Position::Created { at, id } => format!("{:08x}:c{at}.{id}", scope.0),
        Position::Name { name, id } => format!("{:08x}:n{id}.{name}", scope.0),
    };
    hex::encode(text.as_bytes())
}

/// The position `raw` continues after, if it is a cursor of `scope` holding a position
/// of `kind`; else 400 naming `cursor`.
pub fn decode(raw: &str, scope: Scope, kind: Kind) -> Result<Position, ApiError> {
    let malformed = || {
        ApiError::invalid(
            "cursor",
            "malformed",
            "cursor is not a cursor this server gave: pass `pagination.next_cursor` as it came",
        )
    };
    if raw.len() > MAX_CURSOR_LEN {
        return Err(malformed());
    }
    let bytes = hex::decode(raw).ok_or_else(malformed)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed())?;
    let (written, position) = text.split_once(':').ok_or_else(malformed)?;
    let written = u32::from_str_radix(written, 16).map_err(|_| malformed())?;
    if written != scope.0 {
        return Err(ApiError::invalid(
            "cursor",
            "another_list",
            "cursor belongs to another list, sort or filter: keep the query it came with",
        ));
    }
    let (tag, rest) = position.split_at_checked(1).ok_or_else(malformed)?;
    let parsed = match (tag, kind) {
        ("s", Kind::Seq) => rest
            .parse::<u64>()
            .ok()
            .filter(|seq| i64::try_from(*seq).is_ok())
            .map(Position::Seq),
        ("c", Kind::Created) => rest.split_once('.').and_then(|(at, id)| {
            Some(Position::Created {
                at: at.parse().ok()?,
                id: id.to_owned(),
            })
        }),
        ("n", Kind::Name) => rest.split_once('.').map(|(id, name)| Position::Name {
            name: name.to_owned(),
            id: id.to_owned(),
        }),
        _ => None,
    };
    parsed.ok_or_else(malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_gives_back_its_position_in_its_own_scope_only() {
        let scope = Scope::of(&["instances", "acct_1", "name", "asc"]);
        let position = Position::Name {
            name: "a.b:c ü".into(),
            id: "inst_1".into(),
        };
        let cursor = encode(scope, &position);
        assert_eq!(decode(&cursor, scope, Kind::Name).ok(), Some(position));
        let other = Scope::of(&["instances", "acct_1", "name", "desc"]);
        let refused = decode(&cursor, other, Kind::Name).err().map(|e| e.details);
        assert!(format!("{refused:?}").contains("another_list"));
        assert!(decode(&cursor, scope, Kind::Created).is_err());
        for bad in [
            "",
            "zz",
            "abc",
            &cursor[..cursor.len() - 2],
            &"a".repeat(4096),
        ] {
            assert!(decode(bad, scope, Kind::Name).is_err(), "{bad}");
        }
        let seq = encode(scope, &Position::Seq(42));
        assert_eq!(decode(&seq, scope, Kind::Seq).ok(), Some(Position::Seq(42)));
    }
}
