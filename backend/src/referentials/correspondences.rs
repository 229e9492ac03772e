//! Correspondences between referentials (referentials/correspondences/<from>--<to>.toml):
//! links between items of two referentials, validated against the referentials of the
//! same load.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use passerelle_api::Relation;
use serde::Deserialize;

use super::file::{content_hash, seed_line, Seeds};
use super::ItemIndex;

/// Folder of the correspondence files, relative to the referentials folder.
pub const DIR: &str = "correspondences";

/// One file's header: the pair and why its items correspond.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub from: String,
    pub to: String,
    pub rationale: String,
}

/// One link, from an item of `from_referential` to one of `to_referential`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub from_referential: String,
    pub from_code: String,
    pub to_referential: String,
    pub to_code: String,
    pub relation: Relation,
    pub rationale: Option<String>,
    pub source: Option<String>,
}

/// Every correspondence file of a load, validated, and the hash of their texts.
#[derive(Debug, Clone, Default)]
pub struct CorrespondenceData {
    pub pairs: Vec<Pair>,
    pub links: Vec<Link>,
    pub content_hash: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    correspondence: RawHeader,
    #[serde(default)]
    links: Vec<RawLink>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    from: String,
    to: String,
    rationale: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    from: String,
    to: String,
    relation: String,
    rationale: Option<String>,
    source: Option<String>,
}

/// Reads and validates `dir/correspondences/*.toml` (sorted by name); no folder, no links.
pub fn read(
    dir: &Path,
    items: &ItemIndex,
    seeds: &mut Seeds,
) -> Result<CorrespondenceData, Vec<String>> {
    let folder = dir.join(DIR);
    if !folder.is_dir() {
        return Ok(CorrespondenceData::default());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|e| vec![format!("{DIR}/: cannot read folder: {e}")])?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut errors = Vec::new();
    let mut data = CorrespondenceData::default();
    let mut texts = Vec::new();
    // Unordered item pairs already linked, across files.
    let mut linked: HashSet<[(String, String); 2]> = HashSet::new();
    for path in &paths {
        let name = format!(
            "{DIR}/{}",
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        );
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                errors.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        match parse(&name, &text, items, seeds, &mut linked) {
            Ok((pair, mut links)) => {
                if data.pairs.iter().any(|p| {
                    (p.from == pair.from && p.to == pair.to)
                        || (p.from == pair.to && p.to == pair.from)
                }) {
                    errors.push(format!(
                        "{name}: the pair {} / {} already has a file",
                        pair.from, pair.to
                    ));
                }
                data.pairs.push(pair);
                data.links.append(&mut links);
            }
            Err(mut e) => errors.append(&mut e),
        }
        texts.push(name);
        texts.push(text);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    data.content_hash = content_hash(&texts);
    Ok(data)
}

fn parse(
    name: &str,
    text: &str,
    items: &ItemIndex,
    seeds: &mut Seeds,
    linked: &mut HashSet<[(String, String); 2]>,
) -> Result<(Pair, Vec<Link>), Vec<String>> {
    let raw: RawFile = toml::from_str(text).map_err(|e| vec![format!("{name}: {e}")])?;
    let header = raw.correspondence;
    let mut errors = Vec::new();
    if name.strip_prefix(&format!("{DIR}/"))
        != Some(format!("{}--{}.toml", header.from, header.to).as_str())
    {
        errors.push(format!(
            "{name}: the file must be named {}--{}.toml after its pair",
            header.from, header.to
        ));
    }
    for id in [&header.from, &header.to] {
        if !items.has_referential(id) {
            errors.push(format!("{name}: unknown referential `{id}`"));
        }
    }
    if header.from == header.to {
        errors.push(format!("{name}: from and to are the same referential"));
    }
    if header.rationale.trim().is_empty() {
        errors.push(format!("{name}: correspondence rationale is empty"));
    }
    let mut links = Vec::with_capacity(raw.links.len());
    for (index, l) in raw.links.into_iter().enumerate() {
        let entry = format!("{name}: link #{} ({} → {})", index + 1, l.from, l.to);
        for (referential, code) in [(&header.from, &l.from), (&header.to, &l.to)] {
            if items.has_referential(referential) {
                if let Err(reason) = items.check(referential, code) {
                    errors.push(format!("{entry}: {reason}"));
                }
            }
        }
        let relation = match l.relation.parse::<Relation>() {
            Ok(r) => Some(r),
            Err(reason) => {
                errors.push(format!("{entry}: {reason}"));
                None
            }
        };
        let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !given(&l.rationale) && !given(&l.source) {
            errors.push(format!(
                "{entry}: needs a `rationale` (French) or a `source` (seed:line)"
            ));
        }
        if let Some(place) = &l.source {
            if let Err(reason) = seed_line(place, seeds) {
                errors.push(format!("{entry}: source `{place}`: {reason}"));
            }
        }
        let mut key = [
            (header.from.clone(), l.from.clone()),
            (header.to.clone(), l.to.clone()),
        ];
        key.sort();
        if !linked.insert(key) {
            errors.push(format!("{entry}: duplicate link"));
        }
        if let Some(relation) = relation {
            links.push(Link {
                from_referential: header.from.clone(),
                from_code: l.from,
                to_referential: header.to.clone(),
                to_code: l.to,
                relation,
                rationale: l.rationale,
                source: l.source,
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        Pair {
            from: header.from,
            to: header.to,
            rationale: header.rationale,
        },
        links,
    ))
}
