//! Full-text search of messages: the one place where the two stores really differ.
//!
//! - **SQLite**: an external-content FTS5 table, `messages_fts` (tokenizer `unicode61
//!   remove_diacritics 2`), kept in step by triggers on `messages`.
//! - **PostgreSQL**: the stored generated column `messages.search` (a `tsvector` of the `simple`
//!   configuration over the unaccented body, words being runs of letters and digits) with a GIN
//!   index.
//!
//! Both are written in the same transaction as the message (see the search migration). Only the
//! match condition, the rank and the rebuild differ per backend ([`Dialect`]); filters, paging
//! and the caller's memberships are one diesel query for both.

use chrono::NaiveDateTime;
use diesel::dsl::{max, sql};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use super::models::{MessageRow, UserRow};
use super::schema::{memberships, messages, messages_fts, users};
use super::{Store, StoreResult, read};
use crate::search::query::Term;

/// A search as the store runs it (the query language is parsed in `crate::search`).
#[derive(Debug, Default)]
pub struct Search<'a> {
    /// The caller: only rooms they are a member of are searched.
    pub user_id: i64,
    pub terms: &'a [Term],
    /// Only these rooms (`room_id`, `in:`).
    pub room_ids: Option<Vec<i64>>,
    pub author_id: Option<i64>,
    /// Only messages with attachments (`has:file`).
    pub has_file: bool,
    /// Paging (newest first): only messages with a smaller id.
    pub before_id: Option<i64>,
    pub created_before: Option<NaiveDateTime>,
    pub created_at_or_after: Option<NaiveDateTime>,
    /// Best match first instead of newest first.
    pub relevance: bool,
    pub limit: i64,
}

/// The SQL of each store's full-text index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of(store: &Store) -> Self {
        match store {
            Store::Postgres(_) => Dialect::Postgres,
            Store::Sqlite { .. } => Dialect::Sqlite,
        }
    }

    /// The store's match expression for the terms (ANDed). Terms hold only letters and digits
    /// (see `search::query`), so they cannot carry the stores' operators.
    pub fn match_text(self, terms: &[Term]) -> String {
        let parts = terms.iter().map(|term| match (self, term) {
            (Dialect::Sqlite, Term::Word { word, prefix }) => format!("\"{word}\"{}", if *prefix { "*" } else { "" }),
            (Dialect::Sqlite, Term::Phrase(words)) => format!("\"{}\"", words.join(" ")),
            (Dialect::Postgres, Term::Word { word, prefix }) => format!("'{word}'{}", if *prefix { ":*" } else { "" }),
            (Dialect::Postgres, Term::Phrase(words)) => {
                let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
                format!("({})", quoted.join(" <-> "))
            }
        });
        let separator = if self == Dialect::Sqlite { " " } else { " & " };
        parts.collect::<Vec<_>>().join(separator)
    }
}

/// PostgreSQL: `(before, after)` the bound match text of the condition "the message matches".
const PG_MATCH: (&str, &str) = ("messages.search @@ to_tsquery('simple', confab_unaccent(", "))");

/// PostgreSQL: `(before, after)` the bound match text of the rank (higher is better).
const PG_RANK: (&str, &str) = ("ts_rank(messages.search, to_tsquery('simple', confab_unaccent(", ")))");

/// How many of the latest messages PostgreSQL searches before it asks the full-text index for
/// every match (see [`message_ids`]).
const RECENT_WINDOW: i64 = 20_000;

/// Applies the filters every search has (the caller's rooms, not deleted, `room_ids`, author,
/// paging, dates) to a boxed query over `messages` (joined or not).
macro_rules! filters {
    ($query:expr, $search:expr) => {{
        let search: &Search<'_> = $search;
        // The caller's rooms as a subquery, not a join: joined, SQLite walks every message of
        // those rooms checking it against the matches, instead of looking the matches up.
        let rooms_of_caller =
            memberships::table.filter(memberships::user_id.eq(search.user_id)).select(memberships::room_id);
        let mut query = $query.filter(messages::room_id.eq_any(rooms_of_caller)).filter(messages::deleted.eq(false));
        if let Some(ids) = &search.room_ids {
            query = query.filter(messages::room_id.eq_any(ids.clone()));
        }
        if let Some(author) = search.author_id {
            query = query.filter(messages::author_id.eq(author));
        }
        if search.has_file {
            query = query.filter(messages::attachments.is_not_null());
        }
        if let Some(before) = search.before_id {
            query = query.filter(messages::id.lt(before));
        }
        if let Some(t) = search.created_before {
            query = query.filter(messages::created_at.lt(t));
        }
        if let Some(t) = search.created_at_or_after {
            query = query.filter(messages::created_at.ge(t));
        }
        query.select(messages::id).limit(search.limit)
    }};
}

/// The ids of the matching messages in result order, at most `limit`.
///
/// - Without words (filters only): newest first by the primary key.
/// - SQLite: the FTS5 table drives, joined to `messages`: it yields its matches newest first
///   (`rowid` order) and the query stops at `limit`, so a common word costs no more than a rare
///   one; `bm25` ranks for `relevance`.
/// - PostgreSQL, newest first: the latest [`RECENT_WINDOW`] messages are searched first (a
///   common word fills the page there); when they do not fill it, the GIN index finds every
///   match, which is then sorted (by `id + 0`, not `id`: ordered by the primary key, the
///   planner walks the whole table backwards looking for a rare word's few matches). Best
///   first: every match, ranked by `ts_rank`.
pub async fn message_ids(store: &Store, search: &Search<'_>) -> StoreResult<Vec<i64>> {
    let dialect = Dialect::of(store);
    let text = (!search.terms.is_empty()).then(|| dialect.match_text(search.terms));
    read!(store, |c| {
        let ids = match (&text, dialect) {
            (None, _) => filters!(messages::table.into_boxed(), search).order(messages::id.desc()).load(c).await?,
            (Some(text), Dialect::Sqlite) => {
                let matched = messages_fts::table
                    .inner_join(messages::table.on(messages::id.eq(messages_fts::rowid)))
                    .filter(sql::<Bool>("messages_fts MATCH ").bind::<Text, _>(text.clone()))
                    .into_boxed();
                let query = filters!(matched, search);
                if search.relevance {
                    query.order((sql::<Double>("bm25(messages_fts)").asc(), messages_fts::rowid.desc())).load(c).await?
                } else {
                    query.order(messages_fts::rowid.desc()).load(c).await?
                }
            }
            (Some(text), Dialect::Postgres) => {
                let (before, after) = PG_MATCH;
                let matched = || {
                    let condition = sql::<Bool>(before).bind::<Text, _>(text.clone()).sql(after);
                    filters!(messages::table.filter(condition).into_boxed(), search)
                };
                if search.relevance {
                    let (before, after) = PG_RANK;
                    let rank = sql::<Double>(before).bind::<Text, _>(text.clone()).sql(after);
                    matched().order((rank.desc(), messages::id.desc())).load(c).await?
                } else {
                    // First the latest RECENT_WINDOW messages, newest first: a common word
                    // fills the page there at once. Only if it does not, every match from the
                    // GIN index, sorted.
                    let below = search.before_id.unwrap_or(i64::MAX);
                    let newest: Option<i64> =
                        messages::table.filter(messages::id.lt(below)).select(max(messages::id)).first(c).await?;
                    let recent: Vec<i64> = match newest {
                        Some(newest) => {
                            let window = messages::id.gt(newest - RECENT_WINDOW);
                            matched().filter(window).order(messages::id.desc()).load(c).await?
                        }
                        None => Vec::new(),
                    };
                    if recent.len() as i64 >= search.limit {
                        recent
                    } else {
                        matched().order((messages::id + 0_i64).desc()).load(c).await?
                    }
                }
            }
        };
        Ok(ids)
    })
}

/// Messages with their authors, by id (any order).
pub async fn messages_by_ids(store: &Store, ids: &[i64]) -> StoreResult<Vec<(MessageRow, UserRow)>> {
    read!(store, |c| Ok(messages::table
        .inner_join(users::table)
        .filter(messages::id.eq_any(ids))
        .select((MessageRow::as_select(), UserRow::as_select()))
        .load(c)
        .await?))
}

/// Rebuilds the index from every message (`confab reindex`: after an upgrade, a restore, or a
/// change of PostgreSQL's unaccent rules).
pub async fn rebuild(store: &Store) -> StoreResult<()> {
    match store {
        Store::Sqlite { write, .. } => {
            write.get().await?.batch_execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')").await?;
        }
        // Assigning the body recomputes the generated column; REINDEX rebuilds the GIN index.
        Store::Postgres(pool) => {
            let mut conn = pool.get().await?;
            conn.batch_execute("UPDATE messages SET body = body; REINDEX INDEX messages_search").await?;
        }
    }
    Ok(())
}

/// The store's plan for a search of `terms` by user 1, in the shape [`message_ids`] runs (for
/// tests: the full-text index must find the matches).
pub async fn plan(store: &Store, terms: &[Term]) -> StoreResult<String> {
    let dialect = Dialect::of(store);
    let text = dialect.match_text(terms).replace('\'', "''");
    let filters =
        "messages.room_id IN (SELECT room_id FROM memberships WHERE user_id = 1) AND messages.deleted = FALSE";
    let select = match dialect {
        Dialect::Sqlite => format!(
            "SELECT messages.id FROM messages_fts INNER JOIN messages ON messages.id = messages_fts.rowid \
             WHERE messages_fts MATCH '{text}' AND {filters} ORDER BY messages_fts.rowid DESC LIMIT 21"
        ),
        Dialect::Postgres => {
            let (before, after) = PG_MATCH;
            format!(
                "SELECT messages.id FROM messages WHERE {before}'{text}'{after} AND {filters} \
                 ORDER BY messages.id + 0 DESC LIMIT 21"
            )
        }
    };
    #[derive(QueryableByName)]
    struct SqlitePlan {
        #[diesel(sql_type = Text)]
        detail: String,
    }
    #[derive(QueryableByName)]
    struct PostgresPlan {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let lines: Vec<String> = match store {
        Store::Sqlite { read, .. } => {
            let rows: Vec<SqlitePlan> =
                diesel::sql_query(format!("EXPLAIN QUERY PLAN {select}")).load(&mut read.get().await?).await?;
            rows.into_iter().map(|r| r.detail).collect()
        }
        Store::Postgres(pool) => {
            let rows: Vec<PostgresPlan> =
                diesel::sql_query(format!("EXPLAIN {select}")).load(&mut pool.get().await?).await?;
            rows.into_iter().map(|r| r.line).collect()
        }
    };
    Ok(lines.join("\n"))
}
