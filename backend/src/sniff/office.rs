//! Office documents (docx, xlsx: OOXML; odt: ODF) are zip packages: told apart by the
//! entries they hold, then refused when they carry active content:
//!
//! - OOXML: macros (a VBA project under any name, found by its content type, its
//!   relationship or its content, an OLE compound file; a macro-enabled or macro-sheet
//!   content type), external relationships other than hyperlinks (a remote template in
//!   `settings.xml.rels`, an OLE object, a frame, a sub-document, a linked picture: all
//!   fetched when the document opens), hyperlinks to a network share, a local file or a
//!   program, embedded OLE objects and ActiveX controls;
//! - ODF: Basic and script libraries (`Basic/`, `Scripts/`, script media types in the
//!   manifest), scripts bound to events (`script:event-listener`), inline scripts,
//!   `macro:` and `vnd.sun.star.script:` links, applets, OLE objects, DDE links, network
//!   targets, password-protected packages (their content cannot be read);
//! - both: embedded packages are checked the same way (an xlsm inside a docx), and the
//!   archive itself must be read the same way by every unzipper: nothing before, between
//!   or after its entries (a polyglot), no duplicate names, local and central names equal.
//!
//! Hyperlinks to web pages (`https:`, `mailto:`) stay accepted: they are inert until
//! clicked, Office and LibreOffice ask before following them, and a report without links
//! to its sources would be worse. A link to `\\server\share` is refused: merely following
//! it makes Windows send the teacher's password hash to that server.
//!
//! Reads are bounded: at most [`MAX_ENTRIES`] entries, and the parts read (content types,
//! relationships, ODF XML, the first bytes of every entry) decompress within
//! [`READ_BUDGET`] in all, sizes declared beyond it refused before a byte is inflated.
//! Beyond their first bytes, pictures and an OOXML document's text are never read.

use std::io::{Cursor, Read};

use memchr::memmem;
use quick_xml::events::{BytesStart, Event};

use super::{has_html_marker, reason, zip_end, FileType, Refused, ZipEnd, ACCEPTED};

/// More entries than any real document has (a long report with its pictures holds a few
/// hundred).
const MAX_ENTRIES: usize = 5_000;

/// Bytes the parts read may decompress to, in all (a novel's content.xml is a few MB).
const READ_BUDGET: u64 = 8 * 1024 * 1024;

/// Bytes of an OLE compound file read to tell a VBA project from another object.
const OLE_READ: u64 = 1024 * 1024;

/// Packages inside packages checked (a workbook in a report); deeper, an object.
const MAX_DEPTH: u32 = 2;

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

fn unreadable<E>(_: E) -> Refused {
    Refused::because(reason::UNREADABLE)
}

/// The type of a zip upload, refused when it is not an accepted office document or when
/// it carries active content.
pub(super) fn office_type(bytes: &[u8]) -> Result<FileType, Refused> {
    let mut archive = open(bytes)?;
    let file_type = classify(&mut archive)?;
    let mut budget = READ_BUDGET;
    check_package(&mut archive, &mut budget, 0)?;
    Ok(file_type)
}

/// Docx and xlsx by their main part, odt by its `mimetype` entry.
fn classify(archive: &mut Archive<'_>) -> Result<FileType, Refused> {
    let has = |name: &str| archive.index_for_name(name).is_some();
    if has("[Content_Types].xml") && has("word/document.xml") {
        return Ok(FileType::Docx);
    }
    if has("[Content_Types].xml") && has("xl/workbook.xml") {
        return Ok(FileType::Xlsx);
    }
    if has("mimetype") {
        let mut entry = archive.by_name("mimetype").map_err(unreadable)?;
        let mut mimetype = String::new();
        entry
            .by_ref()
            .take(100)
            .read_to_string(&mut mimetype)
            .map_err(unreadable)?;
        if mimetype.trim() == FileType::Odt.mime() {
            return Ok(FileType::Odt);
        }
    }
    Err(Refused(format!(
        "archive non acceptée : seuls les fichiers {ACCEPTED} sont acceptés"
    )))
}

/// Data descriptors (after an entry's data, with or without signature, zip64 or not): the
/// only bytes allowed between entries.
const DESCRIPTOR_SIZES: [u64; 5] = [0, 12, 16, 20, 24];

/// The archive, once it is known that every unzipper reads the same entries from it.
fn open(bytes: &[u8]) -> Result<Archive<'_>, Refused> {
    let end = match zip_end(bytes) {
        ZipEnd::AtEnd(end) => end,
        ZipEnd::NotAtEnd => return Err(Refused::because(reason::POLYGLOT)),
        ZipEnd::Missing => return Err(Refused::because(reason::UNREADABLE)),
    };
    let comment = &bytes[end + 22..];
    if has_html_marker(comment) || memmem::find(comment, b"%PDF-").is_some() {
        return Err(Refused::because(reason::POLYGLOT));
    }
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as u64;
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as u64;
    let declared_entries = u16_at(end + 10);
    if declared_entries != 0xFFFF && declared_entries as usize > MAX_ENTRIES {
        return Err(Refused::because(reason::TOO_MANY_ENTRIES));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let count = archive.len();
    if count > MAX_ENTRIES {
        return Err(Refused::because(reason::TOO_MANY_ENTRIES));
    }
    if archive.offset() != 0 {
        return Err(Refused::because(reason::POLYGLOT));
    }
    // The reader keeps one entry per name: fewer than declared means a name repeats, and
    // unzippers disagree on which copy counts. OPC names ignore case, so do the checks.
    if declared_entries != 0xFFFF && declared_entries != count as u64 {
        return Err(Refused::because(reason::UNREADABLE));
    }
    let mut lower: Vec<String> = archive.file_names().map(str::to_lowercase).collect();
    lower.sort_unstable();
    if lower.windows(2).any(|w| w[0] == w[1]) {
        return Err(Refused::because(reason::UNREADABLE));
    }
    // Entries must follow one another from the first byte to the central directory, each
    // local header naming what the central directory names: bytes outside any entry are
    // a second file for whoever reads them, local names another archive for streaming
    // unzippers, overlapping entries a zip bomb.
    let mut spans = Vec::with_capacity(count);
    for i in 0..count {
        let entry = archive.by_index_raw(i).map_err(unreadable)?;
        let start = entry.header_start();
        let at = usize::try_from(start).map_err(unreadable)?;
        let local = bytes.get(at..at + 30).ok_or_else(|| unreadable(()))?;
        let name_len = u16::from_le_bytes([local[26], local[27]]) as usize;
        let extra_len = u16::from_le_bytes([local[28], local[29]]) as u64;
        if !local.starts_with(b"PK\x03\x04")
            || bytes.get(at + 30..at + 30 + name_len) != Some(entry.name_raw())
        {
            return Err(Refused::because(reason::UNREADABLE));
        }
        let data_end = start + 30 + name_len as u64 + extra_len + entry.compressed_size();
        spans.push((start, data_end));
    }
    spans.sort_unstable();
    let directory = archive.central_directory_start();
    let mut cursor = 0;
    for (i, &(start, data_end)) in spans.iter().chain([&(directory, directory)]).enumerate() {
        let gap = start.checked_sub(cursor).ok_or_else(|| unreadable(()))?;
        if (i == 0 && gap != 0) || !DESCRIPTOR_SIZES.contains(&gap) {
            return Err(Refused::because(reason::POLYGLOT));
        }
        cursor = data_end;
    }
    // Between the central directory and its end record: nothing, or the zip64 records.
    let directory_size = u32_at(end + 12);
    if directory_size != 0xFFFF_FFFF {
        let between = (end as u64).checked_sub(directory + directory_size);
        if !matches!(between, Some(0) | Some(76)) {
            return Err(Refused::because(reason::POLYGLOT));
        }
    }
    Ok(archive)
}

/// Reads entry `index` whole, within the budget left (its declared size first, so a
/// gigabyte-declared entry costs nothing; its real size then, so a lying one stops at
/// the budget).
fn read_entry(
    archive: &mut Archive<'_>,
    index: usize,
    budget: &mut u64,
) -> Result<Vec<u8>, Refused> {
    read_capped(archive, index, budget, u64::MAX)
}

fn read_capped(
    archive: &mut Archive<'_>,
    index: usize,
    budget: &mut u64,
    cap: u64,
) -> Result<Vec<u8>, Refused> {
    let mut entry = archive.by_index(index).map_err(unreadable)?;
    if entry.size().min(cap) > *budget {
        return Err(Refused::because(reason::TOO_LARGE));
    }
    let limit = (*budget).min(cap);
    let mut out = Vec::with_capacity(entry.size().min(limit) as usize);
    let read = entry.by_ref().take(limit + 1).read_to_end(&mut out);
    let over = out.len() as u64 > limit;
    if over && limit == *budget {
        return Err(Refused::because(reason::TOO_LARGE));
    }
    // A capped read stops before the end, where the CRC is checked: only a full read's
    // error is an unreadable entry.
    if read.is_err() && !over {
        return Err(Refused::because(reason::UNREADABLE));
    }
    out.truncate(limit as usize);
    *budget -= out.len() as u64;
    Ok(out)
}

/// The first bytes of an entry, whatever its name says it is.
fn head(archive: &mut Archive<'_>, index: usize) -> Result<Vec<u8>, Refused> {
    let mut entry = archive.by_index(index).map_err(unreadable)?;
    let mut head = Vec::with_capacity(8);
    entry
        .by_ref()
        .take(8)
        .read_to_end(&mut head)
        .map_err(unreadable)?;
    Ok(head)
}

fn check_package(archive: &mut Archive<'_>, budget: &mut u64, depth: u32) -> Result<(), Refused> {
    let lower: Vec<String> = (0..archive.len())
        .map(|i| archive.name_for_index(i).unwrap_or_default().to_lowercase())
        .collect();
    for name in &lower {
        check_name(name)?;
    }
    let ooxml = lower.iter().any(|n| n == "[content_types].xml");
    let odf = lower
        .iter()
        .any(|n| n == "mimetype" || n == "meta-inf/manifest.xml");
    if ooxml && odf {
        return Err(Refused::because(reason::POLYGLOT));
    }
    for index in 0..lower.len() {
        let head = head(archive, index)?;
        if head == OLE_MAGIC {
            let blob = read_capped(archive, index, budget, OLE_READ)?;
            return Err(Refused::because(if is_vba_project(&blob) {
                reason::MACROS
            } else {
                reason::EMBEDDED
            }));
        }
        if head.starts_with(b"PK\x03\x04") {
            if depth >= MAX_DEPTH {
                return Err(Refused::because(reason::EMBEDDED));
            }
            let inner = read_entry(archive, index, budget)?;
            let mut nested = open(&inner)?;
            let package = nested
                .file_names()
                .any(|n| n.eq_ignore_ascii_case("[Content_Types].xml") || n == "mimetype");
            if !package {
                return Err(Refused::because(reason::EMBEDDED));
            }
            check_package(&mut nested, budget, depth + 1)?;
        }
    }
    // The parts to read and what checks each, per kind of package; the parts in archive
    // order, one kind of check after the other (the cheap, decisive ones first).
    type PartCheck = (fn(&str) -> bool, fn(&[u8]) -> Result<(), Refused>);
    let ooxml_checks: [PartCheck; 2] = [
        (|name| name == "[content_types].xml", check_content_types),
        (|name| name.ends_with(".rels"), check_relationships),
    ];
    let odf_checks: [PartCheck; 2] = [
        (|name| name == "meta-inf/manifest.xml", check_manifest),
        (|name| name.ends_with(".xml"), check_odf_xml),
    ];
    let checks = ooxml
        .then_some(&ooxml_checks[..])
        .into_iter()
        .chain(odf.then_some(&odf_checks[..]))
        .flatten();
    for (wanted, check) in checks {
        for (index, name) in lower.iter().enumerate() {
            if wanted(name) {
                check(&read_entry(archive, index, budget)?)?;
            }
        }
    }
    Ok(())
}

/// What names alone tell (lowercase): a VBA project's usual names, ActiveX and OLE
/// parts, ODF macro libraries.
fn check_name(name: &str) -> Result<(), Refused> {
    if name.contains("vbaproject") || name.ends_with("vbadata.xml") {
        return Err(Refused::because(reason::MACROS));
    }
    if name.split('/').any(|p| p == "basic" || p == "scripts") {
        return Err(Refused::because(reason::ODF_MACROS));
    }
    if name.split('/').any(|p| p == "activex")
        || (name.contains("embeddings/") && name.ends_with(".bin"))
    {
        return Err(Refused::because(reason::EMBEDDED));
    }
    Ok(())
}

/// A VBA project is an OLE compound file with a `VBA` storage and a `_VBA_PROJECT`
/// stream, their names in UTF-16 in its directory.
fn is_vba_project(blob: &[u8]) -> bool {
    let utf16 = |s: &str| {
        s.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    memmem::find(blob, &utf16("_VBA_PROJECT")).is_some()
        || memmem::find(blob, &utf16("VBA\0")).is_some()
}

/// OOXML content types naming macros (macro-enabled documents and templates, VBA
/// projects and their signatures, Word's VBA data, Excel 4 macro sheets, key bindings
/// and toolbars, which only macro documents carry) or embedded objects.
fn content_type_reason(content_type: &str) -> Option<&'static str> {
    let content_type = content_type.to_ascii_lowercase();
    const MACROS: [&str; 6] = [
        "macroenabled",
        "vbaproject",
        "vbadata",
        "macrosheet",
        "keymapcustomizations",
        "attachedtoolbars",
    ];
    if MACROS.iter().any(|m| content_type.contains(m)) {
        Some(reason::MACROS)
    } else if content_type.contains("activex") || content_type.contains("oleobject") {
        Some(reason::EMBEDDED)
    } else {
        None
    }
}

/// `[Content_Types].xml`: every declared type, whether or not a part uses it (a type is
/// only declared for parts that exist).
fn check_content_types(xml: &[u8]) -> Result<(), Refused> {
    walk_xml(xml, |event| {
        if let XmlEvent::Start { attributes, .. } = event {
            for (key, value) in attributes {
                if key == "ContentType" {
                    if let Some(reason) = content_type_reason(value) {
                        return Err(Refused::because(reason));
                    }
                }
            }
        }
        Ok(())
    })
}

/// A `.rels` part: macro and object relationships, external targets.
fn check_relationships(xml: &[u8]) -> Result<(), Refused> {
    walk_xml(xml, |event| {
        let XmlEvent::Start { name, attributes } = event else {
            return Ok(());
        };
        if name != "Relationship" {
            return Ok(());
        }
        let attribute = |wanted: &str| {
            attributes
                .iter()
                .find(|(k, _)| k == wanted)
                .map_or("", |(_, v)| v.as_str())
        };
        let kind = attribute("Type").to_ascii_lowercase();
        let external = attribute("TargetMode")
            .trim()
            .eq_ignore_ascii_case("external");
        const MACROS: [&str; 5] = [
            "vbaproject",
            "wordvbadata",
            "keymapcustomizations",
            "attachedtoolbars",
            "macrosheet",
        ];
        if MACROS.iter().any(|m| kind.contains(m)) {
            return Err(Refused::because(reason::MACROS));
        }
        if external {
            if kind.ends_with("/hyperlink") {
                if !safe_link(attribute("Target")) {
                    return Err(Refused::because(reason::DANGEROUS_LINK));
                }
            } else {
                // A template, an OLE object, a frame, a sub-document, a linked picture,
                // an external workbook: fetched when the document opens.
                return Err(Refused::because(reason::REMOTE));
            }
        }
        if kind.contains("activex") || kind.ends_with("/oleobject") || kind.ends_with("/control") {
            return Err(Refused::because(reason::EMBEDDED));
        }
        Ok(())
    })
}

/// A target with its `%xx` escapes decoded and surrounding blanks removed, as a link
/// handler sees it.
fn normalized_target(target: &str) -> String {
    let bytes = target.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out)
        .trim_matches(|c: char| c.is_whitespace() || c.is_control())
        .to_owned()
}

/// The scheme of a target (lowercase), when it has one.
fn scheme(target: &str) -> Option<String> {
    let (scheme, _) = target.split_once(':')?;
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// A hyperlink that only opens a web page or writes an email, or a link inside the
/// document or to a file next to it (which the teacher does not have).
fn safe_link(target: &str) -> bool {
    let target = normalized_target(target);
    if target.starts_with("\\\\") || target.starts_with("//") || target.starts_with("/\\") {
        return false;
    }
    match scheme(&target) {
        Some(scheme) => matches!(scheme.as_str(), "http" | "https" | "mailto"),
        None => true,
    }
}

/// A target fetched over the network: a URL or a Windows share.
fn network_target(target: &str) -> bool {
    let target = normalized_target(target);
    if target.starts_with("\\\\") || target.starts_with("//") {
        return true;
    }
    match scheme(&target).as_deref() {
        Some("file") => {
            let rest = target[5..].trim_start_matches(['/', '\\']);
            // file://host/share is a share; file:///C:/… a local path.
            let slashes = target[5..].len() - rest.len();
            slashes == 2 && !rest.to_ascii_lowercase().starts_with("localhost")
        }
        Some(scheme) => !scheme.starts_with("vnd.sun.star"),
        None => false,
    }
}

/// ODF manifest: macro libraries and script media types, OLE objects, encryption.
fn check_manifest(xml: &[u8]) -> Result<(), Refused> {
    walk_xml(xml, |event| {
        let XmlEvent::Start { name, attributes } = event else {
            return Ok(());
        };
        if name == "encryption-data" {
            return Err(Refused::because(reason::ENCRYPTED));
        }
        for (key, value) in attributes {
            let value = value.to_ascii_lowercase();
            if key == "full-path" {
                check_name(value.trim_start_matches('/'))?;
            }
            if key == "media-type" {
                const SCRIPTS: [&str; 7] = [
                    "basic",
                    "java",
                    "python",
                    "beanshell",
                    "vbscript",
                    "ecmascript",
                    "vnd.sun.star.script",
                ];
                if SCRIPTS.iter().any(|s| value.contains(s)) {
                    return Err(Refused::because(reason::ODF_MACROS));
                }
                if value.contains("oleobject") {
                    return Err(Refused::because(reason::EMBEDDED));
                }
            }
        }
        Ok(())
    })
}

/// URL schemes that run a macro or a script.
const SCRIPT_SCHEMES: [&str; 5] = [
    "macro:",
    "vnd.sun.star.script:",
    "vnd.sun.star.basic:",
    "javascript:",
    "vbscript:",
];

/// An ODF XML part (content, styles, settings, meta, a sub-document's, menus).
fn check_odf_xml(xml: &[u8]) -> Result<(), Refused> {
    let mut depth = 0usize;
    let mut scripts_at: Option<usize> = None;
    walk_xml(xml, |event| {
        match event {
            XmlEvent::Start { name, attributes } => {
                match name {
                    // A script bound to an event (document open, a click), an inline one.
                    "event-listener" | "script" => {
                        return Err(Refused::because(reason::ODF_MACROS));
                    }
                    "applet" | "plugin" | "object-ole" => {
                        return Err(Refused::because(reason::EMBEDDED));
                    }
                    "dde-connection-decl" | "dde-source" | "dde-link" => {
                        return Err(Refused::because(reason::REMOTE));
                    }
                    _ => {}
                }
                // `<office:scripts/>` is written empty by LibreOffice; anything in it other
                // than an (empty) list of event listeners is a script.
                if scripts_at.is_some() && name != "event-listeners" {
                    return Err(Refused::because(reason::ODF_MACROS));
                }
                for (key, value) in attributes {
                    let lower = normalized_target(value).to_ascii_lowercase();
                    if SCRIPT_SCHEMES.iter().any(|s| lower.starts_with(s)) {
                        return Err(Refused::because(reason::ODF_MACROS));
                    }
                    if key == "href" {
                        if name == "a" {
                            if !safe_link(value) {
                                return Err(Refused::because(reason::DANGEROUS_LINK));
                            }
                        } else if network_target(value) {
                            // A linked picture, section or template fetched on opening.
                            return Err(Refused::because(reason::REMOTE));
                        }
                    }
                }
                if name == "scripts" && scripts_at.is_none() {
                    scripts_at = Some(depth);
                }
                depth += 1;
            }
            XmlEvent::End => {
                depth = depth.saturating_sub(1);
                if scripts_at == Some(depth) {
                    scripts_at = None;
                }
            }
            XmlEvent::Text => {
                if scripts_at.is_some() {
                    return Err(Refused::because(reason::ODF_MACROS));
                }
            }
        }
        Ok(())
    })
}

/// What [`walk_xml`] reports: element names and attribute keys without their prefix
/// (namespaces are declared by the file, so a prefix proves nothing), attribute values
/// unescaped (`&#69;xternal` is `External`).
enum XmlEvent<'e> {
    Start {
        name: &'e str,
        attributes: &'e [(String, String)],
    },
    End,
    /// Text other than blanks.
    Text,
}

/// Walks an XML part, any error (malformed XML, an undeclared entity) refusing it: a
/// part the checks cannot read is not accepted unread.
fn walk_xml(
    xml: &[u8],
    mut visit: impl FnMut(XmlEvent<'_>) -> Result<(), Refused>,
) -> Result<(), Refused> {
    let text = decode_xml(xml);
    let mut reader = quick_xml::Reader::from_str(&text);
    loop {
        match reader.read_event().map_err(unreadable)? {
            Event::Eof => return Ok(()),
            Event::Start(element) => {
                let (name, attributes) = element_parts(&element)?;
                visit(XmlEvent::Start {
                    name: &name,
                    attributes: &attributes,
                })?;
            }
            Event::Empty(element) => {
                let (name, attributes) = element_parts(&element)?;
                visit(XmlEvent::Start {
                    name: &name,
                    attributes: &attributes,
                })?;
                visit(XmlEvent::End)?;
            }
            Event::End(_) => visit(XmlEvent::End)?,
            Event::Text(text) if !text.iter().all(u8::is_ascii_whitespace) => {
                visit(XmlEvent::Text)?;
            }
            Event::CData(_) | Event::GeneralRef(_) => visit(XmlEvent::Text)?,
            _ => {}
        }
    }
}

type Attributes = Vec<(String, String)>;

fn element_parts(element: &BytesStart<'_>) -> Result<(String, Attributes), Refused> {
    let name = String::from_utf8_lossy(element.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attribute in element.attributes() {
        let attribute = attribute.map_err(unreadable)?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let raw = String::from_utf8_lossy(&attribute.value);
        let value = quick_xml::escape::unescape(&raw)
            .map_err(unreadable)?
            .into_owned();
        attributes.push((key, value));
    }
    Ok((name, attributes))
}

/// An XML part as text: UTF-16 (which OOXML allows) decoded, so that a part written in it
/// is not read as garbage and passed; anything else read as UTF-8.
fn decode_xml(xml: &[u8]) -> String {
    let utf16 = |bytes: &[u8], little: bool| {
        let units = bytes.chunks_exact(2).map(|p| {
            if little {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    match xml {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [b'<', 0, ..] => utf16(xml, true),
        [0, b'<', ..] => utf16(xml, false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(xml).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::samples::{self, ole_vba_project, replaced, zip_entries};
    use super::super::{detect, reason};
    use super::*;

    fn refused(bytes: &[u8]) -> Option<String> {
        detect(bytes).err().map(|Refused(r)| r)
    }

    fn package(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
        zip_entries(parts).unwrap_or_else(|e| panic!("zip: {e}"))
    }

    fn docx_with_rel(rel: &str) -> Vec<u8> {
        let rels = format!(
            "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/\
             package/2006/relationships\">{rel}</Relationships>"
        );
        package(&replaced(
            samples::docx_parts(),
            "word/_rels/document.xml.rels",
            rels.as_bytes(),
        ))
    }

    const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    #[test]
    fn hyperlinks_to_the_web_stay_accepted_others_are_refused() {
        for (target, verdict) in [
            ("https://www.education.gouv.fr/", None),
            ("mailto:prof@lycee.fr", None),
            ("annexe.pdf", None),
            ("#resume", None),
            (
                "\\\\evil.example\\share\\x.docx",
                Some(reason::DANGEROUS_LINK),
            ),
            ("%5C%5Cevil.example%5Cshare", Some(reason::DANGEROUS_LINK)),
            ("file://evil.example/share/x", Some(reason::DANGEROUS_LINK)),
            ("ms-msdt:/id PCWDiagnostic", Some(reason::DANGEROUS_LINK)),
            (
                "C:\\Windows\\System32\\calc.exe",
                Some(reason::DANGEROUS_LINK),
            ),
        ] {
            let rel = format!(
                "<Relationship Id=\"rId9\" Type=\"{R}/hyperlink\" Target=\"{target}\" \
                 TargetMode=\"External\"/>"
            );
            assert_eq!(
                refused(&docx_with_rel(&rel)).as_deref(),
                verdict,
                "{target}"
            );
        }
    }

    #[test]
    fn external_relationships_are_refused_however_written() {
        for rel in [
            format!(
                "<Relationship Id=\"rId1\" Type=\"{R}/oleObject\" Target=\"mhtml:http://evil/x!y\" \
                 TargetMode=\"External\"/>"
            ),
            format!(
                "<Relationship Id=\"rId1\" Type=\"{R}/image\" Target=\"http://evil/pixel.png\" \
                 TargetMode=\"&#69;xternal\"/>"
            ),
            format!(
                "<r:Relationship xmlns:r=\"x\" r:Id=\"rId1\" r:Type=\"{R}/frame\" \
                 r:Target=\"http://evil/\" r:TargetMode=' external '/>"
            ),
        ] {
            assert_eq!(
                refused(&docx_with_rel(&rel)).as_deref(),
                Some(reason::REMOTE),
                "{rel}"
            );
        }
    }

    #[test]
    fn embedded_objects_are_refused() {
        let ole_rel = format!(
            "<Relationship Id=\"rId1\" Type=\"{R}/oleObject\" Target=\"embeddings/obj.dat\"/>"
        );
        assert_eq!(
            refused(&docx_with_rel(&ole_rel)).as_deref(),
            Some(reason::EMBEDDED)
        );
        // An OLE file without VBA, under an innocent name and undeclared.
        let mut object = OLE_MAGIC.to_vec();
        object.extend_from_slice(&[0; 504]);
        let parts = replaced(samples::docx_parts(), "word/media/chart.emf", &object);
        assert_eq!(refused(&package(&parts)).as_deref(), Some(reason::EMBEDDED));
        let parts = replaced(samples::xlsx_parts(), "xl/activeX/activeX1.xml", b"<x/>");
        assert_eq!(refused(&package(&parts)).as_deref(), Some(reason::EMBEDDED));
    }

    #[test]
    fn vba_is_found_by_content_under_any_name() {
        let parts = replaced(
            samples::docx_parts(),
            "word/media/image9.png",
            &ole_vba_project(),
        );
        assert_eq!(refused(&package(&parts)).as_deref(), Some(reason::MACROS));
        let parts = replaced(samples::xlsx_parts(), "xl/vbaProject.bin", b"renamed? no");
        assert_eq!(refused(&package(&parts)).as_deref(), Some(reason::MACROS));
        // An Excel 4 macro sheet, declared by its relationship only.
        let rels = "<Relationships xmlns=\"x\"><Relationship Id=\"rId1\" \
             Type=\"http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet\" \
             Target=\"macrosheets/sheet1.xml\"/></Relationships>";
        let parts = replaced(
            samples::xlsx_parts(),
            "xl/_rels/workbook.xml.rels",
            rels.as_bytes(),
        );
        assert_eq!(refused(&package(&parts)).as_deref(), Some(reason::MACROS));
    }

    #[test]
    fn content_types_in_utf16_are_read() {
        let types = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><Types xmlns=\"x\"><Override \
                     PartName=\"/word/document.xml\" ContentType=\"application/vnd.ms-word.\
                     document.macroEnabled.main+xml\"/></Types>";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(types.encode_utf16().flat_map(u16::to_le_bytes));
        let parts = replaced(samples::docx_parts(), "[Content_Types].xml", &utf16);
        assert_eq!(refused(&package(&parts)).as_deref(), Some(reason::MACROS));
        // An entity the checks cannot expand: not read, so refused.
        let types = "<!DOCTYPE t [<!ENTITY e \"macroEnabled\">]><Types><Default \
                     ContentType=\"application/&e;\"/></Types>";
        let parts = replaced(
            samples::docx_parts(),
            "[Content_Types].xml",
            types.as_bytes(),
        );
        assert_eq!(
            refused(&package(&parts)).as_deref(),
            Some(reason::UNREADABLE)
        );
    }

    #[test]
    fn packages_inside_packages_are_checked() {
        let xlsm = package(&replaced(
            samples::xlsx_parts(),
            "xl/vbaProject.bin",
            &ole_vba_project(),
        ));
        let parts = replaced(
            samples::docx_parts(),
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx",
            &xlsm,
        );
        assert_eq!(refused(&package(&parts)).as_deref(), Some(reason::MACROS));
        let clean = package(&samples::xlsx_parts());
        let parts = replaced(
            samples::docx_parts(),
            "word/embeddings/Microsoft_Excel_Worksheet.xlsx",
            &clean,
        );
        assert_eq!(refused(&package(&parts)), None);
        // A plain zip (of anything) inside a document is an object.
        let zip = package(&[("payload.exe".to_owned(), b"MZ".to_vec())]);
        let parts = replaced(samples::docx_parts(), "word/embeddings/package.zip", &zip);
        assert_eq!(refused(&package(&parts)).as_deref(), Some(reason::EMBEDDED));
    }

    #[test]
    fn odt_macros_are_refused_one_by_one() {
        let content = |body: &str| {
            format!(
                "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:\
                 office:1.0\" xmlns:script=\"s\" xmlns:xlink=\"l\" xmlns:text=\"t\">{body}\
                 </office:document-content>"
            )
        };
        for (body, verdict) in [
            (
                "<office:scripts><office:event-listeners><script:event-listener \
                 script:event-name=\"dom:load\" xlink:href=\"x\"/></office:event-listeners>\
                 </office:scripts>",
                Some(reason::ODF_MACROS),
            ),
            (
                "<office:body><text:p><text:a xlink:href=\" MACRO:///Standard.M.Main\">x</text:a>\
                 </text:p></office:body>",
                Some(reason::ODF_MACROS),
            ),
            (
                "<office:scripts><office:script script:language=\"ooo:Basic\">Sub</office:script>\
                 </office:scripts>",
                Some(reason::ODF_MACROS),
            ),
            (
                "<office:body><text:p><text:a xlink:href=\"\\\\evil\\s\">x</text:a></text:p>\
                 </office:body>",
                Some(reason::DANGEROUS_LINK),
            ),
            (
                "<office:body><draw:image xmlns:draw=\"d\" xlink:href=\"http://evil/p.png\"/>\
                 </office:body>",
                Some(reason::REMOTE),
            ),
            (
                "<office:scripts/><office:scripts><office:event-listeners/></office:scripts>\
                 <office:body><text:p><text:a xlink:href=\"https://eduscol.education.fr\">x\
                 </text:a></text:p></office:body>",
                None,
            ),
        ] {
            let parts = replaced(
                samples::odt_parts(),
                "content.xml",
                content(body).as_bytes(),
            );
            assert_eq!(refused(&package(&parts)).as_deref(), verdict, "{body}");
        }
        let manifest = "<manifest:manifest xmlns:manifest=\"m\"><manifest:file-entry \
                        manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\">\
                        <manifest:encryption-data/></manifest:file-entry></manifest:manifest>";
        let parts = replaced(
            samples::odt_parts(),
            "META-INF/manifest.xml",
            manifest.as_bytes(),
        );
        assert_eq!(
            refused(&package(&parts)).as_deref(),
            Some(reason::ENCRYPTED)
        );
        let manifest = "<manifest:manifest xmlns:manifest=\"m\"><manifest:file-entry \
                        manifest:full-path=\"x/Module1.py\" manifest:media-type=\"text/x-python\"/>\
                        </manifest:manifest>";
        let parts = replaced(
            samples::odt_parts(),
            "META-INF/manifest.xml",
            manifest.as_bytes(),
        );
        assert_eq!(
            refused(&package(&parts)).as_deref(),
            Some(reason::ODF_MACROS)
        );
    }

    #[test]
    fn archives_read_differently_by_unzippers_are_refused() {
        let docx = package(&samples::docx_parts());
        // Data before the archive, between its entries, after its end.
        let mut prepended = b"PK\x03\x04 junk".to_vec();
        prepended.extend_from_slice(&docx);
        assert!(refused(&prepended).is_some());
        let mut appended = docx.clone();
        appended.extend_from_slice(b"<html><script>alert(1)</script>");
        assert_eq!(refused(&appended).as_deref(), Some(reason::POLYGLOT));
        // Both an OOXML and an ODF package.
        let mut parts = samples::docx_parts();
        parts.push((
            "mimetype".to_owned(),
            FileType::Odt.mime().as_bytes().to_vec(),
        ));
        assert_eq!(refused(&package(&parts)).as_deref(), Some(reason::POLYGLOT));
        // Two entries whose names differ only by case.
        let parts = replaced(samples::docx_parts(), "[content_types].XML", b"<Types/>");
        assert_eq!(
            refused(&package(&parts)).as_deref(),
            Some(reason::UNREADABLE)
        );
        // A local header naming another file than the central directory does.
        let mut renamed = docx.clone();
        let at = memmem::find(&renamed, b"word/document.xml").unwrap_or_else(|| panic!("name"));
        renamed[at..at + 4].copy_from_slice(b"WORD");
        assert_eq!(refused(&renamed).as_deref(), Some(reason::UNREADABLE));
    }

    #[test]
    fn too_many_entries_are_refused() {
        let parts: Vec<(String, Vec<u8>)> = samples::docx_parts()
            .into_iter()
            .chain((0..MAX_ENTRIES).map(|i| (format!("word/media/i{i}.png"), Vec::new())))
            .collect();
        assert_eq!(
            refused(&package(&parts)).as_deref(),
            Some(reason::TOO_MANY_ENTRIES)
        );
    }

    #[test]
    fn zip_bombs_cost_milliseconds() {
        for declared in [1 << 30, 1024] {
            let bomb = samples::docx_zip_bomb(declared).unwrap_or_else(|e| panic!("bomb: {e}"));
            let started = std::time::Instant::now();
            assert_eq!(
                refused(&bomb).as_deref(),
                Some(reason::TOO_LARGE),
                "declared {declared}"
            );
            let took = started.elapsed();
            assert!(
                took < std::time::Duration::from_millis(if u64::from(declared) > READ_BUDGET {
                    100
                } else {
                    3000
                }),
                "declared {declared}: {took:?}"
            );
        }
    }
}
