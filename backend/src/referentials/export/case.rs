//! 1EdTech CASE 1.1 package (CFPackage, JSON binding): the referential as a CFDocument,
//! its items as CFItems and its tree as `isChildOf` CFAssociations (an item to its parent
//! item, a root item to the document), ordered by `sequenceNumber`.
//!
//! Identifiers are name-based UUIDs (version 5) of the referential id and item code in
//! Passerelle's namespace, so they are the same on every export and every server, and
//! another referential's items can be pointed at without loading it. URIs are built from
//! the base URL the export is served from and resolve to Passerelle's API.
//!
//! Schema: tests/schemas/case_v1p1_cfpackage-jsonschema1.json (1EdTech's own).

use chrono::{DateTime, SecondsFormat, Utc};
use passerelle_api::Item;
use serde::Serialize;

use super::{
    document_uuid, item_uuid, path_segment, tree_order, uuid_v5, ExportedReferential, ExternalLink,
    RELATION_SAME, UUID_NAMESPACE,
};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CfPackage {
    #[serde(rename = "CFDocument")]
    pub document: CfDocument,
    #[serde(rename = "CFItems")]
    pub items: Vec<CfItem>,
    #[serde(rename = "CFAssociations")]
    pub associations: Vec<CfAssociation>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CfDocument {
    pub identifier: String,
    pub uri: String,
    pub creator: String,
    pub title: String,
    pub last_change_date_time: String,
    #[serde(rename = "officialSourceURL", skip_serializing_if = "Option::is_none")]
    pub official_source_url: Option<String>,
    pub publisher: String,
    pub description: String,
    pub language: String,
    pub version: String,
    pub adoption_status: String,
    pub case_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CfItem {
    pub identifier: String,
    pub full_statement: String,
    #[serde(rename = "CFItemType")]
    pub item_type: String,
    pub uri: String,
    pub human_coding_scheme: String,
    pub language: String,
    pub last_change_date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CfAssociation {
    pub identifier: String,
    pub association_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<u32>,
    pub uri: String,
    #[serde(rename = "originNodeURI")]
    pub origin: NodeUri,
    #[serde(rename = "destinationNodeURI")]
    pub destination: NodeUri,
    pub last_change_date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// LinkGenURI: `{title, identifier, uri}` of the node at one end of an association.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeUri {
    pub title: String,
    pub identifier: String,
    pub uri: String,
}

/// `isChildOf`, the association of the tree.
pub const IS_CHILD_OF: &str = "isChildOf";

/// The association type of a correspondence: `same` → `exactMatchOf`, anything else
/// (`related`, `cites`, `prepares`) → `isRelatedTo`.
pub fn association_type(relation: &str) -> &'static str {
    if relation == RELATION_SAME {
        "exactMatchOf"
    } else {
        "isRelatedTo"
    }
}

/// URI of a referential's document in Passerelle's API.
pub fn document_uri(base_url: &str, referential: &str) -> String {
    format!(
        "{}/api/referentials/{}",
        base_url.trim_end_matches('/'),
        path_segment(referential)
    )
}

/// URI of an item in Passerelle's API.
pub fn item_uri(base_url: &str, referential: &str, code: &str) -> String {
    format!(
        "{}/items/{}",
        document_uri(base_url, referential),
        path_segment(code)
    )
}

/// Public page of the official text, when there is a well-known one.
fn official_source_url(referential: &str) -> Option<String> {
    let number = referential.strip_prefix("rncp")?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("https://www.francecompetences.fr/recherche/rncp/{number}/"))
}

/// Where an item's text comes from, and what was repaired, in French (teachers read it).
fn item_notes(item: &Item, default_seed: Option<&str>) -> Option<String> {
    let mut notes = Vec::new();
    if let Some(citation) = &item.source.citation {
        notes.push(format!("Source : {citation}"));
    } else if let Some(line) = item.source.line {
        let seed = item.source.seed.as_deref().or(default_seed).unwrap_or("?");
        notes.push(format!("Source : {seed}, ligne {line}"));
    }
    if let Some(code) = &item.official_code {
        notes.push(format!("Code imprimé dans le texte officiel : {code}"));
    }
    for repair in &item.repairs {
        notes.push(format!(
            "Correction ({}) : le texte source porte « {} », nous retenons « {} » ({})",
            repair.field, repair.source_text, repair.held, repair.reason
        ));
    }
    (!notes.is_empty()).then(|| notes.join("\n"))
}

/// The CFPackage of a referential.
///
/// - `links`: correspondences from items of this referential; `same` gives an
///   `exactMatchOf`, any other relation an `isRelatedTo`, towards the other referential's
///   item (its identifier and URI computed like ours). Links from a code this referential
///   does not have are left out.
/// - `base_url`: scheme and host the URIs are built on (`https://passerelle.example`).
/// - `last_change`: when the referential was loaded; every `lastChangeDateTime`.
pub fn package(
    referential: &ExportedReferential<'_>,
    links: &[ExternalLink],
    base_url: &str,
    last_change: DateTime<Utc>,
) -> CfPackage {
    let id = referential.id;
    let changed = last_change.to_rfc3339_opts(SecondsFormat::Secs, true);
    let doc_uri = document_uri(base_url, id);
    let package_uri = format!("{doc_uri}/export/case.json");
    let document_node = NodeUri {
        title: referential.title.to_owned(),
        identifier: document_uuid(id),
        uri: doc_uri.clone(),
    };
    let seeds = referential.seeds;
    let document = CfDocument {
        identifier: document_node.identifier.clone(),
        uri: doc_uri,
        creator: "Passerelle".to_owned(),
        title: referential.title.to_owned(),
        last_change_date_time: changed.clone(),
        official_source_url: official_source_url(id),
        publisher: "Passerelle".to_owned(),
        description: format!(
            "{} (version {}), texte officiel tenu à l'identique par Passerelle.",
            referential.title, referential.version
        ),
        language: "fr".to_owned(),
        version: referential.version.to_owned(),
        adoption_status: "Adopted".to_owned(),
        case_version: "1.1".to_owned(),
        notes: (!seeds.is_empty()).then(|| format!("Textes sources : {}", seeds.join(", "))),
    };

    let items = referential.items;
    let order = tree_order(items);
    let node = |item: &Item| NodeUri {
        title: format!("{} {}", item.code, item.label),
        identifier: item_uuid(id, &item.code),
        uri: item_uri(base_url, id, &item.code),
    };
    let by_code: std::collections::HashMap<&str, &Item> =
        items.iter().map(|i| (i.code.as_str(), i)).collect();
    let default_seed = seeds.first().map(String::as_str);

    let mut cf_items = Vec::with_capacity(items.len());
    let mut associations = Vec::with_capacity(items.len() + links.len());
    // Position among siblings (1-based), per parent (None: the document).
    let mut next_sequence: std::collections::HashMap<Option<&str>, u32> =
        std::collections::HashMap::new();
    let association = |name: String, kind: &str| {
        let identifier = uuid_v5(&UUID_NAMESPACE, &name);
        (
            identifier.clone(),
            format!("{package_uri}#{identifier}"),
            kind.to_owned(),
        )
    };
    for &(i, _) in &order {
        let item = &items[i];
        let origin = node(item);
        cf_items.push(CfItem {
            identifier: origin.identifier.clone(),
            full_statement: item.label.clone(),
            item_type: item.kind.label_fr().to_owned(),
            uri: origin.uri.clone(),
            human_coding_scheme: item.code.clone(),
            language: "fr".to_owned(),
            last_change_date_time: changed.clone(),
            notes: item_notes(item, default_seed),
        });
        let parent = item
            .parent
            .as_deref()
            .filter(|p| *p != item.code)
            .and_then(|p| by_code.get(p));
        let destination = parent.map_or_else(|| document_node.clone(), |p| node(p));
        let counter = next_sequence
            .entry(parent.map(|p| p.code.as_str()))
            .or_insert(0);
        *counter += 1;
        let (identifier, uri, association_type) =
            association(format!("{id}/{}/{IS_CHILD_OF}", item.code), IS_CHILD_OF);
        associations.push(CfAssociation {
            identifier,
            association_type,
            sequence_number: Some(*counter),
            uri,
            origin,
            destination,
            last_change_date_time: changed.clone(),
            notes: None,
        });
    }
    for link in links {
        let Some(item) = by_code.get(link.code.as_str()) else {
            continue;
        };
        let kind = association_type(&link.relation);
        let (identifier, uri, association_type) = association(
            format!(
                "{id}/{}/{kind}/{}/{}",
                link.code, link.other_referential, link.other_code
            ),
            kind,
        );
        if associations.iter().any(|a| a.identifier == identifier) {
            continue;
        }
        associations.push(CfAssociation {
            identifier,
            association_type,
            sequence_number: None,
            uri,
            origin: node(item),
            destination: NodeUri {
                title: format!("{} {}", link.other_referential, link.other_code),
                identifier: item_uuid(&link.other_referential, &link.other_code),
                uri: item_uri(base_url, &link.other_referential, &link.other_code),
            },
            last_change_date_time: changed.clone(),
            notes: Some(format!("Correspondance Passerelle : {}", link.relation)),
        });
    }
    CfPackage {
        document,
        items: cf_items,
        associations,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::item;
    use super::*;
    use chrono::TimeZone;
    use passerelle_api::{ItemKind, Repair};

    fn sample() -> Vec<Item> {
        let mut task = item("T.1.1.1", ItemKind::Task, Some("1.1"), "Facturation");
        task.source.line = Some(12);
        task.repairs.push(Repair {
            field: "code".into(),
            source_text: "T.1.2.4".into(),
            held: "T.1.1.1".into(),
            reason: "numéro mal imprimé".into(),
        });
        vec![
            item("D1", ItemKind::Domain, None, "Domaine un"),
            item("1.1", ItemKind::Activity, Some("D1"), "Activité"),
            task,
            item("1.2", ItemKind::Activity, Some("D1"), "Autre activité"),
            item("D2", ItemKind::Domain, None, "Domaine deux"),
        ]
    }

    fn build(items: &[Item], links: &[ExternalLink]) -> CfPackage {
        let seeds = ["001.txt".to_owned()];
        let referential = ExportedReferential {
            id: "bts-x",
            title: "BTS X",
            version: "2020",
            seeds: &seeds,
            items,
        };
        let at = Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .single()
            .unwrap_or_default();
        package(&referential, links, "https://p.example/", at)
    }

    #[test]
    fn document_items_and_tree() {
        let items = sample();
        let p = build(&items, &[]);
        assert_eq!(p.document.identifier, document_uuid("bts-x"));
        assert_eq!(p.document.uri, "https://p.example/api/referentials/bts-x");
        assert_eq!(p.document.last_change_date_time, "2026-01-02T03:04:05Z");
        assert_eq!(p.items.len(), 5);
        assert_eq!(p.items[2].human_coding_scheme, "T.1.1.1");
        assert_eq!(p.items[2].item_type, "Tâche");
        assert_eq!(
            p.items[2].uri,
            "https://p.example/api/referentials/bts-x/items/T.1.1.1"
        );
        let notes = p.items[2].notes.clone().unwrap_or_default();
        assert!(notes.contains("001.txt, ligne 12"), "{notes}");
        assert!(notes.contains("« T.1.2.4 »"), "{notes}");
        assert_eq!(p.associations.len(), 5);
        assert!(p
            .associations
            .iter()
            .all(|a| a.association_type == IS_CHILD_OF));
        let d2 = &p.associations[4];
        assert_eq!(d2.destination.identifier, p.document.identifier);
        assert_eq!(d2.sequence_number, Some(2));
        let second_activity = &p.associations[3];
        assert_eq!(second_activity.origin.identifier, item_uuid("bts-x", "1.2"));
        assert_eq!(
            second_activity.destination.identifier,
            item_uuid("bts-x", "D1")
        );
        assert_eq!(second_activity.sequence_number, Some(2));
    }

    #[test]
    fn identifiers_do_not_depend_on_the_server() {
        let items = sample();
        let a = build(&items, &[]);
        let seeds: [String; 0] = [];
        let referential = ExportedReferential {
            id: "bts-x",
            title: "BTS X",
            version: "2020",
            seeds: &seeds,
            items: &items,
        };
        let b = package(&referential, &[], "http://localhost:9999", Utc::now());
        let ids = |p: &CfPackage| {
            p.items
                .iter()
                .map(|i| i.identifier.clone())
                .chain(p.associations.iter().map(|a| a.identifier.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn correspondences_become_associations() {
        let items = sample();
        let link = |code: &str, relation: &str| ExternalLink {
            code: code.into(),
            other_referential: "bts-ag-pme-pmi".into(),
            other_code: "T.2.1.4".into(),
            relation: relation.into(),
        };
        let p = build(
            &items,
            &[
                link("T.1.1.1", "same"),
                link("1.1", "prepares"),
                link("nope", "same"),
                link("T.1.1.1", "same"),
            ],
        );
        let extra: Vec<&CfAssociation> = p.associations[5..].iter().collect();
        assert_eq!(extra.len(), 2);
        assert_eq!(extra[0].association_type, "exactMatchOf");
        assert_eq!(extra[1].association_type, "isRelatedTo");
        assert_eq!(
            extra[0].destination.identifier,
            item_uuid("bts-ag-pme-pmi", "T.2.1.4")
        );
        assert_eq!(
            extra[0].destination.uri,
            "https://p.example/api/referentials/bts-ag-pme-pmi/items/T.2.1.4"
        );
        assert_eq!(
            extra[1].notes.as_deref(),
            Some("Correspondance Passerelle : prepares")
        );
    }

    #[test]
    fn serialises_with_case_names() {
        let items = sample();
        let value = serde_json::to_value(build(&items, &[])).unwrap_or_default();
        assert!(value["CFDocument"]["lastChangeDateTime"].is_string());
        assert!(value["CFItems"][0]["CFItemType"].is_string());
        assert!(value["CFItems"][0]["fullStatement"].is_string());
        assert!(value["CFAssociations"][0]["originNodeURI"]["identifier"].is_string());
        assert!(value["CFDocument"].get("officialSourceURL").is_none());
    }

    #[test]
    fn rncp_referentials_point_to_france_competences() {
        assert_eq!(
            official_source_url("rncp34786").as_deref(),
            Some("https://www.francecompetences.fr/recherche/rncp/34786/")
        );
        assert_eq!(official_source_url("bts-gpme"), None);
    }
}
