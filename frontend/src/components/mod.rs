mod header;
mod hit;
mod kind_badge;
mod search_box;
mod status;

pub use header::Header;
pub use hit::{group_hits, HitBody};
pub use kind_badge::KindBadge;
pub use search_box::SearchBox;
pub use status::{ErrorMessage, Loading};
