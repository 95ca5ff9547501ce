//! Who may create an account: the server's registration policy (`--registration`), and the
//! invites admins hand out. The first account is always admitted and becomes the admin; an
//! invite is used up in the same transaction that creates the account.

use confab_shared::Registration;

use crate::error::{AppError, AppResult, ErrorKind};
use crate::state::AppState;
use crate::store::{self, models::UserRow};

fn invite_required() -> AppError {
    AppError::new(ErrorKind::InviteRequired, "creating an account here needs a valid invite link: ask an admin for one")
}

/// What the policy says of an account that is not the first, given whether it brings a live
/// invite.
fn admits(policy: Registration, live_invite: bool) -> AppResult<()> {
    match policy {
        Registration::Open => Ok(()),
        Registration::Closed => {
            Err(AppError::new(ErrorKind::RegistrationClosed, "this server does not take new accounts"))
        }
        Registration::Invite if live_invite => Ok(()),
        Registration::Invite => Err(invite_required()),
    }
}

/// Refuses early (before the password is hashed) what the policy will refuse anyway.
pub async fn precheck(state: &AppState, invite: Option<&str>) -> AppResult<()> {
    if store::users::count(&state.store).await? == 0 {
        return Ok(());
    }
    let policy = crate::server::registration(state, &state.store).await?;
    let live = match invite {
        Some(code) if policy == Registration::Invite => store::invites::is_live(&state.store, code).await?,
        _ => false,
    };
    admits(policy, live)
}

/// Creates the account if the policy admits it: the first one as the admin; under `invite`,
/// using up one use of the invite in the same transaction.
pub async fn register(state: &AppState, username: &str, hash: &str, invite: Option<&str>) -> AppResult<UserRow> {
    store::transaction!(&state.store, |c| {
        let first = store::users::count(&mut *c).await? == 0;
        if !first {
            let policy = crate::server::registration(state, &mut *c).await?;
            let taken = match invite {
                Some(code) if policy == Registration::Invite => store::invites::take(&mut *c, code).await?,
                _ => false,
            };
            admits(policy, taken)?;
        }
        let role = if first { "admin" } else { "member" };
        Ok(store::users::create(&mut *c, username, hash, role).await?)
    })
}
