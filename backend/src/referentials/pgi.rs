//! The PGI catalogue (referentials/pgi/catalogue.toml): software, modules, features,
//! training bases and the features referential items call for, validated against the
//! referentials of the same load.

use std::collections::HashSet;
use std::path::Path;

use passerelle_api::{
    BaseRecommendation, FeatureUse, PgiCatalogue, PgiFeature, PgiModule, PgiSoftware, TrainingBase,
};
use serde::Deserialize;

use super::file::{content_hash, seed_line, Seeds};
use super::ItemIndex;

/// Where the catalogue lives, relative to the referentials folder.
pub const CATALOGUE_FILE: &str = "pgi/catalogue.toml";

/// A validated catalogue and the hash of its file (empty catalogue: no file).
#[derive(Debug, Clone, Default)]
pub struct PgiData {
    pub catalogue: PgiCatalogue,
    pub content_hash: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    #[serde(default)]
    software: Vec<PgiSoftware>,
    #[serde(default)]
    modules: Vec<PgiModule>,
    #[serde(default)]
    features: Vec<PgiFeature>,
    #[serde(default)]
    bases: Vec<TrainingBase>,
    #[serde(default)]
    uses: Vec<FeatureUse>,
}

/// Reads and validates the catalogue of `dir`; a missing file is an empty catalogue.
pub fn read(dir: &Path, items: &ItemIndex, seeds: &mut Seeds) -> Result<PgiData, Vec<String>> {
    let path = dir.join(CATALOGUE_FILE);
    if !path.exists() {
        return Ok(PgiData::default());
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| vec![format!("{CATALOGUE_FILE}: cannot read: {e}")])?;
    let catalogue = parse(&text, items, seeds)?;
    Ok(PgiData {
        catalogue,
        content_hash: content_hash(&[CATALOGUE_FILE, &text]),
    })
}

/// True for a non-empty id made of a-z, 0-9 and -.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Collects problems, each naming the file, the entry and the reason.
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, section: &str, id: &str, reason: impl std::fmt::Display) {
        self.0
            .push(format!("{CATALOGUE_FILE}: {section} `{id}`: {reason}"));
    }

    /// Checks an id: pattern and uniqueness within its section.
    fn id(&mut self, section: &str, id: &str, seen: &mut HashSet<String>) {
        if !valid_id(id) {
            self.add(section, id, "id must be made of a-z, 0-9 and -");
        }
        if !seen.insert(id.to_owned()) {
            self.add(section, id, "duplicate id");
        }
    }

    fn places<'a>(
        &mut self,
        section: &str,
        id: &str,
        places: impl IntoIterator<Item = &'a String>,
        seeds: &mut Seeds,
    ) {
        for place in places {
            if let Err(reason) = seed_line(place, seeds) {
                self.add(section, id, format!("source `{place}`: {reason}"));
            }
        }
    }

    fn needs_source(
        &mut self,
        section: &str,
        id: &str,
        source: &Option<String>,
        other: &Option<String>,
        other_name: &str,
    ) {
        let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
        if !given(source) && !given(other) {
            self.add(
                section,
                id,
                format!("needs a `source` (seed:line) or a `{other_name}`"),
            );
        }
    }

    fn known<'a>(
        &mut self,
        section: &str,
        id: &str,
        field: &str,
        values: impl IntoIterator<Item = &'a String>,
        known: &HashSet<String>,
    ) {
        let mut seen = HashSet::new();
        for value in values {
            if !known.contains(value) {
                self.add(section, id, format!("{field}: unknown `{value}`"));
            }
            if !seen.insert(value) {
                self.add(section, id, format!("{field}: `{value}` listed twice"));
            }
        }
    }

    fn item(&mut self, section: &str, id: &str, referential: &str, code: &str, items: &ItemIndex) {
        if let Err(reason) = items.check(referential, code) {
            self.add(section, id, reason);
        }
    }
}

fn parse(text: &str, items: &ItemIndex, seeds: &mut Seeds) -> Result<PgiCatalogue, Vec<String>> {
    let raw: RawCatalogue =
        toml::from_str(text).map_err(|e| vec![format!("{CATALOGUE_FILE}: {e}")])?;
    let mut p = Problems(Vec::new());

    let mut software = HashSet::new();
    for s in &raw.software {
        p.id("software", &s.id, &mut software);
        if s.name.trim().is_empty() {
            p.add("software", &s.id, "missing name");
        }
        p.needs_source("software", &s.id, &s.source, &s.citation, "citation");
        p.places("software", &s.id, s.source.iter().chain(&s.also_at), seeds);
    }
    let mut modules = HashSet::new();
    for m in &raw.modules {
        p.id("modules", &m.id, &mut modules);
        if m.label.trim().is_empty() {
            p.add("modules", &m.id, "missing label");
        }
        if m.software.is_empty() {
            p.add("modules", &m.id, "software is empty");
        }
        p.known("modules", &m.id, "software", &m.software, &software);
        p.needs_source("modules", &m.id, &m.source, &m.citation, "citation");
        p.places("modules", &m.id, m.source.iter().chain(&m.also_at), seeds);
    }
    let mut features = HashSet::new();
    for f in &raw.features {
        p.id("features", &f.id, &mut features);
        if f.label.trim().is_empty() {
            p.add("features", &f.id, "missing label");
        }
        if !modules.contains(&f.module) {
            p.add("features", &f.id, format!("module: unknown `{}`", f.module));
        }
        if f.keywords.iter().all(|k| k.trim().is_empty()) {
            p.add("features", &f.id, "keywords is empty");
        }
        if f.sources.is_empty() {
            p.add(
                "features",
                &f.id,
                "sources is empty: every feature cites the lines that mention it",
            );
        }
        p.places("features", &f.id, &f.sources, seeds);
    }
    let mut bases = HashSet::new();
    for b in &raw.bases {
        p.id("bases", &b.id, &mut bases);
        if b.name.trim().is_empty() {
            p.add("bases", &b.id, "missing name");
        }
        p.known("bases", &b.id, "software", &b.software, &software);
        p.known("bases", &b.id, "modules", &b.modules, &modules);
        if b.sources.is_empty() {
            p.add("bases", &b.id, "sources is empty");
        }
        p.places("bases", &b.id, &b.sources, seeds);
        for BaseRecommendation {
            referential,
            item,
            source,
        } in &b.recommended_for
        {
            p.item("bases", &b.id, referential, item, items);
            p.places("bases", &b.id, source, seeds);
        }
    }
    let mut uses = HashSet::new();
    for (index, u) in raw.uses.iter().enumerate() {
        let id = format!("#{} ({} {})", index + 1, u.referential, u.item);
        p.item("uses", &id, &u.referential, &u.item, items);
        if u.features.is_empty() {
            p.add("uses", &id, "features is empty");
        }
        p.known("uses", &id, "features", &u.features, &features);
        p.needs_source("uses", &id, &u.source, &u.rationale, "rationale");
        p.places("uses", &id, &u.source, seeds);
        let key = (&u.referential, &u.item, &u.source, &u.rationale);
        if !uses.insert(key) {
            p.add(
                "uses",
                &id,
                "duplicate entry (same item and source): merge them",
            );
        }
    }

    if !p.0.is_empty() {
        return Err(p.0);
    }
    Ok(PgiCatalogue {
        software: raw.software,
        modules: raw.modules,
        features: raw.features,
        bases: raw.bases,
        uses: raw.uses,
    })
}
