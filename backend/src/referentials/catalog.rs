//! The read side: an in-memory snapshot of every referential, rebuilt from the database
//! whenever its fingerprint changes.
//!
//! Referentials change only when data files are loaded, but are read on every screen, so
//! reads come from memory (pre-serialised JSON, a folded search index). The database
//! stays the source of truth: once the snapshot is older than [`MAX_STALENESS`], one
//! background task checks the fingerprint (one small query) while reads go on being served
//! from the snapshot in hand. So an app server sees a reload done by another process on
//! the same database within about that delay, and reads never wait on the database (but
//! for the very first one).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use chrono::NaiveDateTime;
use passerelle_api::{
    AttrValue, Correspondence, Direction, Item, ItemDetail, ItemKind, ItemRef, KindCounts,
    PgiCatalogue, ReferentialDetail, ReferentialRef, ReferentialSummary, SearchHit,
    SEARCH_MAX_RESULTS,
};

use super::correspondences::Link;
use super::store;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::exercises::coverage::Outline;
use crate::fold::fold;
use crate::portfolio::progress::Layout;

/// One referential, ready to serve.
pub struct Entry {
    pub summary: ReferentialSummary,
    pub content_hash: String,
    /// When this version of the referential was loaded (UTC): its last change.
    pub loaded_at: NaiveDateTime,
    /// Seed files the items come from.
    pub seeds: Vec<String>,
    /// Level, NSF, ROME…, and settings such as `mastery_scale` (the degrees of mastery
    /// teachers set on evidence) or `ccf_units` (the units assessed in CCF).
    pub attributes: std::collections::BTreeMap<String, AttrValue>,
    /// `GET /api/referentials/{id}` body, serialised once…
    pub detail_json: Bytes,
    /// …and gzipped once, for the clients that accept it (every browser).
    pub detail_gzip: Bytes,
    /// The rows of its coverage matrices and their tree (computed once here).
    pub outline: Outline,
    /// The rows and blocs of its progress views and passeports (computed once here).
    pub progress: Layout,
    /// Each item as a search hit, serialised once without its last two fields
    /// (`matched_in`, `score`), which depend on the query: `{"referential":…,"path":[…]`.
    hit_json: Vec<Box<[u8]>>,
    items: Vec<Item>,
    by_code: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
    search: Vec<SearchEntry>,
    words: WordIndex,
}

struct SearchEntry {
    code: String,
    label: String,
    /// The kind's French name, so that "bloc 1" or "tâche facturation" find by kind.
    kind: &'static str,
    /// (attribute name, folded text) for every text attribute.
    attributes: Vec<(String, String)>,
}

/// Every whitespace-separated token of the items' folded texts (code, label, kind name,
/// text attributes), each once, with the items holding it. A query word holds no
/// whitespace, so it occurs in an item's text only inside one of that text's tokens: the
/// tokens containing it (one substring search over the distinct tokens) name every item
/// that may match, and only those are scored.
#[derive(Default)]
struct WordIndex {
    /// The distinct tokens, each followed by '\n'.
    tokens: String,
    /// Offset in `tokens` of each token's '\n', ascending.
    ends: Vec<u32>,
    /// Positions of the items whose texts hold each token, ascending, each once.
    postings: Vec<Vec<u32>>,
}

impl WordIndex {
    fn new(entries: &[SearchEntry]) -> WordIndex {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut index = WordIndex::default();
        for (item, e) in entries.iter().enumerate() {
            let texts = [e.code.as_str(), e.label.as_str(), e.kind]
                .into_iter()
                .chain(e.attributes.iter().map(|(_, t)| t.as_str()));
            for token in texts.flat_map(str::split_whitespace) {
                let id = *ids.entry(token).or_insert_with(|| {
                    index.tokens.push_str(token);
                    index.ends.push(index.tokens.len() as u32);
                    index.tokens.push('\n');
                    index.postings.push(Vec::new());
                    index.postings.len() - 1
                });
                let list = &mut index.postings[id];
                if list.last() != Some(&(item as u32)) {
                    list.push(item as u32);
                }
            }
        }
        index
    }

    /// Keeps in `set` (a bit per item) the items whose texts contain `word`, which holds
    /// no whitespace.
    fn retain_having(&self, word: &str, set: &mut [u64]) {
        let mut having = vec![0u64; set.len()];
        let mut last = usize::MAX;
        for at in memchr::memmem::find_iter(self.tokens.as_bytes(), word.as_bytes()) {
            let token = self.ends.partition_point(|&end| end as usize <= at);
            if token == last {
                continue;
            }
            last = token;
            for &item in self.postings.get(token).into_iter().flatten() {
                if let Some(bits) = having.get_mut(item as usize / 64) {
                    *bits |= 1 << (item % 64);
                }
            }
        }
        for (bits, have) in set.iter_mut().zip(having) {
            *bits &= have;
        }
    }

    /// Positions of the items whose texts contain every word, ascending.
    fn candidates(&self, words: &[&str], items: usize) -> impl Iterator<Item = usize> {
        let mut set = vec![u64::MAX; items.div_ceil(64)];
        for word in words {
            self.retain_having(word, &mut set);
        }
        set.into_iter().enumerate().flat_map(move |(n, bits)| {
            (0..64)
                .filter(move |b| bits & (1 << b) != 0)
                .map(move |b| n * 64 + b)
                .filter(move |&i| i < items)
        })
    }
}

pub struct Snapshot {
    fingerprint: Vec<(String, String)>,
    pub entries: Vec<Arc<Entry>>,
    pgi: PgiCatalogue,
    /// `GET /api/pgi` body, serialised once.
    pub pgi_json: Bytes,
    /// (referential, item) → features declared on it, in catalogue order.
    features_by_item: HashMap<(String, String), Vec<usize>>,
    links: Vec<Link>,
    /// (referential, item) → indices in `links` of the links from or to it.
    links_by_item: HashMap<(String, String), Vec<usize>>,
}

impl Snapshot {
    pub fn get(&self, id: &str) -> Option<&Arc<Entry>> {
        self.entries.iter().find(|e| e.summary.id == id)
    }

    /// The PGI catalogue (referentials/pgi/catalogue.toml).
    pub fn pgi(&self) -> &PgiCatalogue {
        &self.pgi
    }

    /// True when `code` is an item of referential `referential`.
    pub fn has_item(&self, referential: &str, code: &str) -> bool {
        self.get(referential)
            .is_some_and(|e| e.by_code.contains_key(code))
    }

    /// Ids of the features the item calls for, declared on it or on one of its ancestors,
    /// each once, in catalogue order. Empty for an unknown item.
    pub fn features_of(&self, referential: &str, code: &str) -> Vec<&str> {
        let Some(entry) = self.get(referential) else {
            return Vec::new();
        };
        let Some(&index) = entry.by_code.get(code) else {
            return Vec::new();
        };
        let mut found: Vec<usize> = std::iter::once(&entry.items[index])
            .chain(entry.ancestors(index))
            .filter_map(|item| {
                self.features_by_item
                    .get(&(referential.to_owned(), item.code.clone()))
            })
            .flatten()
            .copied()
            .collect();
        found.sort_unstable();
        found.dedup();
        found
            .into_iter()
            .filter_map(|i| self.pgi.features.get(i).map(|f| f.id.as_str()))
            .collect()
    }

    /// The items of other referentials linked to this one, in both directions, each
    /// naming the OTHER item; closest first (same, related, cites, prepares), then in
    /// file order.
    pub fn correspondences_of(&self, referential: &str, code: &str) -> Vec<Correspondence> {
        let mut out: Vec<Correspondence> = self
            .links_by_item
            .get(&(referential.to_owned(), code.to_owned()))
            .into_iter()
            .flatten()
            .filter_map(|&i| self.correspondence(&self.links[i], referential, code))
            .collect();
        out.sort_by_key(|c| c.relation);
        out
    }

    /// Items of other referentials implied by `items` (referential, code): the links of
    /// each, one step, both directions; each other item once (its first link), never
    /// one of `items`.
    pub fn implied(&self, items: &[(String, String)]) -> Vec<Correspondence> {
        let given: std::collections::HashSet<(&str, &str)> = items
            .iter()
            .map(|(r, c)| (r.as_str(), c.as_str()))
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (referential, code) in items {
            for c in self.correspondences_of(referential, code) {
                if c.referential_id == *referential
                    || given.contains(&(c.referential_id.as_str(), c.code.as_str()))
                {
                    continue;
                }
                if seen.insert((c.referential_id.clone(), c.code.clone())) {
                    out.push(c);
                }
            }
        }
        out
    }

    /// An item's page: the item, its ancestors, children and correspondences.
    pub fn item_detail(&self, referential: &str, code: &str) -> Option<ItemDetail> {
        let mut detail = self.get(referential)?.item_detail(code)?;
        detail.correspondences = self.correspondences_of(referential, code);
        Some(detail)
    }

    /// `link` seen from (referential, code), which is one of its ends.
    fn correspondence(&self, link: &Link, referential: &str, code: &str) -> Option<Correspondence> {
        let (direction, other_ref, other_code) =
            if link.from_referential == referential && link.from_code == code {
                (Direction::Outgoing, &link.to_referential, &link.to_code)
            } else {
                (Direction::Incoming, &link.from_referential, &link.from_code)
            };
        let other = self.get(other_ref)?;
        let item = other.items.get(*other.by_code.get(other_code)?)?;
        Some(Correspondence {
            referential_id: other_ref.clone(),
            code: item.code.clone(),
            kind: item.kind,
            label: item.label.clone(),
            relation: link.relation,
            direction,
            rationale: link.rationale.clone(),
            source: link.source.clone(),
        })
    }
}

/// How old a snapshot may be before the database is asked whether it changed.
pub const MAX_STALENESS: Duration = Duration::from_millis(500);

#[derive(Default)]
pub struct Catalog {
    /// The snapshot and when its fingerprint was last checked against the database.
    current: RwLock<Option<(Arc<Snapshot>, Instant)>>,
    /// Serialises rebuilds, so a change seen by many requests at once is rebuilt once.
    rebuilding: Mutex<()>,
    /// Set while a background re-check runs, so that at most one runs at a time.
    refreshing: AtomicBool,
}

/// The snapshot in hand, and whether it is due for a re-check against the database.
pub struct Cached {
    pub snapshot: Arc<Snapshot>,
    pub stale: bool,
}

impl Catalog {
    /// The snapshot in hand, if any (no I/O).
    pub fn cached(&self, now: Instant) -> Option<Cached> {
        let current = self.current.read().ok()?;
        current.as_ref().map(|(s, checked)| Cached {
            snapshot: s.clone(),
            stale: now.saturating_duration_since(*checked) >= MAX_STALENESS,
        })
    }

    /// Claims the one background re-check; false when another one is running.
    pub fn begin_refresh(&self) -> bool {
        self.refreshing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub fn end_refresh(&self) {
        self.refreshing.store(false, Ordering::Release);
    }

    /// The snapshot matching the database now (blocking: call from `web::block`).
    pub fn snapshot(
        &self,
        conn: &mut DbConnection,
        now: Instant,
    ) -> Result<Arc<Snapshot>, AppError> {
        let fingerprint = store::fingerprint(conn)?;
        if let Some(s) = self.confirm(&fingerprint, now) {
            return Ok(s);
        }
        let _guard = self
            .rebuilding
            .lock()
            .map_err(|_| AppError::internal("catalog lock poisoned"))?;
        if let Some(s) = self.confirm(&fingerprint, now) {
            return Ok(s);
        }
        let snapshot = Arc::new(build(
            fingerprint,
            store::load_all(conn)?,
            store::load_pgi(conn)?,
            store::load_links(conn)?,
        )?);
        if let Ok(mut current) = self.current.write() {
            *current = Some((snapshot.clone(), now));
        }
        Ok(snapshot)
    }

    /// The cached snapshot if it matches `fingerprint`, marked as checked at `now`.
    fn confirm(&self, fingerprint: &[(String, String)], now: Instant) -> Option<Arc<Snapshot>> {
        let mut current = self.current.write().ok()?;
        let (snapshot, checked) = current
            .as_mut()
            .filter(|(s, _)| s.fingerprint == fingerprint)?;
        *checked = now;
        Some(snapshot.clone())
    }
}

fn build(
    fingerprint: Vec<(String, String)>,
    stored: Vec<(store::ReferentialRow, Vec<Item>)>,
    pgi: PgiCatalogue,
    links: Vec<Link>,
) -> Result<Snapshot, AppError> {
    let mut entries = Vec::with_capacity(stored.len());
    for (row, items) in stored {
        let mut counts = KindCounts::new();
        for item in &items {
            *counts.entry(item.kind).or_insert(0) += 1;
        }
        let detail = ReferentialDetail {
            id: row.id.clone(),
            title: row.title.clone(),
            version: row.version.clone(),
            seeds: serde_json::from_str(&row.seeds)?,
            attributes: serde_json::from_str(&row.attributes)?,
            counts: counts.clone(),
            content_hash: row.content_hash.clone(),
            items,
        };
        // The flat list leaves out each item's source line text (a whole table row, often
        // repeated for every item printed on it): it comes with the item's own page.
        let mut listed = detail;
        let texts: Vec<Option<String>> = listed
            .items
            .iter_mut()
            .map(|i| i.source.text.take())
            .collect();
        let detail_json = Bytes::from(serde_json::to_vec(&listed)?);
        let detail_gzip = Bytes::from(gzip(&detail_json)?);
        let mut detail = listed;
        for (item, text) in detail.items.iter_mut().zip(texts) {
            item.source.text = text;
        }
        let items = detail.items;
        let seeds = detail.seeds;
        let attributes = detail.attributes;
        let by_code = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.code.clone(), i))
            .collect();
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(parent) = &item.parent {
                children.entry(parent.clone()).or_default().push(i);
            }
        }
        let search: Vec<SearchEntry> = items.iter().map(search_entry).collect();
        let words = WordIndex::new(&search);
        let mut entry = Entry {
            summary: ReferentialSummary {
                id: row.id,
                title: row.title,
                version: row.version,
                counts,
            },
            content_hash: row.content_hash,
            loaded_at: row.loaded_at,
            seeds,
            attributes,
            detail_json,
            detail_gzip,
            items,
            by_code,
            children,
            search,
            words,
            outline: Outline::default(),
            progress: Layout::default(),
            hit_json: Vec::new(),
        };
        entry.outline = Outline::of(&entry);
        entry.progress = Layout::of(&entry);
        entry.hit_json = (0..entry.items.len())
            .map(|i| entry.hit_prefix(i))
            .collect::<Result<_, _>>()?;
        entries.push(Arc::new(entry));
    }
    let feature_index: HashMap<&str, usize> = pgi
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.as_str(), i))
        .collect();
    let mut features_by_item: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for u in &pgi.uses {
        features_by_item
            .entry((u.referential.clone(), u.item.clone()))
            .or_default()
            .extend(
                u.features
                    .iter()
                    .filter_map(|f| feature_index.get(f.as_str())),
            );
    }
    let mut links_by_item: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, l) in links.iter().enumerate() {
        for end in [
            (l.from_referential.clone(), l.from_code.clone()),
            (l.to_referential.clone(), l.to_code.clone()),
        ] {
            links_by_item.entry(end).or_default().push(i);
        }
    }
    Ok(Snapshot {
        fingerprint,
        entries,
        pgi_json: Bytes::from(serde_json::to_vec(&pgi)?),
        pgi,
        features_by_item,
        links,
        links_by_item,
    })
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, AppError> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|e| AppError::internal(format!("gzip: {e}")))
}

/// The French name of a kind, folded (computed once per kind).
fn folded_kind_name(kind: ItemKind) -> &'static str {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| ItemKind::ALL.iter().map(|k| fold(k.label_fr())).collect());
    ItemKind::ALL
        .iter()
        .position(|k| *k == kind)
        .and_then(|i| names.get(i))
        .map(String::as_str)
        .unwrap_or_default()
}

fn search_entry(item: &Item) -> SearchEntry {
    let attributes = item
        .attributes
        .iter()
        .filter_map(|(name, value)| {
            let text = match value {
                AttrValue::Text(t) => t.clone(),
                AttrValue::List(l) => l.join(" \u{2022} "),
                AttrValue::Number(_) | AttrValue::Bool(_) => return None,
            };
            Some((name.clone(), fold(&text)))
        })
        .collect();
    SearchEntry {
        code: fold(&item.code),
        label: fold(&item.label),
        kind: folded_kind_name(item.kind),
        attributes,
    }
}

impl Entry {
    /// The degrees of mastery teachers set on evidence, lowest first: the referential's
    /// `mastery_scale` attribute, or the usual four.
    pub fn mastery_scale(&self) -> Vec<String> {
        match self.attributes.get("mastery_scale") {
            Some(AttrValue::List(levels)) if levels.len() >= 2 => levels.clone(),
            _ => passerelle_api::DEFAULT_SCALE
                .iter()
                .map(|l| (*l).to_owned())
                .collect(),
        }
    }

    /// The items in display (file) order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    pub fn reference(&self) -> ReferentialRef {
        ReferentialRef {
            id: self.summary.id.clone(),
            title: self.summary.title.clone(),
        }
    }

    fn item_ref(item: &Item) -> ItemRef {
        ItemRef {
            code: item.code.clone(),
            kind: item.kind,
            label: item.label.clone(),
        }
    }

    /// Ancestors of item `index`, root first.
    fn ancestors(&self, index: usize) -> Vec<&Item> {
        self.ancestor_indices(index)
            .into_iter()
            .map(|i| &self.items[i])
            .collect()
    }

    /// Positions in [`Entry::items`] of the ancestors of item `index`, root first.
    pub fn ancestor_indices(&self, index: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut current = self.items[index].parent.as_deref();
        // Bounded: the loader refuses cycles, but a corrupt database must not hang us.
        while let Some(code) = current.filter(|_| out.len() < self.items.len()) {
            match self.by_code.get(code) {
                Some(&i) => {
                    out.push(i);
                    current = self.items[i].parent.as_deref();
                }
                None => break,
            }
        }
        out.reverse();
        out
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.by_code.get(code).map(|&i| &self.items[i])
    }

    /// Item `index` as a search hit.
    fn hit(&self, index: usize, score: u32, matched_in: Option<String>) -> SearchHit {
        let item = &self.items[index];
        SearchHit {
            referential: self.reference(),
            code: item.code.clone(),
            kind: item.kind,
            label: item.label.clone(),
            path: self
                .ancestors(index)
                .iter()
                .map(|a| a.label.clone())
                .collect(),
            matched_in,
            score,
        }
    }

    /// Item `index` as a search hit in JSON, without `matched_in` (absent when None) and
    /// `score` (the last field), nor the closing brace.
    fn hit_prefix(&self, index: usize) -> Result<Box<[u8]>, AppError> {
        const TAIL: &[u8] = b",\"score\":0}";
        let mut json = serde_json::to_vec(&self.hit(index, 0, None))?;
        if !json.ends_with(TAIL) {
            return Err(AppError::internal(
                "search hit: score is not the last field",
            ));
        }
        json.truncate(json.len() - TAIL.len());
        Ok(json.into_boxed_slice())
    }

    /// Position of an item in [`Entry::items`].
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    /// The label of item `index`, folded (accent- and case-insensitive matching).
    pub fn folded_label(&self, index: usize) -> &str {
        self.search.get(index).map_or("", |s| s.label.as_str())
    }

    pub fn item_detail(&self, code: &str) -> Option<ItemDetail> {
        let &index = self.by_code.get(code)?;
        let item = self.items[index].clone();
        let ancestors = self
            .ancestors(index)
            .into_iter()
            .map(Self::item_ref)
            .collect();
        let children = self
            .children
            .get(code)
            .map(|c| c.iter().map(|&i| Self::item_ref(&self.items[i])).collect())
            .unwrap_or_default();
        Some(ItemDetail {
            referential: self.reference(),
            item,
            ancestors,
            children,
            correspondences: Vec::new(),
        })
    }
}

/// True when `needle` starts a word of `haystack` (start of text or after a
/// non-alphanumeric character).
fn at_word_start(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(i, _)| {
        haystack[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// Kinds a teacher most often looks for come first among equal matches.
fn kind_weight(kind: ItemKind) -> u32 {
    match kind {
        ItemKind::Task | ItemKind::Situation | ItemKind::Competency => 30,
        ItemKind::Activity | ItemKind::Bloc | ItemKind::Unit | ItemKind::Exam => 20,
        ItemKind::Domain | ItemKind::Function => 15,
        _ => 0,
    }
}

/// Scores one item for a folded query; None when some word of the query is missing.
fn score(
    entry: &SearchEntry,
    kind: ItemKind,
    query: &str,
    words: &[&str],
) -> Option<(u32, Option<String>)> {
    if entry.code == query {
        return Some((10_000, None));
    }
    let in_label =
        |w: &str| entry.label.contains(w) || entry.code.contains(w) || entry.kind.contains(w);
    if words.iter().all(|w| in_label(w)) {
        let mut s = 1_000 + kind_weight(kind);
        if entry.code.starts_with(query) {
            s += 2_000;
        }
        if entry.label.contains(query) {
            s += 300;
            if entry.label.starts_with(query) {
                s += 200;
            } else if at_word_start(&entry.label, query) {
                s += 100;
            }
        }
        s += words
            .iter()
            .filter(|w| at_word_start(&entry.label, w))
            .count() as u32
            * 40;
        // Among equal matches, the shorter label is the more specific one.
        s += 50u32.saturating_sub((entry.label.len() / 8) as u32);
        return Some((s, None));
    }
    // Otherwise every word must be somewhere in the item (label, code or attributes).
    let anywhere = |w: &str| in_label(w) || entry.attributes.iter().any(|(_, t)| t.contains(w));
    if !words.iter().all(|w| anywhere(w)) {
        return None;
    }
    let matched = entry
        .attributes
        .iter()
        .find(|(_, t)| t.contains(query))
        .or_else(|| {
            entry
                .attributes
                .iter()
                .find(|(_, t)| words.iter().any(|w| t.contains(w)))
        })
        .map(|(name, _)| name.clone());
    let phrase_bonus = if entry.attributes.iter().any(|(_, t)| t.contains(query)) {
        100
    } else {
        0
    };
    Some((200 + phrase_bonus + kind_weight(kind), matched))
}

/// (score, referential rank, item position, attribute matched) of the best items for
/// `query` across `entries`, best first, at most [`SEARCH_MAX_RESULTS`].
fn ranked(entries: &[&Arc<Entry>], query: &str) -> Vec<(u32, usize, usize, Option<String>)> {
    let folded = fold(query);
    let query = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = query.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Vec::new();
    }
    // (score, referential rank, position) keeps the order stable among equal scores.
    let mut scored: Vec<(u32, usize, usize, Option<String>)> = Vec::new();
    for (r, entry) in entries.iter().enumerate() {
        for i in entry.words.candidates(&words, entry.search.len()) {
            let (Some(s), Some(item)) = (entry.search.get(i), entry.items.get(i)) else {
                continue;
            };
            if let Some((points, matched)) = score(s, item.kind, &query, &words) {
                scored.push((points, r, i, matched));
            }
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    scored.truncate(SEARCH_MAX_RESULTS);
    scored
}

/// Ranked hits across `entries` (best first, at most [`SEARCH_MAX_RESULTS`]).
pub fn search(entries: &[&Arc<Entry>], query: &str) -> Vec<SearchHit> {
    ranked(entries, query)
        .into_iter()
        .map(|(points, r, i, matched_in)| entries[r].hit(i, points, matched_in))
        .collect()
}

/// The `GET /api/search` body (`SearchResults` of `query` and [`search`]'s hits), made of
/// the hits serialised once per snapshot: the same bytes for a fraction of the work.
pub fn search_json(entries: &[&Arc<Entry>], query: &str) -> Result<Vec<u8>, AppError> {
    use std::io::Write;
    let hits = ranked(entries, query);
    let mut out = Vec::with_capacity(64 + hits.len() * 320);
    out.extend_from_slice(b"{\"query\":");
    serde_json::to_writer(&mut out, query)?;
    out.extend_from_slice(b",\"hits\":[");
    for (n, (points, r, i, matched_in)) in hits.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let prefix = entries[r]
            .hit_json
            .get(i)
            .ok_or_else(|| AppError::internal("search hit missing"))?;
        out.extend_from_slice(prefix);
        if let Some(name) = matched_in {
            out.extend_from_slice(b",\"matched_in\":");
            serde_json::to_writer(&mut out, &name)?;
        }
        write!(out, ",\"score\":{points}}}")
            .map_err(|e| AppError::internal(format!("search body: {e}")))?;
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: &str, label: &str) -> SearchEntry {
        search_entry(&Item {
            code: code.into(),
            kind: ItemKind::Task,
            label: label.into(),
            parent: None,
            official_code: None,
            source: Default::default(),
            repairs: vec![],
            refs: Default::default(),
            attributes: [(
                "criteres".to_owned(),
                AttrValue::List(vec!["Fiabilité des déclarations".into()]),
            )]
            .into(),
        })
    }

    #[test]
    fn label_matches_beat_attribute_matches_and_word_starts_count() {
        let starts = entry("T.1.2.4", "Facturation, suivi des règlements");
        let inside = entry("S1.2.2", "Traitement de la livraison et de la facturation");
        let attr = entry("X", "Autre chose");
        let q = ["facturation"];
        let a = score(&starts, ItemKind::Task, "facturation", &q).map(|s| s.0);
        let b = score(&inside, ItemKind::Task, "facturation", &q).map(|s| s.0);
        assert!(a > b, "{a:?} {b:?}");
        let fiab = score(&attr, ItemKind::Task, "fiabilite", &["fiabilite"]);
        assert_eq!(fiab.map(|s| s.1), Some(Some("criteres".to_owned())));
        assert!(score(&attr, ItemKind::Task, "zzz", &["zzz"]).is_none());
    }

    #[test]
    fn kind_names_count_as_words() {
        let bloc = SearchEntry {
            kind: folded_kind_name(ItemKind::Bloc),
            ..entry("B1", "Gérer la relation avec les clients")
        };
        let task = entry("T.1.1.1", "Organisation de la prospection");
        assert!(score(&bloc, ItemKind::Bloc, "bloc 1", &["bloc", "1"]).is_some());
        assert!(score(&task, ItemKind::Task, "bloc 1", &["bloc", "1"]).is_none());
    }

    #[test]
    fn exact_code_wins() {
        let e = entry("T.1.2.4", "Facturation");
        assert_eq!(
            score(&e, ItemKind::Task, "t.1.2.4", &["t.1.2.4"]).map(|s| s.0),
            Some(10_000)
        );
    }

    #[test]
    fn the_word_index_names_exactly_the_items_scoring_finds() {
        let entries = vec![
            entry("T.1.2.4", "Facturation, suivi des règlements"),
            entry("S1.2.2", "Traitement de la livraison et de la facturation"),
            entry("X", "Autre chose"),
            SearchEntry {
                kind: folded_kind_name(ItemKind::Bloc),
                ..entry("B1", "Gérer la relation avec les clients")
            },
        ];
        let index = WordIndex::new(&entries);
        for query in [
            "facturation",
            "factur reglem",
            "fiabilite",
            "bloc 1",
            "t.1.2",
            "on",
            "s de",
            "zzz",
            "e",
        ] {
            let words: Vec<&str> = query.split(' ').collect();
            let scanned: Vec<usize> = (0..entries.len())
                .filter(|&i| score(&entries[i], ItemKind::Task, query, &words).is_some())
                .collect();
            let found: Vec<usize> = index.candidates(&words, entries.len()).collect();
            assert_eq!(found, scanned, "{query}");
        }
    }

    fn item(code: &str, kind: ItemKind, label: &str, parent: Option<&str>) -> Item {
        Item {
            code: code.into(),
            kind,
            label: label.into(),
            parent: parent.map(Into::into),
            official_code: None,
            source: Default::default(),
            repairs: vec![],
            refs: Default::default(),
            attributes: [(
                "criteres".to_owned(),
                AttrValue::List(vec!["Fiabilité des déclarations \"TVA\"".into()]),
            )]
            .into(),
        }
    }

    #[test]
    fn the_search_body_is_the_serialised_hits() {
        let row = store::ReferentialRow {
            id: "r".into(),
            title: "Référentiel « test »".into(),
            version: "1".into(),
            seeds: "[]".into(),
            attributes: "{}".into(),
            content_hash: "h".into(),
            loaded_at: NaiveDateTime::default(),
        };
        let items = vec![
            item("B1", ItemKind::Bloc, "Gérer la facturation", None),
            item("T.1", ItemKind::Task, "Facturation des clients", Some("B1")),
            item("T.2", ItemKind::Task, "Déclaration de TVA", Some("B1")),
        ];
        let snapshot = build(
            Vec::new(),
            vec![(row, items)],
            PgiCatalogue::default(),
            vec![],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let entries: Vec<&Arc<Entry>> = snapshot.entries.iter().collect();
        for query in ["facturation", "fiabilite", "TVA", "zzz", "\"tva\""] {
            let expected = serde_json::to_vec(&passerelle_api::SearchResults {
                query: query.to_owned(),
                hits: search(&entries, query),
            })
            .unwrap_or_default();
            let body = search_json(&entries, query).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                String::from_utf8_lossy(&body),
                String::from_utf8_lossy(&expected)
            );
        }
        assert_eq!(search(&entries, "fiabilite").len(), 3);
    }

    #[test]
    fn word_start_detection() {
        assert!(at_word_start("declaration de tva", "tva"));
        assert!(!at_word_start("activation", "tva"));
    }
}
