mod download;
mod form;
mod gate;
mod header;
mod hit;
mod import;
mod invitations;
mod kind_badge;
mod markdown;
mod notifications;
mod search_box;
mod status;

pub use download::{Download, DownloadButton};
pub use form::{
    action_badge, action_name, date_fr, form_error, local_time_fr, refusal, role_badges, setter,
    status_badge, success, TextField,
};
pub use gate::Gate;
pub use header::Header;
pub use hit::{group_hits, highlight, matches_all, HitBody};
pub use import::{commit_bar, filter_chips, import_form, ImportForm};
pub use invitations::InvitationButton;
pub use kind_badge::KindBadge;
pub use markdown::markdown;
pub use notifications::NotificationBell;
pub use search_box::SearchBox;
pub use status::{ErrorMessage, Loading};
