//! Text folding for accent- and case-insensitive search.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lower-cases, strips diacritics, expands ligatures and unifies apostrophes, so that
/// "Déclaration", "declaration" and "DÉCLARATION" fold to the same string.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            '’' | '‘' | '`' => out.push('\''),
            '\u{a0}' | '\u{202f}' => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_accents_case_and_ligatures() {
        assert_eq!(fold("Déclaration de TVA"), "declaration de tva");
        assert_eq!(fold("MISE EN ŒUVRE"), "mise en oeuvre");
        assert_eq!(fold("l’activité"), "l'activite");
        assert_eq!(fold("Élève"), "eleve");
    }
}
