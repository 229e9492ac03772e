//! The Markdown subset of exercise instructions and fiche texts: paragraphs, `#` headings,
//! `-`/`*`/`1.` lists, `**bold**` and `*italic*`. Parsed into a small tree that the SPA
//! draws as elements and the exports write as escaped HTML, so user text is never
//! injected as markup anywhere.

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Bold(String),
    Italic(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Level 1 to 3.
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    BulletList(Vec<Vec<Inline>>),
    NumberedList(Vec<Vec<Inline>>),
}

/// Parses `text`; never fails (anything unrecognised is text).
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(inlines(&paragraph.join(" "))));
            paragraph.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush(&mut paragraph, &mut blocks);
            continue;
        }
        if let Some((level, rest)) = heading(trimmed) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Heading(level, inlines(rest)));
        } else if let Some(rest) = bullet(trimmed) {
            flush(&mut paragraph, &mut blocks);
            match blocks.last_mut() {
                Some(Block::BulletList(items)) => items.push(inlines(rest)),
                _ => blocks.push(Block::BulletList(vec![inlines(rest)])),
            }
        } else if let Some(rest) = numbered(trimmed) {
            flush(&mut paragraph, &mut blocks);
            match blocks.last_mut() {
                Some(Block::NumberedList(items)) => items.push(inlines(rest)),
                _ => blocks.push(Block::NumberedList(vec![inlines(rest)])),
            }
        } else {
            // A line right after a list item continues it only when indented.
            let continues_list = line.starts_with("  ") && paragraph.is_empty();
            match blocks.last_mut() {
                Some(Block::BulletList(items)) | Some(Block::NumberedList(items))
                    if continues_list =>
                {
                    if let Some(last) = items.last_mut() {
                        last.push(Inline::Text(" ".to_owned()));
                        last.extend(inlines(trimmed));
                    }
                }
                _ => paragraph.push(trimmed),
            }
        }
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if (1..=3).contains(&hashes) && line[hashes..].starts_with(' ') {
        Some((hashes as u8, line[hashes..].trim()))
    } else {
        None
    }
}

fn bullet(line: &str) -> Option<&str> {
    line.strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("• "))
}

fn numbered(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    line[digits..]
        .strip_prefix(". ")
        .or_else(|| line[digits..].strip_prefix(") "))
}

/// Splits `**bold**` and `*italic*` runs; an unclosed marker is text. (No `_italic_`:
/// it would mangle file names such as `releve_03_2026.pdf`.)
fn inlines(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (marker, make): (&str, fn(String) -> Inline) = if rest.starts_with("**") {
            ("**", Inline::Bold)
        } else if rest.starts_with('*') {
            ("*", Inline::Italic)
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            plain.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let after = &rest[marker.len()..];
        match after.find(marker) {
            Some(end) if end > 0 && !after.starts_with(' ') => {
                if !plain.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut plain)));
                }
                out.push(make(after[..end].to_owned()));
                rest = &after[end + marker.len()..];
            }
            _ => {
                plain.push_str(marker);
                rest = after;
            }
        }
    }
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text as HTML, every piece of user text escaped.
pub fn to_html(text: &str) -> String {
    fn runs(inlines: &[Inline]) -> String {
        inlines
            .iter()
            .map(|inline| match inline {
                Inline::Text(t) => escape_html(t),
                Inline::Bold(t) => format!("<strong>{}</strong>", escape_html(t)),
                Inline::Italic(t) => format!("<em>{}</em>", escape_html(t)),
            })
            .collect()
    }
    let list = |tag: &str, items: &[Vec<Inline>]| -> String {
        let items: String = items
            .iter()
            .map(|item| format!("<li>{}</li>\n", runs(item)))
            .collect();
        format!("<{tag}>\n{items}</{tag}>\n")
    };
    let mut html = String::new();
    for block in parse(text) {
        match block {
            Block::Heading(level, content) => {
                // Headings of user text sit below the page's own h1/h2.
                let level = level + 2;
                html.push_str(&format!("<h{level}>{}</h{level}>\n", runs(&content)));
            }
            Block::Paragraph(content) => html.push_str(&format!("<p>{}</p>\n", runs(&content))),
            Block::BulletList(items) => html.push_str(&list("ul", &items)),
            Block::NumberedList(items) => html.push_str(&list("ol", &items)),
        }
    }
    html
}

/// The text without markup, for spreadsheets and search.
pub fn to_plain(text: &str) -> String {
    let mut lines = Vec::new();
    let runs = |inlines: &[Inline]| -> String {
        inlines
            .iter()
            .map(|i| match i {
                Inline::Text(t) | Inline::Bold(t) | Inline::Italic(t) => t.as_str(),
            })
            .collect()
    };
    for block in parse(text) {
        match block {
            Block::Heading(_, content) | Block::Paragraph(content) => lines.push(runs(&content)),
            Block::BulletList(items) => {
                lines.extend(items.iter().map(|i| format!("• {}", runs(i))));
            }
            Block::NumberedList(items) => lines.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(n, i)| format!("{}. {}", n + 1, runs(i))),
            ),
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_inlines() {
        let blocks = parse("# Titre\n\nJ'ai **saisi** les *factures*\nde mars.\n\n- devis\n- avoir\n\n1. un\n2. deux");
        assert_eq!(
            blocks,
            vec![
                Block::Heading(1, vec![Inline::Text("Titre".into())]),
                Block::Paragraph(vec![
                    Inline::Text("J'ai ".into()),
                    Inline::Bold("saisi".into()),
                    Inline::Text(" les ".into()),
                    Inline::Italic("factures".into()),
                    Inline::Text(" de mars.".into()),
                ]),
                Block::BulletList(vec![
                    vec![Inline::Text("devis".into())],
                    vec![Inline::Text("avoir".into())]
                ]),
                Block::NumberedList(vec![
                    vec![Inline::Text("un".into())],
                    vec![Inline::Text("deux".into())]
                ]),
            ]
        );
    }

    #[test]
    fn unclosed_markers_and_markup_stay_text() {
        assert_eq!(
            parse("2 * 3 = 6 <script>"),
            vec![Block::Paragraph(vec![Inline::Text(
                "2 * 3 = 6 <script>".into()
            )])]
        );
        let html = to_html("<img src=x onerror=alert(1)> **<b>**");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;img"), "{html}");
        assert!(html.contains("<strong>&lt;b&gt;</strong>"), "{html}");
    }

    #[test]
    fn plain_text_keeps_list_markers() {
        assert_eq!(to_plain("- a\n- **b**"), "• a\n• b");
    }
}
