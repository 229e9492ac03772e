//! Text helpers shared by features that write for other tools.

use std::borrow::Cow;

/// A cell value that a spreadsheet will show as the text it is, never run as a formula
/// (OWASP "CSV injection"): a value starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading apostrophe, which Excel and LibreOffice read as "text follows" and
/// do not display. A student named `=HYPERLINK(…)` then reaches the exam office's
/// spreadsheet as that name, not as a link. Other values are unchanged.
pub fn spreadsheet_safe(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

/// A CSV record with every cell made [`spreadsheet_safe`]: what every CSV Passerelle
/// writes hands to `csv::Writer::write_record`.
pub fn spreadsheet_record<'a>(cells: impl IntoIterator<Item = &'a str>) -> Vec<Cow<'a, str>> {
    cells.into_iter().map(spreadsheet_safe).collect()
}

/// Writes `cells` as one [`spreadsheet_record`].
pub fn write_csv_record<'a, W: std::io::Write>(
    writer: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = &'a str>,
) -> csv::Result<()> {
    writer.write_record(spreadsheet_record(cells).iter().map(|c| c.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        for risky in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(spreadsheet_safe(risky), format!("'{risky}"));
        }
        for plain in ["Zola", "12,5", "", "Émile", " =x", "a=b"] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
    }
}
