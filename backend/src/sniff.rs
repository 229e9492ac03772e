//! What an uploaded file really is, judged by its content (never by its name or the
//! Content-Type the browser sent), and photos cleaned of their metadata: a phone's JPEG
//! carries the GPS position, the device and the time, which have no place in a minor's
//! portfolio.

use std::io::{Cursor, Read};

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

const ACCEPTED: &str = "PDF, PNG, JPEG, xlsx, docx ou odt";

/// The type of `bytes`, from their content.
pub fn detect(bytes: &[u8]) -> Result<FileType, Refused> {
    if bytes.starts_with(b"%PDF-") {
        return Ok(FileType::Pdf);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(FileType::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(FileType::Jpeg);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return office_type(bytes);
    }
    Err(Refused(format!(
        "type de fichier non accepté : seuls les fichiers {ACCEPTED} sont acceptés"
    )))
}

/// Office documents are zip archives: told apart by the entries they hold. Only names
/// and the tiny `mimetype` entry are read, so a zip bomb costs nothing.
fn office_type(bytes: &[u8]) -> Result<FileType, Refused> {
    let unreadable = || Refused("archive illisible : le document semble endommagé".to_owned());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    if names
        .iter()
        .any(|n| n.to_ascii_lowercase().ends_with("vbaproject.bin"))
    {
        return Err(Refused(
            "document avec macros refusé : enregistrez-le sans macros (xlsx, docx)".to_owned(),
        ));
    }
    let has = |name: &str| names.iter().any(|n| n == name);
    if has("[Content_Types].xml") && has("word/document.xml") {
        return Ok(FileType::Docx);
    }
    if has("[Content_Types].xml") && has("xl/workbook.xml") {
        return Ok(FileType::Xlsx);
    }
    if has("mimetype") {
        let mut entry = archive.by_name("mimetype").map_err(|_| unreadable())?;
        let mut mimetype = String::new();
        entry
            .by_ref()
            .take(100)
            .read_to_string(&mut mimetype)
            .map_err(|_| unreadable())?;
        if mimetype.trim() == FileType::Odt.mime() {
            return Ok(FileType::Odt);
        }
    }
    Err(Refused(format!(
        "archive non acceptée : seuls les fichiers {ACCEPTED} sont acceptés"
    )))
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
                // the file (entropy-coded data, further scans, EOI) is kept as is.
                if let Some(o) = orientation.filter(|&o| o != 1) {
                    let at_frame = first_non_app(&out);
                    out.splice(at_frame..at_frame, minimal_exif(o));
                }
                out.extend_from_slice(&bytes[at..]);
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
    fn names_get_the_extension_of_their_content() {
        assert_eq!(with_extension("facture.PDF", FileType::Pdf), "facture.PDF");
        assert_eq!(with_extension("photo.jpeg", FileType::Jpeg), "photo.jpeg");
        assert_eq!(
            with_extension("rapport.exe", FileType::Pdf),
            "rapport.exe.pdf"
        );
    }
}
