//! Exports of a referential to the tools schools already run: a Moodle competency
//! framework (CSV of `tool_lpimportcsv`) and a 1EdTech CASE 1.1 package (JSON).
//!
//! The builders are pure: the referential, its items, the cross-referential links and,
//! for CASE, the base URL and the time of the last change all come in as parameters.

pub mod case;
pub mod moodle;
mod sha1;

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use passerelle_api::Item;

use super::api::{snapshot, unknown_referential};
use super::catalog::{Entry, Snapshot};
use crate::error::AppError;
use crate::server::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/referentials/{id}/export/moodle.csv",
        web::get().to(moodle_csv),
    )
    .route(
        "/referentials/{id}/export/case.json",
        web::get().to(case_json),
    );
}

/// What the exports need to know of a referential.
#[derive(Debug, Clone, Copy)]
pub struct ExportedReferential<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub version: &'a str,
    /// Seed files the items come from (file names under referentials/sources/).
    pub seeds: &'a [String],
    /// The items in file order.
    pub items: &'a [Item],
}

/// A correspondence from an item of the exported referential to an item of another one
/// (or of the same one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalLink {
    /// Code of the item in the exported referential.
    pub code: String,
    pub other_referential: String,
    pub other_code: String,
    /// `same`, `related`, `cites` or `prepares`.
    pub relation: String,
}

/// Relation of an [`ExternalLink`] meaning "the same item".
pub const RELATION_SAME: &str = "same";
/// Relation of an [`ExternalLink`] meaning "related item".
pub const RELATION_RELATED: &str = "related";

/// The items in tree order: each root (in file order) followed by its subtree, children in
/// file order, so that a parent always comes before its children. Items whose parent is
/// unknown count as roots; each item comes exactly once, even in a (corrupt) cycle.
pub(crate) fn tree_order(items: &[Item]) -> Vec<(usize, usize)> {
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.code.as_str(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    let mut roots = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.parent.as_deref().and_then(|p| index.get(p)) {
            Some(&p) if p != i => children[p].push(i),
            _ => roots.push(i),
        }
    }
    let mut seen = vec![false; items.len()];
    let mut out = Vec::with_capacity(items.len());
    // (index, depth), depth 1 for roots; reversed pushes keep file order.
    let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 1)).collect();
    while let Some((i, depth)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        out.push((i, depth));
        stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
    }
    // Items only reachable through a cycle: appended as roots, so none is lost.
    for (i, seen) in seen.iter_mut().enumerate() {
        if !std::mem::replace(seen, true) {
            out.push((i, 1));
        }
    }
    out
}

/// Namespace of Passerelle's name-based UUIDs: the version 5 UUID of the URL
/// `urn:passerelle:referentials` in the RFC 9562 URL namespace
/// (e3c9a46c-06cb-524d-8d87-2c26091f5ecb).
pub const UUID_NAMESPACE: [u8; 16] = [
    0xe3, 0xc9, 0xa4, 0x6c, 0x06, 0xcb, 0x52, 0x4d, 0x8d, 0x87, 0x2c, 0x26, 0x09, 0x1f, 0x5e, 0xcb,
];

/// RFC 9562 URL namespace (6ba7b811-9dad-11d1-80b4-00c04fd430c8).
pub const URL_NAMESPACE: [u8; 16] = [
    0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
];

/// The version 5 (SHA-1, name-based) UUID of `name` in `namespace`, RFC 9562 §5.5, in
/// its lower-case 8-4-4-4-12 text form.
pub fn uuid_v5(namespace: &[u8; 16], name: &str) -> String {
    let mut data = Vec::with_capacity(16 + name.len());
    data.extend_from_slice(namespace);
    data.extend_from_slice(name.as_bytes());
    let hash = sha1::digest(&data);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Stable identifier of a referential (the CASE document): same on every server.
pub fn document_uuid(referential: &str) -> String {
    uuid_v5(&UUID_NAMESPACE, referential)
}

/// Stable identifier of an item: `referential/code` in Passerelle's namespace.
pub fn item_uuid(referential: &str, code: &str) -> String {
    uuid_v5(&UUID_NAMESPACE, &format!("{referential}/{code}"))
}

/// Percent-encodes a path segment (everything but RFC 3986 unreserved characters).
pub(crate) fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `attachment; filename="…"` for a file name made of safe characters.
fn attachment(file_name: &str) -> String {
    let safe: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("attachment; filename=\"{safe}\"")
}

async fn moodle_csv(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let snapshot = snapshot(&state).await?;
    let entry = snapshot.get(&id).ok_or_else(|| unknown_referential(&id))?;
    let links = external_links(&snapshot, entry);
    let body = moodle::framework_csv(&exported(entry), &links)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            attachment(&format!("{}-moodle.csv", entry.summary.id)),
        ))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}

async fn case_json(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let snapshot = snapshot(&state).await?;
    let entry = snapshot.get(&id).ok_or_else(|| unknown_referential(&id))?;
    let base_url = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let last_change = entry.loaded_at.and_utc();
    let links = external_links(&snapshot, entry);
    let package = case::package(&exported(entry), &links, &base_url, last_change);
    let body = serde_json::to_vec(&package)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            attachment(&format!("{}-case.json", entry.summary.id)),
        ))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}

fn exported(entry: &super::catalog::Entry) -> ExportedReferential<'_> {
    ExportedReferential {
        id: &entry.summary.id,
        title: &entry.summary.title,
        version: &entry.summary.version,
        seeds: &entry.seeds,
        items: entry.items(),
    }
}

/// The correspondences of every item of `entry`, both directions, as export links.
fn external_links(snapshot: &Snapshot, entry: &Entry) -> Vec<ExternalLink> {
    entry
        .items()
        .iter()
        .flat_map(|item| {
            snapshot
                .correspondences_of(&entry.summary.id, &item.code)
                .into_iter()
                .map(|c| ExternalLink {
                    code: item.code.clone(),
                    other_referential: c.referential_id,
                    other_code: c.code,
                    relation: c.relation.as_str().to_owned(),
                })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use passerelle_api::ItemKind;

    pub(crate) fn item(code: &str, kind: ItemKind, parent: Option<&str>, label: &str) -> Item {
        Item {
            code: code.into(),
            kind,
            label: label.into(),
            parent: parent.map(Into::into),
            official_code: None,
            source: Default::default(),
            repairs: vec![],
            refs: Default::default(),
            attributes: Default::default(),
        }
    }

    #[test]
    fn uuid_v5_matches_the_rfc_algorithm() {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
        let dns = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
            0x30, 0xc8,
        ];
        assert_eq!(
            uuid_v5(&dns, "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d"
        );
        // Python: uuid.uuid5(uuid.NAMESPACE_URL, "bts-gpme/T.1.2.4")
        assert_eq!(
            uuid_v5(&URL_NAMESPACE, "bts-gpme/T.1.2.4"),
            "07e55f08-7dce-5201-a918-63efb8fdc907"
        );
    }

    #[test]
    fn the_namespace_is_the_uuid_of_its_url() {
        let hex: String = UUID_NAMESPACE.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            uuid_v5(&URL_NAMESPACE, "urn:passerelle:referentials").replace('-', ""),
            hex
        );
    }

    #[test]
    fn identifiers_are_stable_and_distinct() {
        assert_eq!(item_uuid("crcn", "1.2"), item_uuid("crcn", "1.2"));
        assert_ne!(item_uuid("crcn", "1.2"), item_uuid("crcn", "1.3"));
        assert_ne!(item_uuid("crcn", "1.2"), document_uuid("crcn"));
    }

    #[test]
    fn tree_order_puts_parents_first_and_keeps_sibling_order() {
        let items = vec![
            item("T2", ItemKind::Task, Some("A"), "t2"),
            item("A", ItemKind::Activity, None, "a"),
            item("T1", ItemKind::Task, Some("A"), "t1"),
            item("B", ItemKind::Activity, None, "b"),
            item("X", ItemKind::Task, Some("missing"), "x"),
        ];
        let order: Vec<(&str, usize)> = tree_order(&items)
            .into_iter()
            .map(|(i, d)| (items[i].code.as_str(), d))
            .collect();
        assert_eq!(
            order,
            vec![("A", 1), ("T2", 2), ("T1", 2), ("B", 1), ("X", 1)]
        );
    }

    #[test]
    fn tree_order_survives_a_cycle() {
        let items = vec![
            item("A", ItemKind::Activity, Some("B"), "a"),
            item("B", ItemKind::Activity, Some("A"), "b"),
        ];
        assert_eq!(tree_order(&items).len(), 2);
    }

    #[test]
    fn path_segments_and_file_names_are_safe() {
        assert_eq!(path_segment("T.1.2.4"), "T.1.2.4");
        assert_eq!(path_segment("a b/é"), "a%20b%2F%C3%A9");
        assert_eq!(
            attachment("bts-gpme-case.json"),
            "attachment; filename=\"bts-gpme-case.json\""
        );
        assert_eq!(attachment("a\"b.csv"), "attachment; filename=\"a_b.csv\"");
    }
}
