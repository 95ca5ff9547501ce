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

/// Refuses early (before the password is hashed) what the policy will refuse anyway.
pub async fn precheck(state: &AppState, invite: Option<&str>) -> AppResult<()> {
    if store::users::count(&state.store).await? == 0 {
        return Ok(());
    }
    match (state.config.registration, invite) {
        (Registration::Open, _) => Ok(()),
        (Registration::Closed, _) => Err(closed()),
        (Registration::Invite, Some(code)) if store::invites::is_live(&state.store, code).await? => Ok(()),
        (Registration::Invite, _) => Err(invite_required()),
    }
}

fn closed() -> AppError {
    AppError::new(ErrorKind::RegistrationClosed, "this server does not take new accounts")
}

/// Creates the account if the policy admits it: the first one as the admin; under `invite`,
/// using up one use of the invite in the same transaction.
pub async fn register(state: &AppState, username: &str, hash: &str, invite: Option<&str>) -> AppResult<UserRow> {
    let policy = state.config.registration;
    store::transaction!(&state.store, |c| {
        let first = store::users::count(&mut *c).await? == 0;
        if !first {
            match (policy, invite) {
                (Registration::Open, _) => {}
                (Registration::Closed, _) => return Err(closed()),
                (Registration::Invite, Some(code)) if store::invites::take(&mut *c, code).await? => {}
                (Registration::Invite, _) => return Err(invite_required()),
            }
        }
        let role = if first { "admin" } else { "member" };
        Ok(store::users::create(&mut *c, username, hash, role).await?)
    })
}
