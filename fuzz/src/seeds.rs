//! Seed files of each target's corpus, built as the tests build their files: workbooks
//! with rust_xlsxwriter (and the exports' own writers: the catalogue workbook, the
//! session workbook), .ods and office documents as zips, the tests' CSV and images, and
//! the referentials themselves.

use std::io::{Cursor, Write};
use std::path::Path;

use passerelle::juries::sheet::{write_grid_sheet, Formats, SUMMARY_HEADERS, SUMMARY_SHEET};
use passerelle_api::{Catalogue, ItemLink, PortableExercise, CATALOGUE_FORMAT, CATALOGUE_VERSION};
use rust_xlsxwriter::{Format, Workbook};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use crate::{Session, SPREADSHEET_NAMES};

/// One seed: its file name in the corpus folder and its bytes.
pub type Seed = (String, Vec<u8>);

/// A one-sheet workbook; a cell "serial:N" is written as a dated Excel serial, "number:N"
/// as a plain number.
pub fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if let Some(n) = text.strip_prefix("serial:") {
                sheet
                    .write_number_with_format(r, c, n.parse::<f64>().unwrap(), &date)
                    .unwrap();
            } else if let Some(n) = text.strip_prefix("number:") {
                sheet.write_number(r, c, n.parse::<f64>().unwrap()).unwrap();
            } else {
                sheet.write_string(r, c, *text).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// A zip of `entries` (`mimetype` stored, the others deflated, as office suites write).
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        let method = if *name == "mimetype" {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        writer
            .start_file(
                *name,
                SimpleFileOptions::default().compression_method(method),
            )
            .unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

const ODS_MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;

/// A minimal .ods whose one sheet holds `rows` (table:table-row elements).
pub fn ods(rows: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Élèves">{rows}</table:table></office:spreadsheet></office:body>
</office:document-content>"#
    );
    zip_of(&[
        ("mimetype", ODS_MIMETYPE.as_bytes()),
        ("content.xml", content.as_bytes()),
        ("META-INF/manifest.xml", ODS_MANIFEST.as_bytes()),
    ])
}

fn ods_text(text: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
    )
}

/// The spreadsheet target's input: the file-name selector byte, then the file.
fn named(file: &str, name: &str, bytes: &[u8]) -> Seed {
    let selector = SPREADSHEET_NAMES.iter().position(|n| *n == name).unwrap() as u8;
    let mut input = vec![selector];
    input.extend_from_slice(bytes);
    (file.to_owned(), input)
}

/// Class lists in each format, as the import tests write them.
pub fn spreadsheet() -> Vec<Seed> {
    let xlsx = workbook(&[
        &["Liste des élèves — rentrée 2025"],
        &[],
        &[
            "  CLASSE ",
            "Prénom",
            "NOM  DE   FAMILLE",
            "Né(e) le",
            "Remarques",
            "Courriel",
            "N° INE",
        ],
        &[
            "T AGOrA A",
            " Léa ",
            "  du   Pont-Aéré ",
            "serial:40252",
            "",
            "Lea.Dupont@Example.FR",
            "1234567890a",
        ],
        &[
            "T AGOrA A",
            "Élodie",
            "Martin",
            "5/1/2009",
            "redoublante",
            "elodie.martin@example.fr",
        ],
        &[
            "T AGOrA B",
            "Noé",
            "Bernard",
            "number:40252",
            "",
            "noe@example.fr",
        ],
        &[
            "T AGOrA B",
            "Zoé",
            "Petit",
            "2009-12-31",
            "",
            "zoe@example.fr",
            "98765432AB1",
        ],
    ]);
    let header = ["Nom", "Prénom", "Date de naissance", "Email", "Classe"]
        .map(ods_text)
        .concat();
    let row = [
        ods_text("Durand"),
        ods_text("Léa"),
        r#"<table:table-cell office:value-type="date" office:date-value="2010-03-15"><text:p>15/03/2010</text:p></table:table-cell>"#.to_owned(),
        ods_text("lea@example.fr"),
        ods_text("2nde A"),
    ]
    .concat();
    let ods_list = ods(&format!(
        "<table:table-row>{header}</table:table-row><table:table-row>{row}</table:table-row>\
         <table:table-row table:number-rows-repeated=\"3\"><table:table-cell table:number-columns-repeated=\"2\"/></table:table-row>"
    ));
    let broken = "Nom;Prénom;Date de naissance;Email;Classe;INE\n\
                  Durand;Léa;15/03/2010;lea@example.fr;2nde A;1234567890A\n\
                  Petit;Hugo;31/02/2010;hugo@example.fr;2nde A;123456789BC\n\
                  Leroy;Tom;02/02/2009;;2nde A;\n\
                  Fabre;Léo;04-04-2009;LEA@example.fr;2nde B;\n\
                  ;;;;;\n";
    let comma = "prenom, nom ,e-mail,division\nLéa,Durand,lea@example.fr,1re B\n\
                 \"Jean, Marie\",Dupont,jm@example.fr,1re B\n";
    let tabs = "NOM\tPRENOM\tMEL\tCLASSE\nDurand\tLéa\tlea@example.fr\t1re B\n";
    let mut cp1252 = b"Nom;Pr\xE9nom;Adresse \xE9lectronique;Classe\r\n".to_vec();
    cp1252.extend_from_slice(b"C\xF4t\xE9;No\xEBl;noel@example.fr;Terminale \x93Pro\x94\r\n");
    let bom = "\u{FEFF}Nom;Prénom;Email;Classe\nDurand;Léa;lea@example.fr;1re B\n";
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "Nom;Prénom;Email;Classe\r\nDurand;Léa;lea@example.fr;1re B\r\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    vec![
        named("list.xlsx", "eleves.xlsx", &xlsx),
        named("list-unnamed.xlsx", "eleves", &xlsx),
        named("list.ods", "eleves.ods", &ods_list),
        named("broken.csv", "eleves.csv", broken.as_bytes()),
        named("comma.csv", "eleves.csv", comma.as_bytes()),
        named("tabs.txt", "export.txt", tabs.as_bytes()),
        named("cp1252.csv", "eleves.csv", &cp1252),
        named("bom.csv", "eleves", bom.as_bytes()),
        named("utf16.csv", "eleves.csv", &utf16),
    ]
}

/// Exercise catalogues: the export's JSON (with and without a BOM) and the export's own
/// workbook, and a hand-written workbook with bad cells, as the catalogue tests use.
pub fn catalogue() -> Vec<Seed> {
    let exercise = |title: &str, main: &str, other: &str| PortableExercise {
        title: title.to_owned(),
        instructions: "Établir les factures des commandes livrées, puis relancer les clients."
            .to_owned(),
        software_id: Some("ebp".to_owned()),
        base_id: Some("jupiter-media".to_owned()),
        modules: Vec::new(),
        features: vec!["factures".to_owned()],
        duration_minutes: Some(110),
        level: Some("1re année".to_owned()),
        items: vec![
            ItemLink {
                referential_id: "bts-gpme".to_owned(),
                code: main.to_owned(),
                main: true,
            },
            ItemLink {
                referential_id: "bts-gpme".to_owned(),
                code: other.to_owned(),
                main: false,
            },
        ],
    };
    let catalogue = Catalogue {
        format: CATALOGUE_FORMAT.to_owned(),
        version: CATALOGUE_VERSION,
        exercises: vec![
            exercise("Facturation des commandes clients", "T.1.2.4", "T.1.2.3"),
            exercise("Relances", "T.7.7.7", "T.1.2.3"),
        ],
    };
    let json = serde_json::to_vec_pretty(&catalogue).unwrap();
    let mut bom = b"\xEF\xBB\xBF\n".to_vec();
    bom.extend_from_slice(&serde_json::to_vec(&catalogue).unwrap());
    let xlsx = passerelle::exercises::catalogue::workbook(&catalogue).unwrap();
    let bad = workbook(&[
        &["Titre", "Éléments principaux", "Durée (min)"],
        &["Paie", "bts-gpme:T.7.7.7; sans-deux-points", "deux heures"],
        &["", "", "number:0.5"],
    ]);
    vec![
        ("catalogue.json".to_owned(), json),
        ("catalogue-bom.json".to_owned(), bom),
        ("catalogue.xlsx".to_owned(), xlsx),
        ("bad.xlsx".to_owned(), bad),
    ]
}

/// Session workbooks: as exported, and filled in offline (an « X » per criterion, a final
/// mark, a justification, a comment), as the grid import test fills one.
pub fn grid_import(session: &Session) -> Vec<Seed> {
    let exported = passerelle::juries::sheet::session_workbook(
        &session.establishment,
        "Session 2027",
        &session.grids,
    )
    .unwrap();
    let mut book = Workbook::new();
    let formats = Formats::new();
    let summary = book.add_worksheet();
    summary.set_name(SUMMARY_SHEET).unwrap();
    for (col, header) in SUMMARY_HEADERS.iter().enumerate() {
        summary
            .write_string(
                passerelle::juries::sheet::SUMMARY_HEADER_ROW,
                col as u16,
                *header,
            )
            .unwrap();
    }
    for (i, (grid, name)) in session.grids.iter().zip(&session.names).enumerate() {
        let sheet = book.add_worksheet();
        sheet.set_name(name).unwrap();
        let layout = write_grid_sheet(sheet, &formats, &session.establishment, grid).unwrap();
        for (k, (_, row)) in layout.criteria.iter().enumerate() {
            let level = (k + i) as u16 % layout.scale_len;
            sheet
                .write_string(*row, layout.first_level_col + level, "X")
                .unwrap();
        }
        if let Some((_, row)) = layout.comments.first() {
            sheet.write_string(*row, 0, "Très bon oral.").unwrap();
        }
        let (row, col) = layout.final_mark;
        if i == 1 {
            sheet.write_string(row, col, "14,5").unwrap();
        } else {
            sheet.write_number(row, col, 15.0).unwrap();
        }
        let (row, col) = layout.justification;
        sheet.write_string(row, col, "Aléa bien géré.").unwrap();
    }
    let filled = book.save_to_buffer().unwrap();
    vec![
        ("exported.xlsx".to_owned(), exported),
        ("filled.xlsx".to_owned(), filled),
    ]
}

/// The referentials (`referentials/*.toml`), whole and cut after their first items.
pub fn referential(dir: &Path) -> Vec<Seed> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut seeds = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        // The header and the first dozen items: small inputs mutate faster.
        let cut = text
            .match_indices("\n[[items]]")
            .nth(12)
            .map_or(text.len(), |(at, _)| at + 1);
        seeds.push((format!("{stem}-head.toml"), text[..cut].as_bytes().to_vec()));
        seeds.push((format!("{stem}.toml"), text.into_bytes()));
    }
    seeds
}

/// Uploads of each accepted type, and refused ones, as the sniffer's tests build them.
pub fn sniff() -> Vec<Seed> {
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &[0; 13]));
    png.extend(chunk(b"tEXt", b"Author\0Jeanne Martin"));
    png.extend(chunk(b"eXIf", b"MM\0\x2a"));
    png.extend(chunk(b"IDAT", &[1, 2, 3]));
    png.extend(chunk(b"IEND", &[]));
    let docx = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w:document/>"),
    ]);
    let odt = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", b"<office:document-content/>"),
    ]);
    let macros = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", b"<workbook/>"),
        ("xl/vbaProject.bin", b"\xD0\xCF\x11\xE0"),
    ]);
    vec![
        (
            "file.pdf".to_owned(),
            b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n".to_vec(),
        ),
        ("photo.png".to_owned(), png),
        (
            "phone.jpeg".to_owned(),
            passerelle::sniff::sample_phone_jpeg(),
        ),
        (
            "sheet.xlsx".to_owned(),
            workbook(&[&["Titre"], &["number:1"]]),
        ),
        ("letter.docx".to_owned(), docx),
        ("letter.odt".to_owned(), odt),
        ("macros.xlsm".to_owned(), macros),
        ("page.html".to_owned(), b"<html><script>".to_vec()),
    ]
}

/// Writes each target's seeds into `root/<target>/`.
pub fn write_all(root: &Path) {
    let snapshot = crate::snapshot();
    let session = crate::session(&snapshot);
    let targets = [
        ("spreadsheet", spreadsheet()),
        ("catalogue", catalogue()),
        ("grid_import", grid_import(&session)),
        ("referential", referential(&crate::referentials_dir())),
        ("sniff", sniff()),
    ];
    for (target, seeds) in targets {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &seeds {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        println!("{target}: {} seed files in {}", seeds.len(), dir.display());
    }
}
