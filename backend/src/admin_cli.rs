//! `confab admin …`: managing accounts and invites from the shell, on the configured store
//! (also while the server runs: every change is an ordinary transaction), each recorded in the
//! audit log with no actor.

use clap::Subcommand;
use std::io::BufRead;

use crate::auth::password;
use crate::store::{self, Store};
use crate::validate;

#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Create an account (whatever the registration policy); prints its password unless given.
    CreateUser {
        name: String,
        /// Make it a server admin.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Make an account a server admin, or a member again.
    SetRole {
        name: String,
        #[arg(value_parser = ["admin", "member"])]
        role: String,
    },
    /// Deactivate an account: its sessions end and it cannot log in (its messages stay); a
    /// running server closes its open sockets within 5 seconds.
    Deactivate {
        name: String,
        /// Reactivate it instead.
        #[arg(long)]
        undo: bool,
    },
    /// Print a one-time password reset link (24 hours), or set the password from stdin.
    ResetPassword {
        name: String,
        /// Read the new password from the first line of stdin; every session of the account ends.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create an invite and print its code and join path.
    Invite {
        /// How many accounts it may create (default: no limit).
        #[arg(long)]
        uses: Option<i64>,
        /// When it expires: `30m`, `12h`, `7d` (default: never).
        #[arg(long, value_parser = parse_duration)]
        expires: Option<i64>,
    },
}

/// `30m`, `12h`, `7d` → seconds.
fn parse_duration(text: &str) -> Result<i64, String> {
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| format!("{text:?}: expected a number and m, h or d, like 7d"))?;
    let unit = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be m, h or d")),
    };
    n.checked_mul(unit).filter(|s| *s >= 60).ok_or_else(|| format!("{text:?}: at least one minute"))
}

/// Runs one admin command; its errors are for the person at the shell.
pub async fn run(store: &Store, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateUser { name, admin, password_stdin } => {
            validate::username(&name).map_err(|e| anyhow::anyhow!("{}", e.detail))?;
            let (secret, generated) =
                if password_stdin { (read_password()?, false) } else { (crate::invites::new_code(), true) };
            let hash = password::hash(secret.clone()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let role = if admin { "admin" } else { "member" };
            let user = store::users::create(store, &name, &hash, role).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            audit(store, "user.created", Some(user.id), Some(role.to_owned())).await?;
            println!("created {} (id {}, {role})", user.username, user.id);
            if generated {
                println!("password: {secret}");
            }
        }
        AdminCommand::SetRole { name, role } => {
            let user = account(store, &name).await?;
            store::admin::update_user(store, user.id, Some(&role), None).await.map_err(said)?;
            audit(store, "user.role", Some(user.id), Some(role.clone())).await?;
            println!("{} is now {role}", user.username);
        }
        AdminCommand::Deactivate { name, undo } => {
            let user = account(store, &name).await?;
            store::admin::update_user(store, user.id, None, Some(!undo)).await.map_err(said)?;
            if undo {
                audit(store, "user.reactivated", Some(user.id), None).await?;
                println!("{} may log in again", user.username);
            } else {
                let ended = store::sessions::revoke_all_but(store, user.id, None).await?;
                audit(store, "user.deactivated", Some(user.id), None).await?;
                println!("{} is deactivated ({} sessions ended)", user.username, ended.len());
            }
        }
        AdminCommand::ResetPassword { name, password_stdin } => {
            let user = account(store, &name).await?;
            if password_stdin {
                let hash = password::hash(read_password()?).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                store::users::set_password_hash(store, user.id, &hash).await?;
                let ended = store::sessions::revoke_all_but(store, user.id, None).await?;
                audit(store, "user.password_set", Some(user.id), None).await?;
                println!("{}'s password is set ({} sessions ended)", user.username, ended.len());
            } else {
                let (token, expires_at) =
                    crate::admin::new_reset(store, user.id).await.map_err(|e| anyhow::anyhow!("{}", e.detail))?;
                audit(store, "user.password_reset", Some(user.id), None).await?;
                println!("reset page: <your server's address>/#/reset/{token}");
                println!("expires:    {} UTC (it works once)", expires_at.format("%Y-%m-%d %H:%M"));
            }
        }
        AdminCommand::Invite { uses, expires } => {
            anyhow::ensure!(uses.is_none_or(|n| n >= 1), "--uses must be at least 1");
            let admin = store::users::first_admin(store).await?.ok_or_else(|| {
                anyhow::anyhow!("no admin yet: create one with `confab admin create-user NAME --admin`")
            })?;
            let expires_at = expires.map(|s| store::now() + chrono::Duration::seconds(s));
            let invite = store::invites::create(store, &crate::invites::new_code(), admin.id, uses, expires_at).await?;
            store::admin::record(store, crate::invites::invite_action(None, "invite.created", &invite.code)).await?;
            println!("invite code: {}", invite.code);
            println!("join page:   <your server's address>/#/join/{}", invite.code);
        }
    }
    Ok(())
}

/// A refused change, as the server would explain it.
fn said(err: store::StoreError) -> anyhow::Error {
    anyhow::anyhow!("{}", crate::error::AppError::from(err).detail)
}

/// The account named `name` (ignoring case).
async fn account(store: &Store, name: &str) -> anyhow::Result<store::models::UserRow> {
    Ok(store::users::by_name(store, name).await?.ok_or_else(|| anyhow::anyhow!("no account named {name:?}"))?.0)
}

/// The first line of stdin, as a valid password.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let secret = line.trim_end_matches(['\n', '\r']).to_owned();
    validate::password("password", &secret).map_err(|e| anyhow::anyhow!("{}", e.detail))?;
    Ok(secret)
}

/// An audit entry of the command line (no actor).
async fn audit(store: &Store, action: &str, target: Option<i64>, detail: Option<String>) -> anyhow::Result<()> {
    store::admin::record(store, store::admin::Action { actor: None, action, target, room_id: None, detail }).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::parse_duration("7d"), Ok(7 * 86_400));
        assert_eq!(super::parse_duration("30m"), Ok(1800));
        assert!(super::parse_duration("30s").is_err());
        assert!(super::parse_duration("0m").is_err());
        assert!(super::parse_duration("d").is_err());
    }
}
