//! Reading and validating referential data files (referentials/*.toml).
//!
//! Everything is checked before the database is touched; the caller gets either every
//! referential of the folder, valid, or the full list of problems, each naming the file,
//! the item code and the reason.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use passerelle_api::{
    AttrValue, Item, ItemKind, Repair, Source, SourceLine, RESERVED_ATTRIBUTE_NAMES,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Bumped when the loader derives something new from the files, so that a reload
/// rewrites referentials whose files did not change.
const LOADER_VERSION: &str = "1";

/// Folder of the seed texts, inside the referentials folder.
pub const SOURCES_DIR: &str = "sources";

/// A validated referential, ready to be stored.
#[derive(Debug, Clone)]
pub struct ReferentialData {
    pub id: String,
    pub title: String,
    pub version: String,
    pub seeds: Vec<String>,
    pub attributes: BTreeMap<String, AttrValue>,
    /// Items in file order; `source.text` filled from the seed line.
    pub items: Vec<Item>,
    pub content_hash: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    referential: RawHeader,
    #[serde(default)]
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: String,
    title: String,
    version: String,
    seeds: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, toml::Value>,
}

// Fields are optional here so that a missing one is reported with the item's code.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    code: Option<String>,
    kind: Option<String>,
    parent: Option<String>,
    label: Option<String>,
    line: Option<u32>,
    seed: Option<String>,
    official_code: Option<String>,
    citation: Option<String>,
    /// Other printings of the item, as `seed:line`.
    #[serde(default)]
    also_at: Vec<String>,
    #[serde(default)]
    attributes: BTreeMap<String, toml::Value>,
    #[serde(default)]
    refs: BTreeMap<String, toml::Value>,
    #[serde(default)]
    repairs: Vec<RawRepair>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRepair {
    field: String,
    source_text: String,
    held: String,
    reason: String,
}

/// The text of a seed line as a reader sees it: HTML tags and Markdown emphasis
/// removed, runs of white space collapsed. Fidelity checks compare labels to this.
pub fn plain_text(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_tag = false;
    for c in line.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            c => out.push(c),
        }
    }
    out.replace("**", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Seed texts, read once per load, as plain lines.
#[derive(Default)]
pub struct Seeds {
    dir: PathBuf,
    files: HashMap<String, Option<Vec<String>>>,
}

impl Seeds {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Seeds {
            dir: dir.into(),
            files: HashMap::new(),
        }
    }

    /// Plain lines of a seed, or None when the file is missing or unreadable.
    pub fn lines(&mut self, name: &str) -> Option<&[String]> {
        let dir = &self.dir;
        self.files
            .entry(name.to_owned())
            .or_insert_with(|| {
                // A seed name is a bare file name: no way out of the sources folder.
                if name.contains(['/', '\\']) || name.starts_with('.') {
                    return None;
                }
                let text = std::fs::read_to_string(dir.join(name)).ok()?;
                Some(text.split('\n').map(plain_text).collect())
            })
            .as_deref()
    }
}

/// Reads and validates every `*.toml` of `dir` (sorted by name). All or nothing.
pub fn read_dir(dir: &Path) -> Result<Vec<ReferentialData>, Vec<String>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| vec![format!("{}: cannot read folder: {e}", dir.display())])?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Files only, no recursion: the PGI catalogue and the correspondences live in
        // subfolders (pgi/, correspondences/) and are read by their own modules.
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(vec![format!(
            "{}: no referential file (*.toml)",
            dir.display()
        )]);
    }
    let mut seeds = Seeds::new(dir.join(SOURCES_DIR));
    let mut errors = Vec::new();
    let mut loaded: Vec<ReferentialData> = Vec::new();
    for path in &paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                errors.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        match parse(&name, &text, &mut seeds) {
            Ok(data) => {
                if let Some(other) = loaded.iter().find(|d| d.id == data.id) {
                    errors.push(format!(
                        "{name}: referential id `{}` already used by another file ({})",
                        data.id, other.title
                    ));
                }
                loaded.push(data);
            }
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(errors)
    }
}

/// Parses and validates one file. `name` is used in messages and must be `<id>.toml`.
pub fn parse(name: &str, text: &str, seeds: &mut Seeds) -> Result<ReferentialData, Vec<String>> {
    let raw: RawFile = toml::from_str(text).map_err(|e| vec![format!("{name}: {e}")])?;
    let mut errors = Vec::new();
    let header = raw.referential;
    let err = |errors: &mut Vec<String>, code: &str, reason: String| {
        errors.push(format!("{name}: item `{code}`: {reason}"));
    };

    if Some(header.id.as_str()) != name.strip_suffix(".toml") {
        errors.push(format!(
            "{name}: referential id `{}` must match the file name",
            header.id
        ));
    }
    if header.id.is_empty()
        || !header
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.push(format!(
            "{name}: referential id `{}` must be made of a-z, 0-9 and -",
            header.id
        ));
    }
    for (field, value) in [("title", &header.title), ("version", &header.version)] {
        if value.trim().is_empty() {
            errors.push(format!("{name}: referential {field} is empty"));
        }
    }
    if header.seeds.is_empty() {
        errors.push(format!("{name}: referential seeds is empty"));
    }
    for seed in &header.seeds {
        if seeds.lines(seed).is_none() {
            errors.push(format!(
                "{name}: seed `{seed}` not found in referentials/{SOURCES_DIR}/"
            ));
        }
    }
    let attributes = convert_attributes(&header.attributes)
        .map_err(|reason| format!("{name}: referential attributes: {reason}"));
    let attributes = match attributes {
        Ok(a) => a,
        Err(e) => {
            errors.push(e);
            BTreeMap::new()
        }
    };

    // First pass: fields of each item; codes collected for the cross-checks.
    let mut items: Vec<Item> = Vec::with_capacity(raw.items.len());
    let mut seen: HashSet<String> = HashSet::new();
    for (index, raw_item) in raw.items.into_iter().enumerate() {
        let code = match raw_item.code.as_deref().map(str::trim) {
            Some(code) if !code.is_empty() => code.to_owned(),
            _ => {
                errors.push(format!(
                    "{name}: item #{} (after `{}`): missing code",
                    index + 1,
                    items
                        .last()
                        .map(|i| i.code.as_str())
                        .unwrap_or("start of file")
                ));
                continue;
            }
        };
        if code
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c == '?' || c == '#')
        {
            err(
                &mut errors,
                &code,
                "code must not contain white space, /, ? or #".into(),
            );
        }
        if !seen.insert(code.clone()) {
            err(&mut errors, &code, "duplicate code".into());
        }
        let kind = match raw_item.kind.as_deref().map(str::parse::<ItemKind>) {
            Some(Ok(kind)) => kind,
            problem => {
                let reason = match problem {
                    Some(Err(e)) => format!("{e} (see referentials/README.md)"),
                    _ => "missing kind".to_owned(),
                };
                err(&mut errors, &code, reason);
                // Keep going with a stand-in kind so the links of this item are still
                // checked; the load fails anyway.
                ItemKind::Domain
            }
        };
        let label = raw_item.label.unwrap_or_default();
        if label.trim().is_empty() {
            err(&mut errors, &code, "missing label".into());
        } else if label.trim() != label || label.contains("  ") {
            err(&mut errors, &code, "label has stray white space".into());
        }
        let seed = raw_item
            .seed
            .clone()
            .or_else(|| header.seeds.first().cloned());
        let mut source = Source {
            citation: raw_item.citation.clone(),
            ..Source::default()
        };
        match (raw_item.line, &raw_item.citation) {
            (Some(line), _) => {
                let seed = seed.unwrap_or_default();
                if !header.seeds.contains(&seed) {
                    err(
                        &mut errors,
                        &code,
                        format!("seed `{seed}` is not listed in referential.seeds"),
                    );
                } else if let Some(lines) = seeds.lines(&seed) {
                    match line.checked_sub(1).and_then(|i| lines.get(i as usize)) {
                        Some(text) => source.text = Some(text.clone()),
                        None => err(
                            &mut errors,
                            &code,
                            format!("line {line} is outside {seed} ({} lines)", lines.len()),
                        ),
                    }
                }
                source.seed = Some(seed);
                source.line = Some(line);
            }
            (None, Some(citation)) if !citation.trim().is_empty() => {}
            _ => err(
                &mut errors,
                &code,
                "needs a source: `line` in a seed, or a `citation`".into(),
            ),
        }
        for place in &raw_item.also_at {
            match resolve_line(place, &header.seeds, seeds) {
                Ok(line) => source.also.push(line),
                Err(reason) => err(&mut errors, &code, format!("also_at `{place}`: {reason}")),
            }
        }
        let attributes = match convert_attributes(&raw_item.attributes) {
            Ok(a) => a,
            Err(reason) => {
                err(&mut errors, &code, format!("attributes: {reason}"));
                BTreeMap::new()
            }
        };
        let mut refs = BTreeMap::new();
        for (role, value) in &raw_item.refs {
            match string_list(value) {
                Some(codes) => {
                    refs.insert(role.clone(), codes);
                }
                None => err(
                    &mut errors,
                    &code,
                    format!("refs.{role} must be a code or a list of codes"),
                ),
            }
        }
        let mut repairs = Vec::with_capacity(raw_item.repairs.len());
        for r in raw_item.repairs {
            let field_ok = r.field == "label"
                || r.field == "code"
                || r.field
                    .strip_prefix("attributes.")
                    .is_some_and(|a| attributes.contains_key(a));
            if !field_ok {
                err(
                    &mut errors,
                    &code,
                    format!(
                        "repair field `{}` must be label, code or attributes.NAME of an attribute of the item",
                        r.field
                    ),
                );
            }
            if r.reason.trim().is_empty() || r.held.trim().is_empty() {
                err(
                    &mut errors,
                    &code,
                    "a repair needs source_text, held and reason".into(),
                );
            }
            repairs.push(Repair {
                field: r.field,
                source_text: r.source_text,
                held: r.held,
                reason: r.reason,
            });
        }
        items.push(Item {
            code,
            kind,
            label,
            parent: raw_item.parent,
            official_code: raw_item.official_code,
            source,
            repairs,
            refs,
            attributes,
        });
    }

    // Second pass: links between items.
    let parents: HashMap<&str, Option<&str>> = items
        .iter()
        .map(|i| (i.code.as_str(), i.parent.as_deref()))
        .collect();
    for item in &items {
        if let Some(parent) = &item.parent {
            if !parents.contains_key(parent.as_str()) {
                err(
                    &mut errors,
                    &item.code,
                    format!("parent `{parent}` does not exist"),
                );
            } else if has_cycle(&item.code, &parents) {
                err(&mut errors, &item.code, "its parents form a cycle".into());
            }
        }
        for (role, targets) in &item.refs {
            for target in targets {
                if !parents.contains_key(target.as_str()) {
                    err(
                        &mut errors,
                        &item.code,
                        format!("refs.{role}: `{target}` does not exist"),
                    );
                }
            }
        }
    }

    // The units (or, without exam units, the blocs) assessed in CCF: portfolios list the
    // items they require with no validated evidence.
    if let Some(value) = attributes.get("ccf_units") {
        let codes: Vec<&str> = match value {
            AttrValue::List(codes) => codes.iter().map(String::as_str).collect(),
            AttrValue::Text(code) => vec![code.as_str()],
            AttrValue::Number(_) | AttrValue::Bool(_) => {
                errors.push(format!(
                    "{name}: referential attributes: ccf_units must list unit codes"
                ));
                Vec::new()
            }
        };
        for code in codes {
            let names_unit = items
                .iter()
                .any(|i| i.code == code && matches!(i.kind, ItemKind::Unit | ItemKind::Bloc));
            if !names_unit {
                errors.push(format!(
                    "{name}: referential attributes: ccf_units: `{code}` is not a unit or bloc of the file"
                ));
            }
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    let content_hash = content_hash(&[text]);
    Ok(ReferentialData {
        id: header.id,
        title: header.title,
        version: header.version,
        seeds: header.seeds,
        attributes,
        items,
        content_hash,
    })
}

/// Hash of a data file's text (or of several, in order), with the loader version: what
/// the database keeps to skip unchanged loads.
pub fn content_hash(texts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(LOADER_VERSION.as_bytes());
    for text in texts {
        hasher.update(text.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Resolves `seed:line` to the line's plain text.
fn resolve_line(place: &str, listed: &[String], seeds: &mut Seeds) -> Result<SourceLine, String> {
    let (seed, _) = split_place(place)?;
    if !listed.iter().any(|s| s == seed) {
        return Err(format!("seed `{seed}` is not listed in referential.seeds"));
    }
    seed_line(place, seeds)
}

fn split_place(place: &str) -> Result<(&str, u32), String> {
    place
        .rsplit_once(':')
        .and_then(|(s, l)| Some((s, l.parse::<u32>().ok()?)))
        .ok_or_else(|| "expected `seed:line`".to_owned())
}

/// Resolves `seed:line`, for any seed of the sources folder, to the line's plain text.
pub fn seed_line(place: &str, seeds: &mut Seeds) -> Result<SourceLine, String> {
    let (seed, line) = split_place(place)?;
    let lines = seeds.lines(seed).ok_or("seed not found")?;
    let text = line
        .checked_sub(1)
        .and_then(|i| lines.get(i as usize))
        .ok_or_else(|| format!("line {line} is outside {seed}"))?;
    Ok(SourceLine {
        seed: seed.to_owned(),
        line,
        text: text.clone(),
    })
}

fn has_cycle(start: &str, parents: &HashMap<&str, Option<&str>>) -> bool {
    let mut current = start;
    // A chain longer than the number of items must loop.
    for _ in 0..=parents.len() {
        match parents.get(current).copied().flatten() {
            Some(parent) if parent == start => return true,
            Some(parent) => current = parent,
            None => return false,
        }
    }
    true
}

fn string_list(value: &toml::Value) -> Option<Vec<String>> {
    match value {
        toml::Value::String(s) => Some(vec![s.clone()]),
        toml::Value::Array(values) => values
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

fn convert_attributes(
    raw: &BTreeMap<String, toml::Value>,
) -> Result<BTreeMap<String, AttrValue>, String> {
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        if RESERVED_ATTRIBUTE_NAMES.contains(&name.as_str()) {
            return Err(format!("`{name}` is a reserved name"));
        }
        let converted = match value {
            toml::Value::String(s) => AttrValue::Text(s.clone()),
            toml::Value::Integer(n) => AttrValue::Number(*n as f64),
            toml::Value::Float(x) => AttrValue::Number(*x),
            toml::Value::Boolean(b) => AttrValue::Bool(*b),
            toml::Value::Array(_) => AttrValue::List(
                string_list(value).ok_or_else(|| format!("`{name}` must be a list of strings"))?,
            ),
            _ => {
                return Err(format!(
                    "`{name}` must be a string, a number, a boolean or a list of strings"
                ))
            }
        };
        out.insert(name.clone(), converted);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds() -> Seeds {
        Seeds::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../referentials/sources"
        ))
    }

    const HEADER: &str = r#"
[referential]
id = "demo"
title = "Démo"
version = "1"
seeds = ["001_d0f09e614bc12293.txt"]
"#;

    #[test]
    fn plain_text_drops_markup() {
        assert_eq!(
            plain_text("| <p>T.1.2.4. **Facturation**</p>  <ul>x</ul> |"),
            "| T.1.2.4. Facturation x |"
        );
    }

    #[test]
    fn a_valid_file_reads_with_its_source_line() {
        let text = format!(
            "{HEADER}\n[[items]]\ncode = \"D1\"\nkind = \"domain\"\nlabel = \"Gestion de la PME\"\nline = 5\n"
        );
        let data = parse("demo.toml", &text, &mut seeds()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(data.items.len(), 1);
        assert_eq!(
            data.items[0].source.text.as_deref(),
            Some("Gestion de la PME")
        );
    }

    #[test]
    fn every_problem_is_reported_with_file_and_code() {
        let text = format!(
            "{HEADER}
[[items]]
code = \"A\"
kind = \"chapter\"
label = \"x\"
line = 1
[[items]]
code = \"B\"
kind = \"task\"
parent = \"Z\"
label = \"y\"
line = 99999
[[items]]
code = \"B\"
kind = \"task\"
label = \" \"
"
        );
        let errors = parse("demo.toml", &text, &mut seeds())
            .err()
            .unwrap_or_default();
        let all = errors.join("\n");
        assert!(
            all.contains("demo.toml: item `A`: unknown kind `chapter`"),
            "{all}"
        );
        assert!(all.contains("item `B`: parent `Z` does not exist"), "{all}");
        assert!(all.contains("item `B`: line 99999 is outside"), "{all}");
        assert!(all.contains("item `B`: duplicate code"), "{all}");
        assert!(all.contains("item `B`: missing label"), "{all}");
        assert!(all.contains("item `B`: needs a source"), "{all}");
    }

    #[test]
    fn cycles_are_refused() {
        let text = format!(
            "{HEADER}
[[items]]
code = \"A\"
kind = \"task\"
parent = \"B\"
label = \"x\"
line = 1
[[items]]
code = \"B\"
kind = \"task\"
parent = \"A\"
label = \"y\"
line = 1
"
        );
        let errors = parse("demo.toml", &text, &mut seeds())
            .err()
            .unwrap_or_default();
        assert!(errors.iter().any(|e| e.contains("cycle")), "{errors:?}");
    }

    #[test]
    fn id_must_match_file_name() {
        let errors = parse("other.toml", HEADER, &mut seeds())
            .err()
            .unwrap_or_default();
        assert!(errors[0].contains("must match the file name"), "{errors:?}");
    }
}
