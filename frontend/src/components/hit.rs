//! One search hit, shared by the header dropdown and the results page.

use passerelle_api::{ReferentialRef, SearchHit};
use yew::prelude::*;

use super::KindBadge;
use crate::text::humanise;

/// Hits grouped by referential, groups in order of their best hit, hits keeping their order.
pub fn group_hits(hits: &[SearchHit]) -> Vec<(ReferentialRef, Vec<&SearchHit>)> {
    let mut groups: Vec<(ReferentialRef, Vec<&SearchHit>)> = Vec::new();
    for hit in hits {
        match groups.iter_mut().find(|(r, _)| r.id == hit.referential.id) {
            Some((_, list)) => list.push(hit),
            None => groups.push((hit.referential.clone(), vec![hit])),
        }
    }
    groups
}

/// Accent- and case-insensitive form of one character (1:1, so indices line up).
pub fn fold(c: char) -> char {
    match c.to_lowercase().next().unwrap_or(c) {
        'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' | 'í' | 'ì' => 'i',
        'ô' | 'ö' | 'ó' | 'ò' | 'õ' => 'o',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'ç' => 'c',
        'ÿ' => 'y',
        'ñ' => 'n',
        '’' => '\'',
        x => x,
    }
}

/// Byte ranges of `text` where a word of `query` (2+ characters) occurs, folded, merged.
pub fn match_ranges(text: &str, query: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let folded: Vec<char> = chars.iter().map(|(_, c)| fold(*c)).collect();
    let mut marked = vec![false; chars.len()];
    for term in query.split_whitespace() {
        let term: Vec<char> = term.chars().map(fold).collect();
        if term.len() < 2 || term.len() > folded.len() {
            continue;
        }
        for start in 0..=folded.len() - term.len() {
            if folded[start..start + term.len()] == term[..] {
                marked[start..start + term.len()].fill(true);
            }
        }
    }
    let mut ranges = Vec::new();
    let mut open: Option<usize> = None;
    for (i, m) in marked.iter().enumerate() {
        match (open, *m) {
            (None, true) => open = Some(chars[i].0),
            (Some(start), false) => {
                ranges.push((start, chars[i].0));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        ranges.push((start, text.len()));
    }
    ranges
}

/// Whether every word of `query` occurs in `text` (accents and case ignored).
pub fn matches_all(text: &str, query: &str) -> bool {
    let text: String = text.chars().map(fold).collect();
    query
        .split_whitespace()
        .all(|w| text.contains(&w.chars().map(fold).collect::<String>()))
}

/// `text` with the words of `query` wrapped in `<mark>`.
pub fn highlight(text: &str, query: &str) -> Html {
    let mut parts = Vec::new();
    let mut at = 0;
    for (start, end) in match_ranges(text, query) {
        if start > at {
            parts.push(html! { { &text[at..start] } });
        }
        parts.push(html! { <mark>{ &text[start..end] }</mark> });
        at = end;
    }
    if at < text.len() {
        parts.push(html! { { &text[at..] } });
    }
    parts.into_iter().collect()
}

#[derive(Properties, PartialEq)]
pub struct HitBodyProps {
    pub hit: SearchHit,
    /// The query, whose words are highlighted in the label.
    #[prop_or_default]
    pub query: AttrValue,
    /// Show the referential's title (when hits are not grouped).
    #[prop_or_default]
    pub show_referential: bool,
}

/// Kind badge, code, label, then the path and where the query matched.
#[function_component]
pub fn HitBody(props: &HitBodyProps) -> Html {
    let hit = &props.hit;
    let path = hit.path.join(" › ");
    html! {
        <>
            <span class="hit-head">
                <KindBadge kind={hit.kind} />
                <span class="code">{ hit.code.clone() }</span>
            </span>
            <span class="hit-label">{ highlight(&hit.label, &props.query) }</span>
            if props.show_referential || !path.is_empty() || hit.matched_in.is_some() {
                <span class="hit-meta">
                    if props.show_referential {
                        <span class="hit-referential">{ hit.referential.title.clone() }</span>
                    }
                    if !path.is_empty() {
                        <span class="hit-path">{ path }</span>
                    }
                    if let Some(m) = &hit.matched_in {
                        <span class="hit-matched">{ format!("trouvé dans : {}", humanise(m)) }</span>
                    }
                </span>
            }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::{match_ranges, matches_all};

    #[test]
    fn every_word_must_match() {
        let title = "Facturation des commandes — JUPITER MEDIA";
        assert!(matches_all(title, "jupiter factur"));
        assert!(matches_all(title, ""));
        assert!(!matches_all(title, "jupiter paie"));
        assert!(matches_all("Déclaration de TVA", "declaration tva"));
    }

    #[test]
    fn matches_ignore_case_and_accents() {
        let text = "Préparation de la déclaration de TVA";
        assert_eq!(
            match_ranges(text, "tva"),
            vec![(text.len() - 3, text.len())]
        );
        let r = match_ranges(text, "preparation");
        assert_eq!(&text[r[0].0..r[0].1], "Préparation");
        assert!(match_ranges(text, "x").is_empty());
    }
}
