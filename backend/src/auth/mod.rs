//! Sign-in (issue 3): password hashing and policy, access and refresh
//! tokens (`password`, `token`); accounts and sessions in the database (`store`,
//! `throttle`); the HTTP routes and the `Principal` extractor (`api`).

pub mod api;
pub mod password;
pub mod store;
pub mod throttle;
pub mod token;

pub use password::{check_password_policy, PasswordHasher};
pub use token::{
    hash_refresh_token, is_well_formed_refresh_token, issue_access, new_refresh_token,
    verify_access, verify_access_with, AccessClaims, TokenConfig, TokenError,
};
