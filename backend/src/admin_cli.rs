//! `confab admin …`: managing accounts and invites from the shell, on the configured store
//! (also while the server runs: every change is an ordinary transaction).

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
            let (secret, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\n', '\r']).to_owned(), false)
            } else {
                (crate::invites::new_code(), true)
            };
            validate::password("password", &secret).map_err(|e| anyhow::anyhow!("{}", e.detail))?;
            let hash = password::hash(secret.clone()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let role = if admin { "admin" } else { "member" };
            let user = store::users::create(store, &name, &hash, role).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} (id {}, {role})", user.username, user.id);
            if generated {
                println!("password: {secret}");
            }
        }
        AdminCommand::SetRole { name, role } => {
            anyhow::ensure!(store::users::set_role(store, &name, &role).await?, "no account named {name:?}");
            println!("{name} is now {role}");
        }
        AdminCommand::Invite { uses, expires } => {
            anyhow::ensure!(uses.is_none_or(|n| n >= 1), "--uses must be at least 1");
            let admin = store::users::first_admin(store).await?.ok_or_else(|| {
                anyhow::anyhow!("no admin yet: create one with `confab admin create-user NAME --admin`")
            })?;
            let expires_at = expires.map(|s| store::now() + chrono::Duration::seconds(s));
            let invite = store::invites::create(store, &crate::invites::new_code(), admin.id, uses, expires_at).await?;
            println!("invite code: {}", invite.code);
            println!("join page:   <your server's address>/#/join/{}", invite.code);
        }
    }
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
