//! Server settings an admin changed at runtime (`PATCH /admin/server`), by name; each wins
//! over its command-line flag.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::schema::server_settings;
use super::{Db, StoreResult, now, read, write_tx};

/// The server's name (`--server-name`).
pub const NAME: &str = "name";
/// Who may register (`--registration`).
pub const REGISTRATION: &str = "registration";

/// Every setting changed at runtime.
pub async fn all(db: impl Into<Db<'_>>) -> StoreResult<HashMap<String, String>> {
    let rows: Vec<(String, String)> = read!(db, |c| Ok(server_settings::table
        .select((server_settings::name, server_settings::value))
        .load(c)
        .await?))?;
    Ok(rows.into_iter().collect())
}

/// One setting, if changed at runtime.
pub async fn get(db: impl Into<Db<'_>>, name: &str) -> StoreResult<Option<String>> {
    read!(db, |c| Ok(server_settings::table.find(name).select(server_settings::value).first(c).await.optional()?))
}

/// Sets the settings given, in one transaction.
pub async fn set(db: impl Into<Db<'_>>, settings: &[(&str, String)]) -> StoreResult<()> {
    write_tx!(db, |c| {
        for (name, value) in settings {
            diesel::insert_into(server_settings::table)
                .values((
                    server_settings::name.eq(name),
                    server_settings::value.eq(value),
                    server_settings::updated_at.eq(now()),
                ))
                .on_conflict(server_settings::name)
                .do_update()
                .set((
                    server_settings::value.eq(excluded(server_settings::value)),
                    server_settings::updated_at.eq(now()),
                ))
                .execute(c)
                .await?;
        }
        Ok(())
    })
}
