//! What an uploaded file really is, judged by its content (never by its name or the
//! Content-Type the browser sent); documents that carry active content refused; photos
//! cleaned of their metadata: a phone's JPEG carries the GPS position, the device and the
//! time, which have no place in a minor's portfolio.
//!
//! Students upload evidence that teachers open on school computers, so a document that
//! runs something when opened (macros, scripts, a remote template, an embedded program) is
//! refused (415) with a French reason from [`reason`], one per kind. The checks are in
//! `office` (docx, xlsx, odt: zip packages) and `pdf`; this module tells the types
//! apart and refuses polyglots, files that are read as one type by one program and as
//! another by the next (a PDF that is also a web page, a photo with a zip after its end).
//! Every read is bounded: an archive's entries are read within a byte budget, a PDF's
//! object streams inflated within another, so a compression bomb costs milliseconds.

mod office;
mod pdf;
#[doc(hidden)]
pub mod samples;

use memchr::memmem;

/// A type accepted as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
    Xlsx,
    Docx,
    Odt,
}

impl FileType {
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Odt => "application/vnd.oasis.opendocument.text",
        }
    }

    /// Extensions a file of this type may carry; the first is the one we give it.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &["pdf"],
            FileType::Png => &["png"],
            FileType::Jpeg => &["jpg", "jpeg"],
            FileType::Xlsx => &["xlsx"],
            FileType::Docx => &["docx"],
            FileType::Odt => &["odt"],
        }
    }
}

/// Why a file is refused (415).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl Refused {
    fn because(reason: &str) -> Refused {
        Refused(reason.to_owned())
    }
}

/// The French reasons a document with active content is refused for, one per kind: the
/// answer's `message`, which the HTTP tests compare.
pub mod reason {
    /// OOXML macros: a VBA project (under any name), a macro-enabled content type, an
    /// Excel 4 macro sheet.
    pub const MACROS: &str = "document refusé : il contient des macros (VBA)";
    /// ODF macros: Basic or script libraries, a script bound to an event, a `macro:` link.
    pub const ODF_MACROS: &str = "document refusé : il contient des macros ou des scripts \
                                  (Basic, Python, JavaScript)";
    /// An external relationship other than a hyperlink (template, OLE object, frame,
    /// sub-document, linked picture, DDE link): opening the document fetches it.
    pub const REMOTE: &str = "document refusé : il charge un modèle ou un objet distant";
    /// A hyperlink to something other than a web page or an address: a network share
    /// (whose opening leaks the Windows password hash), a local file, a program.
    pub const DANGEROUS_LINK: &str = "document refusé : il contient un lien vers un partage \
                                      réseau, un fichier local ou un programme";
    /// An embedded OLE object, ActiveX control, applet or arbitrary archive.
    pub const EMBEDDED: &str =
        "document refusé : il contient un objet incorporé (OLE, ActiveX ou programme)";
    /// A password-protected ODF package: its content cannot be read, so not checked.
    pub const ENCRYPTED: &str =
        "document refusé : il est protégé par un mot de passe et ne peut pas être vérifié";
    /// The parts to check decompress beyond the budget (a zip bomb, or a huge document).
    pub const TOO_LARGE: &str =
        "document refusé : trop volumineux une fois décompressé pour être vérifié";
    /// More entries than any real document has.
    pub const TOO_MANY_ENTRIES: &str =
        "document refusé : il contient trop de fichiers pour être vérifié";
    /// An archive that cannot be read, or that different programs would read differently
    /// (duplicate names, local and central names that differ, overlapping entries).
    pub const UNREADABLE: &str = "archive illisible : le document semble endommagé";
    pub const PDF_JAVASCRIPT: &str = "PDF refusé : il contient du JavaScript";
    /// `/Launch`, `/GoToR`, `/GoToE`: starts a program or opens another file.
    pub const PDF_LAUNCH: &str = "PDF refusé : il lance un programme ou ouvre un autre fichier";
    pub const PDF_EMBEDDED_FILE: &str = "PDF refusé : il contient des fichiers joints";
    pub const PDF_RICH_MEDIA: &str =
        "PDF refusé : il contient du contenu multimédia actif (RichMedia, Flash)";
    pub const PDF_XFA: &str = "PDF refusé : il contient un formulaire XFA";
    /// `/SubmitForm`, `/ImportData`: a form that sends or loads data.
    pub const PDF_FORM_ACTION: &str = "PDF refusé : son formulaire envoie ou importe des données";
    /// An object stream in an encoding the checks do not decode, that does not inflate, or
    /// a structure nested or tangled beyond what a real PDF has.
    pub const PDF_UNINSPECTABLE: &str =
        "PDF refusé : certains de ses objets ne peuvent pas être vérifiés (encodage inconnu \
         ou structure endommagée)";
    /// Object streams that inflate beyond the budget.
    pub const PDF_TOO_LARGE: &str =
        "PDF refusé : ses objets compressés sont trop volumineux pour être vérifiés";
    /// An encrypted PDF whose objects sit in (encrypted) object streams.
    pub const PDF_ENCRYPTED: &str = "PDF refusé : il est chiffré et ne peut pas être vérifié ; \
                                     enregistrez-le sans protection";
    /// Read as one type by one program and as another by the next.
    pub const POLYGLOT: &str = "fichier refusé : il mêle plusieurs formats (fichier polyglotte)";

    /// The start of the refusal of a file that is none of the accepted kinds.
    pub const NOT_ACCEPTED: &str = "type de fichier non accepté";

    /// Whether a refusal is about what an accepted kind of file holds (macros, scripts,
    /// a second format…) rather than about its kind: the uploader is then told why.
    pub fn is_content_reason(message: &str) -> bool {
        !message.starts_with(NOT_ACCEPTED)
    }
}

const ACCEPTED: &str = "PDF, PNG, JPEG, xlsx, docx ou odt";

/// Where PDF readers look for the header (Acrobat accepts it anywhere in the first KB).
const HEAD: usize = 1024;

/// The type of `bytes`, from their content; refused when it is not an accepted type, when
/// it carries active content or when it is also a file of another type.
pub fn detect(bytes: &[u8]) -> Result<FileType, Refused> {
    let head = &bytes[..bytes.len().min(HEAD)];
    // Content before the PDF header: a PDF reader still opens it, a browser or an
    // unzipper reads what comes first.
    if memmem::find(head, b"%PDF-").is_some_and(|at| at > 0) {
        return Err(Refused::because(reason::POLYGLOT));
    }
    let Some(file_type) = magic(bytes) else {
        // A zip with something put before it (a self-extracting archive, a script).
        if matches!(zip_end(bytes), ZipEnd::AtEnd(_)) {
            return Err(Refused::because(reason::POLYGLOT));
        }
        return Err(Refused(format!(
            "{} : seuls les fichiers {ACCEPTED} sont acceptés",
            reason::NOT_ACCEPTED
        )));
    };
    if has_html_marker(head) {
        return Err(Refused::because(reason::POLYGLOT));
    }
    match file_type {
        MagicType::Zip => office::office_type(bytes),
        MagicType::Pdf => {
            if matches!(zip_end(bytes), ZipEnd::AtEnd(_)) {
                return Err(Refused::because(reason::POLYGLOT));
            }
            pdf::check(bytes)?;
            Ok(FileType::Pdf)
        }
        MagicType::Png => {
            check_image_trailer(bytes, png_end(bytes))?;
            Ok(FileType::Png)
        }
        MagicType::Jpeg => {
            check_image_trailer(bytes, jpeg_end(bytes))?;
            Ok(FileType::Jpeg)
        }
    }
}

enum MagicType {
    Pdf,
    Png,
    Jpeg,
    Zip,
}

fn magic(bytes: &[u8]) -> Option<MagicType> {
    if bytes.starts_with(b"%PDF-") {
        Some(MagicType::Pdf)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(MagicType::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MagicType::Jpeg)
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some(MagicType::Zip)
    } else {
        None
    }
}

/// Tags that make a browser (or a careless viewer) take bytes for a web page; looked for,
/// case-insensitively, where a browser sniffs: the start of the file.
const HTML_MARKERS: [&[u8]; 11] = [
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<svg",
    b"<object",
    b"<embed",
    b"<!doctype html",
    b"<?php",
    b"<meta http-equiv",
];

fn has_html_marker(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'<', bytes).any(|at| {
        HTML_MARKERS.iter().any(|marker| {
            bytes
                .get(at..at + marker.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(marker))
        })
    })
}

/// Where a zip's end-of-central-directory record is, seen from the end of the file: what
/// an unzipper looks for first, whatever comes before.
enum ZipEnd {
    /// None that is consistent.
    Missing,
    /// The record (at this offset) and its comment end the file.
    AtEnd(usize),
    /// A consistent record, with bytes after its comment.
    NotAtEnd,
}

/// The last consistent end-of-central-directory record of `bytes`: its central directory
/// (just before it) starts with a central header, so random bytes never pass.
fn zip_end(bytes: &[u8]) -> ZipEnd {
    let from = bytes.len().saturating_sub(22 + 0xFFFF);
    let mut seen = ZipEnd::Missing;
    for at in memmem::rfind_iter(&bytes[from..], b"PK\x05\x06") {
        let pos = from + at;
        let Some(record) = bytes.get(pos..pos + 22) else {
            continue;
        };
        let u16_at = |i: usize| u16::from_le_bytes([record[i], record[i + 1]]) as usize;
        let u32_at = |i: usize| {
            u32::from_le_bytes([record[i], record[i + 1], record[i + 2], record[i + 3]]) as usize
        };
        let directory_size = u32_at(12);
        let consistent = directory_size == 0
            || pos
                .checked_sub(directory_size)
                .and_then(|start| bytes.get(start..start + 4))
                .is_some_and(|sig| sig == b"PK\x01\x02")
            // zip64: the sizes live in another record, the signature check is enough.
            || directory_size == 0xFFFF_FFFF;
        if !consistent {
            continue;
        }
        if pos + 22 + u16_at(20) == bytes.len() {
            return ZipEnd::AtEnd(pos);
        }
        seen = ZipEnd::NotAtEnd;
    }
    seen
}

/// Bytes after an image's end are no part of it: a phone's own trailer (a motion photo's
/// video, Samsung's metadata) is dropped by [`clean`], but a zip, a PDF, a web page or a
/// program there makes the file a polyglot, refused.
fn check_image_trailer(bytes: &[u8], end: Option<usize>) -> Result<(), Refused> {
    if matches!(zip_end(bytes), ZipEnd::AtEnd(_)) {
        return Err(Refused::because(reason::POLYGLOT));
    }
    let Some(trailer) = end.and_then(|end| bytes.get(end..)) else {
        return Ok(());
    };
    let start = trailer
        .iter()
        .position(|b| !matches!(b, 0 | b'\t' | b'\n' | b'\r' | b' '))
        .map_or(&[][..], |at| &trailer[at..]);
    let hostile = [
        &b"PK\x03\x04"[..],
        b"PK\x05\x06",
        b"%PDF-",
        b"Rar!\x1a\x07",
        b"7z\xbc\xaf\x27\x1c",
    ]
    .iter()
    .any(|marker| memmem::find(trailer, marker).is_some())
        || [&b"MZ"[..], b"\x7fELF", b"#!"]
            .iter()
            .any(|m| start.starts_with(m))
        || has_html_marker(trailer);
    if hostile {
        return Err(Refused::because(reason::POLYGLOT));
    }
    Ok(())
}

/// Where a PNG ends: after its IEND chunk.
fn png_end(bytes: &[u8]) -> Option<usize> {
    let mut at = 8;
    loop {
        let header = bytes.get(at..at + 8)?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let end = at.checked_add(12)?.checked_add(length)?;
        if end > bytes.len() {
            return None;
        }
        if &header[4..8] == b"IEND" {
            return Some(end);
        }
        at = end;
    }
}

/// Where a JPEG ends: after the EOI marker that follows its last scan (segments are
/// walked by their lengths, entropy-coded data by its markers, so an FF D9 inside a
/// segment is not taken for the end).
fn jpeg_end(bytes: &[u8]) -> Option<usize> {
    let mut at = 2;
    loop {
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let marker = match bytes.get(at..at + 2)? {
            [0xFF, m] => *m,
            _ => return None,
        };
        if marker == 0xD9 {
            return Some(at + 2);
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            at += 2;
            continue;
        }
        let length = bytes
            .get(at + 2..at + 4)
            .map(|l| u16::from_be_bytes([l[0], l[1]]) as usize)
            .filter(|&l| l >= 2)?;
        at = at + 2 + length;
        if at > bytes.len() {
            return None;
        }
        if marker == 0xDA {
            // Entropy-coded data: FF is followed by 00 (a stuffed byte), a restart marker
            // or fill; anything else is the next marker.
            loop {
                let ff = at + memchr::memchr(0xFF, bytes.get(at..)?)?;
                match *bytes.get(ff + 1)? {
                    0x00 | 0xD0..=0xD7 => at = ff + 2,
                    0xFF => at = ff + 1,
                    _ => {
                        at = ff;
                        break;
                    }
                }
            }
        }
    }
}

/// The file as stored: images lose their metadata, other types are kept as sent.
pub fn clean(file_type: FileType, bytes: Vec<u8>) -> Result<Vec<u8>, Refused> {
    match file_type {
        FileType::Png => strip_png(&bytes),
        FileType::Jpeg => strip_jpeg(&bytes),
        _ => Ok(bytes),
    }
}

/// PNG chunks that draw the image; every other (text, EXIF, time…) is dropped.
const PNG_KEPT: [&[u8; 4]; 17] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
    b"pHYs", b"bKGD", b"hIST", b"sPLT", b"acTL", b"fcTL", b"fdAT",
];

fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, Refused> {
    let broken = || Refused("image PNG illisible".to_owned());
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..8]);
    let mut at = 8;
    loop {
        let header = bytes.get(at..at + 8).ok_or_else(broken)?;
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let end = at
            .checked_add(12)
            .and_then(|n| n.checked_add(length))
            .filter(|&n| n <= bytes.len())
            .ok_or_else(broken)?;
        if PNG_KEPT.iter().any(|k| k.as_slice() == kind) {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
        if kind == b"IEND" {
            return Ok(out);
        }
    }
}

/// JPEG segments kept: JFIF (APP0), ICC profile (APP2), Adobe colour transform (APP14),
/// and everything that is not an APPn or comment. EXIF (APP1) is replaced by a minimal
/// one holding only the orientation, so a phone photo still shows the right way up.
fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, Refused> {
    let broken = || Refused("image JPEG illisible".to_owned());
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..2]);
    let mut at = 2;
    let mut orientation: Option<u16> = None;
    loop {
        // Fill bytes (0xFF repeated) may precede a marker.
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let marker = match bytes.get(at..at + 2) {
            Some([0xFF, m]) => *m,
            _ => return Err(broken()),
        };
        // Markers without a length.
        if marker == 0xD9 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            out.extend_from_slice(&bytes[at..at + 2]);
            at += 2;
            if marker == 0xD9 {
                return Ok(out);
            }
            continue;
        }
        let length = bytes
            .get(at + 2..at + 4)
            .map(|l| u16::from_be_bytes([l[0], l[1]]) as usize)
            .filter(|&l| l >= 2)
            .ok_or_else(broken)?;
        let end = at + 2 + length;
        let segment = bytes.get(at..end).ok_or_else(broken)?;
        let payload = &segment[4..];
        match marker {
            0xE1 => {
                if orientation.is_none() {
                    orientation = exif_orientation(payload);
                }
            }
            0xE0 | 0xEE => out.extend_from_slice(segment),
            0xE2 if payload.starts_with(b"ICC_PROFILE\0") => out.extend_from_slice(segment),
            0xE2..=0xEF | 0xFE => {}
            0xDA => {
                // Start of scan: the minimal EXIF goes before the frame data; the rest of
                // the image (entropy-coded data, further scans, EOI) is kept as is, what
                // follows its end (a motion photo's video, a maker's trailer) dropped.
                if let Some(o) = orientation.filter(|&o| o != 1) {
                    let at_frame = first_non_app(&out);
                    out.splice(at_frame..at_frame, minimal_exif(o));
                }
                let end = jpeg_end(bytes).unwrap_or(bytes.len()).max(at);
                out.extend_from_slice(&bytes[at..end]);
                return Ok(out);
            }
            _ => out.extend_from_slice(segment),
        }
        at = end;
    }
}

/// Where the first segment after the APPn run starts (SOI is 2 bytes).
fn first_non_app(out: &[u8]) -> usize {
    let mut at = 2;
    while let Some([0xFF, m, hi, lo]) = out.get(at..at + 4).map(|s| [s[0], s[1], s[2], s[3]]) {
        if !(0xE0..=0xEF).contains(&m) {
            break;
        }
        at += 2 + u16::from_be_bytes([hi, lo]) as usize;
    }
    at.min(out.len())
}

/// The Orientation tag (0x0112) of IFD0 in an EXIF APP1 payload.
fn exif_orientation(payload: &[u8]) -> Option<u16> {
    let tiff = payload.strip_prefix(b"Exif\0\0")?;
    let little = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |i: usize| {
        tiff.get(i..i + 2).map(|b| {
            if little {
                u16::from_le_bytes([b[0], b[1]])
            } else {
                u16::from_be_bytes([b[0], b[1]])
            }
        })
    };
    let u32_at = |i: usize| {
        tiff.get(i..i + 4).map(|b| {
            if little {
                u32::from_le_bytes([b[0], b[1], b[2], b[3]])
            } else {
                u32::from_be_bytes([b[0], b[1], b[2], b[3]])
            }
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)? as usize;
    (0..count.min(256)).find_map(|n| {
        let entry = ifd + 2 + n * 12;
        (u16_at(entry)? == 0x0112)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|o| (1..=8).contains(o))
    })
}

/// An APP1 segment holding an EXIF block with the Orientation tag only.
fn minimal_exif(orientation: u16) -> Vec<u8> {
    let mut tiff: Vec<u8> = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian TIFF, IFD0 at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut segment = vec![0xFF, 0xE1];
    let length = (2 + 6 + tiff.len()) as u16;
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
}

/// `name` with an extension that matches `file_type` (appended when it does not).
pub fn with_extension(name: &str, file_type: FileType) -> String {
    let matches = name.rsplit_once('.').is_some_and(|(_, ext)| {
        file_type
            .extensions()
            .contains(&ext.to_ascii_lowercase().as_str())
    });
    if matches {
        name.to_owned()
    } else {
        format!("{name}.{}", file_type.extensions()[0])
    }
}

/// What a phone writes, for tests: JFIF, an EXIF block with orientation 6 and the
/// device name "SECRET-PHONE", a comment with a GPS position, a table and a scan. Not a
/// decodable image, but every segment a cleaner must handle.
#[doc(hidden)]
pub fn sample_phone_jpeg() -> Vec<u8> {
    let mut exif = b"Exif\0\0II\x2a\0\x08\0\0\0".to_vec();
    exif.extend_from_slice(&2u16.to_le_bytes());
    exif.extend_from_slice(&0x0112u16.to_le_bytes());
    exif.extend_from_slice(&3u16.to_le_bytes());
    exif.extend_from_slice(&1u32.to_le_bytes());
    exif.extend_from_slice(&[6, 0, 0, 0]);
    exif.extend_from_slice(&0x010Fu16.to_le_bytes());
    exif.extend_from_slice(&2u16.to_le_bytes());
    exif.extend_from_slice(&13u32.to_le_bytes());
    exif.extend_from_slice(&38u32.to_le_bytes());
    exif.extend_from_slice(&0u32.to_le_bytes());
    exif.extend_from_slice(b"SECRET-PHONE\0");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    jpeg.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    jpeg.extend_from_slice(&[0xFF, 0xE1]);
    jpeg.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    jpeg.extend_from_slice(&exif);
    let comment = b"GPS 48.8566N 2.3522E";
    jpeg.extend_from_slice(&[0xFF, 0xFE]);
    jpeg.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    jpeg.extend_from_slice(comment);
    jpeg.extend_from_slice(&[0xFF, 0xDB, 0, 3, 0]);
    jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 3, 0, 0x12, 0x34, 0xFF, 0xD9]);
    jpeg
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn jpeg_loses_metadata_and_keeps_orientation() {
        let jpeg = sample_phone_jpeg();
        assert_eq!(detect(&jpeg), Ok(FileType::Jpeg));
        let clean = clean(FileType::Jpeg, jpeg).unwrap_or_else(|e| panic!("clean: {e:?}"));
        assert!(!contains(&clean, b"SECRET-PHONE"));
        assert!(!contains(&clean, b"GPS"));
        assert!(contains(&clean, b"JFIF"));
        let at = clean
            .windows(6)
            .position(|w| w == b"Exif\0\0")
            .unwrap_or_else(|| panic!("orientation kept"));
        assert_eq!(exif_orientation(&clean[at..]), Some(6));
        assert!(clean.ends_with(&[0xFF, 0xDA, 0, 3, 0, 0x12, 0x34, 0xFF, 0xD9]));
    }

    #[test]
    fn png_loses_text_chunks() {
        fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]); // CRC, not checked
            c
        }
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"tEXt", b"Author\0Jeanne Martin"));
        png.extend(chunk(b"eXIf", b"MM\0\x2a"));
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        let clean = clean(detect(&png).unwrap_or_else(|e| panic!("png: {e:?}")), png)
            .unwrap_or_else(|e| panic!("clean: {e:?}"));
        assert!(!contains(&clean, b"Jeanne"));
        assert!(!contains(&clean, b"eXIf"));
        assert!(contains(&clean, b"IDAT"));
        assert!(clean.ends_with(&chunk(b"IEND", &[])));
    }

    #[test]
    fn truncated_images_are_refused() {
        let mut jpeg = sample_phone_jpeg();
        jpeg.truncate(30);
        assert!(clean(FileType::Jpeg, jpeg).is_err());
        assert!(clean(FileType::Png, b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec()).is_err());
    }

    #[test]
    fn types_come_from_content() {
        assert_eq!(detect(b"%PDF-1.7\n..."), Ok(FileType::Pdf));
        assert!(detect(b"MZ\x90\0 an executable").is_err());
        assert!(detect(b"<html><script>").is_err());
        let mut docx = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(Cursor::new(&mut docx));
            let options = zip::write::SimpleFileOptions::default();
            zip.start_file("[Content_Types].xml", options)
                .unwrap_or_else(|e| panic!("entry: {e:?}"));
            zip.start_file("word/document.xml", options)
                .unwrap_or_else(|e| panic!("entry: {e:?}"));
            zip.finish().unwrap_or_else(|e| panic!("zip: {e:?}"));
        }
        assert_eq!(detect(&docx), Ok(FileType::Docx));
        let mut odt = Vec::new();
        {
            let mut zip = zip::ZipWriter::new(Cursor::new(&mut odt));
            let options = zip::write::SimpleFileOptions::default();
            zip.start_file("mimetype", options)
                .unwrap_or_else(|e| panic!("entry: {e:?}"));
            std::io::Write::write_all(&mut zip, FileType::Odt.mime().as_bytes())
                .unwrap_or_else(|e| panic!("write: {e:?}"));
            zip.finish().unwrap_or_else(|e| panic!("zip: {e:?}"));
        }
        assert_eq!(detect(&odt), Ok(FileType::Odt));
    }

    #[test]
    fn hostile_samples_are_refused_with_their_reason() {
        let samples = samples::hostile().unwrap_or_else(|e| panic!("samples: {e}"));
        assert!(samples.len() >= 10);
        for sample in samples {
            let expected = sample.refused_with.map(|r| Refused(r.to_owned()));
            assert_eq!(detect(&sample.bytes).err(), expected, "{}", sample.name);
        }
    }

    #[test]
    fn benign_samples_are_accepted_as_their_type() {
        for sample in samples::benign().unwrap_or_else(|e| panic!("samples: {e}")) {
            let file_type =
                detect(&sample.bytes).unwrap_or_else(|e| panic!("{} refused: {e:?}", sample.name));
            assert_eq!(
                with_extension(sample.file_name, file_type),
                sample.file_name,
                "{}",
                sample.name
            );
        }
        // A workbook as a real writer makes it.
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet
            .write_string(0, 0, "Total")
            .unwrap_or_else(|e| panic!("cell: {e}"));
        let xlsx = workbook
            .save_to_buffer()
            .unwrap_or_else(|e| panic!("xlsx: {e}"));
        assert_eq!(detect(&xlsx), Ok(FileType::Xlsx));
    }

    #[test]
    fn polyglots_are_refused() {
        let polyglot = Err(Refused::because(reason::POLYGLOT));
        let pdf = samples::pdf_document(&[b"<< /Type /Catalog >>".to_vec()]);
        // HTML in the first KB of a PDF, in a comment.
        let mut html = b"%PDF-1.7\n%<!DOCTYPE html><Script>alert(1)</script>\n".to_vec();
        html.extend_from_slice(&pdf[9..]);
        assert_eq!(detect(&html), polyglot);
        // Anything before the header, even without HTML.
        let mut prefixed = b"GIF89a".to_vec();
        prefixed.extend_from_slice(&pdf);
        assert_eq!(detect(&prefixed), polyglot);
        // A zip after a PDF or a PNG; a self-extracting archive.
        let docx = samples::clean_docx().unwrap_or_else(|e| panic!("docx: {e}"));
        for start in [pdf.clone(), png(b"")] {
            let mut both = start;
            both.extend_from_slice(&docx);
            assert_eq!(detect(&both), polyglot);
        }
        let mut exe = b"MZ\x90\0".to_vec();
        exe.extend_from_slice(&docx);
        assert_eq!(detect(&exe), polyglot);
        // A web page after an image's end, a PDF header in a JPEG's comment.
        assert_eq!(detect(&png(b"<html><script>alert(1)</script>")), polyglot);
        let mut jpeg = sample_phone_jpeg();
        jpeg.extend_from_slice(b"\n<SCRIPT src=//evil></SCRIPT>");
        assert_eq!(detect(&jpeg), polyglot);
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xFE, 0, 10];
        jpeg.extend_from_slice(b"%PDF-1.7");
        jpeg.extend_from_slice(&sample_phone_jpeg()[2..]);
        assert_eq!(detect(&jpeg), polyglot);
    }

    #[test]
    fn an_image_trailer_is_accepted_and_dropped() {
        // What phones append after the image (Samsung's trailer, a motion photo's video).
        let mut jpeg = sample_phone_jpeg();
        let end = jpeg.len();
        jpeg.extend_from_slice(b"\0\0SEFHmotion photo video bytes\x01\x02");
        assert_eq!(jpeg_end(&jpeg), Some(end));
        assert_eq!(detect(&jpeg), Ok(FileType::Jpeg));
        let cleaned = clean(FileType::Jpeg, jpeg).unwrap_or_else(|e| panic!("clean: {e:?}"));
        assert!(cleaned.ends_with(&[0xFF, 0xD9]));
        assert!(!contains(&cleaned, b"SEFH"));
        // An FF D9 inside a segment or a scan's stuffed bytes is not the end.
        let scan = [
            0xFF, 0xDA, 0, 3, 0, 0xFF, 0x00, 0xD9, 0xFF, 0xD0, 0x12, 0xFF, 0xD9,
        ];
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xFE, 0, 4, 0xFF, 0xD9];
        jpeg.extend_from_slice(&scan);
        assert_eq!(jpeg_end(&jpeg), Some(jpeg.len()));
        let with_trailer = png(b"trailing bytes");
        assert_eq!(detect(&with_trailer), Ok(FileType::Png));
    }

    fn png(trailer: &[u8]) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [
            (&b"IHDR"[..], &[0u8; 13][..]),
            (b"IDAT", &[1, 2]),
            (b"IEND", &[]),
        ] {
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            png.extend_from_slice(kind);
            png.extend_from_slice(data);
            png.extend_from_slice(&[0, 0, 0, 0]);
        }
        png.extend_from_slice(trailer);
        png
    }

    #[test]
    fn names_get_the_extension_of_their_content() {
        assert_eq!(with_extension("facture.PDF", FileType::Pdf), "facture.PDF");
        assert_eq!(with_extension("photo.jpeg", FileType::Jpeg), "photo.jpeg");
        assert_eq!(
            with_extension("rapport.exe", FileType::Pdf),
            "rapport.exe.pdf"
        );
    }
}
