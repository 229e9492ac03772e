//! Request bodies that carry files (class lists, catalogues, attachments).

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use crate::error::AppError;

/// Reads the upload, refusing it (413) as soon as it exceeds the limit: an over-size body
/// is never held in memory whole.
pub async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, AppError> {
    let too_large = || {
        AppError::too_large(
            "too_large",
            format!(
                "fichier trop volumineux : {} Mo au plus",
                limit / (1024 * 1024)
            ),
        )
    };
    // A declared length over the limit is refused before a byte is read.
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            AppError::bad_request("unreadable", format!("envoi interrompu ou illisible : {e}"))
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file to download: `Content-Disposition: attachment` with the name in plain ASCII
/// (for old clients) and in UTF-8 (RFC 6266/5987), never cached by shared computers.
pub fn attachment(bytes: Vec<u8>, content_type: &str, file_name: &str) -> actix_web::HttpResponse {
    download(content_type, file_name).body(bytes)
}

/// Bytes read from the file per chunk of a streamed download.
const STREAM_CHUNK: usize = 256 * 1024;

/// A file on disk to download (a temporary archive too large to hold in memory), streamed
/// from its current position to its end in chunks read off the async executor, with its
/// `Content-Length` (so that a client shows a progress bar) and the same headers as
/// [`attachment`].
pub fn attachment_file(
    file: std::fs::File,
    content_type: &str,
    file_name: &str,
) -> Result<actix_web::HttpResponse, AppError> {
    use std::io::{Read, Seek};
    let mut file = file;
    let start = file
        .stream_position()
        .map_err(|e| AppError::internal(format!("download: {e}")))?;
    let len = file
        .metadata()
        .map_err(|e| AppError::internal(format!("download: {e}")))?
        .len()
        .saturating_sub(start);
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = web::block(move || {
            let mut buf = vec![0u8; STREAM_CHUNK];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((file, buf))
        })
        .await;
        match read {
            Ok(Ok((_, buf))) if buf.is_empty() => None,
            Ok(Ok((file, buf))) => Some((Ok(web::Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    Ok(download(content_type, file_name)
        .no_chunking(len)
        .streaming(chunks))
}

fn download(content_type: &str, file_name: &str) -> actix_web::HttpResponseBuilder {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut response = actix_web::HttpResponse::Ok();
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .content_type(content_type);
    response
}

/// A user-supplied file name made safe to store and to send back: its last path
/// component, no control or format characters, at most 120 characters (extension kept).
///
/// Format characters are invisible, and some lie: a right-to-left override makes
/// `facture\u{202E}fdp.exe` show as `factureexe.pdf`; zero-width characters make two
/// names that look the same differ. Both go, with line and paragraph separators.
pub fn safe_file_name(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !is_format(c)
                && !matches!(c, '\u{2028}' | '\u{2029}')
                && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*')
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        return fallback.to_owned();
    }
    if cleaned.chars().count() <= 120 {
        return cleaned;
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((s, e)) if e.chars().count() <= 10 => (s.to_owned(), format!(".{e}")),
        _ => (cleaned.clone(), String::new()),
    };
    let keep = 120 - ext.chars().count();
    format!("{}{ext}", stem.chars().take(keep).collect::<String>())
}

/// Unicode general category Cf (format), from DerivedGeneralCategory.txt (Unicode 16):
/// bidirectional embeddings, overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069,
/// U+200E, U+200F, U+061C), zero-width space, joiners and word joiner, the byte-order
/// mark, soft hyphen, invisible operators, interlinear annotations, tags…
const FORMAT: [(u32, u32); 21] = [
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

fn is_format(c: char) -> bool {
    let c = c as u32;
    FORMAT.iter().any(|&(low, high)| (low..=high).contains(&c))
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn file_names_lose_invisible_and_direction_characters() {
        // An override that shows "facture\u{202E}fdp.exe" as "factureexe.pdf".
        assert_eq!(
            safe_file_name("facture\u{202E}fdp.exe", "f"),
            "facturefdp.exe"
        );
        for c in [
            '\u{202A}',
            '\u{202B}',
            '\u{202C}',
            '\u{202D}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0041}',
            '\u{2028}',
            '\u{0085}',
            '\u{009B}',
        ] {
            assert_eq!(
                safe_file_name(&format!("rap{c}port.pdf"), "f"),
                "rapport.pdf",
                "U+{:04X}",
                c as u32
            );
        }
        // Letters, accents, spaces and punctuation of real names stay.
        assert_eq!(
            safe_file_name("Compte-rendu (stage) n°2 — Léa.pdf", "f"),
            "Compte-rendu (stage) n°2 — Léa.pdf"
        );
        assert_eq!(safe_file_name("تقرير.pdf", "f"), "تقرير.pdf");
        assert_eq!(safe_file_name("\u{202E}\u{200B}", "f.pdf"), "f.pdf");
    }

    #[test]
    fn file_names_lose_paths_controls_and_length() {
        assert_eq!(safe_file_name("../../etc/passwd", "f"), "passwd");
        assert_eq!(safe_file_name("a\0b.pdf", "f"), "ab.pdf");
        assert_eq!(safe_file_name("..\\..\\x.pdf", "f"), "x.pdf");
        assert_eq!(safe_file_name("..", "f.pdf"), "f.pdf");
        let long = format!("{}.pdf", "é".repeat(300));
        let safe = safe_file_name(&long, "f");
        assert_eq!(safe.chars().count(), 120);
        assert!(safe.ends_with(".pdf"));
    }
}
