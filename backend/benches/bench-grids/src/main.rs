//! `bench-grids [ours|baseline|both] [candidates]`: times the session workbook of
//! `candidates` (1,000) CCF grids written by the backend's sheet writer (`ours`) and by
//! rust_xlsxwriter alone writing the same cells (`baseline`: every call the writer makes
//! on a sheet — texts, rich texts, numbers, blanks, merges, heights, page setup — recorded
//! beforehand with its format and replayed; no layout logic). Data in
//! memory, no database. Run each mode alone under `/usr/bin/time -v` for its peak memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../src/juries/sheet.rs"]
#[allow(dead_code)]
mod sheet;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use passerelle_api::{
    Candidate, CandidateGrid, CriterionLevel, GridComment, GridCriterion, GridStatus, GridTemplate,
    Jury, JuryMember, JuryRole, MarkRule, PersonRef, Signature, TemplateOrigin, DEFAULT_GRID_SCALE,
    GRID_IDENTITY_FIELDS,
};
use rust_xlsxwriter::{Format, Workbook};
use sheet::{Establishment, Formats};

fn person(id: i64, first: &str, last: &str) -> PersonRef {
    PersonRef {
        id,
        first_name: first.to_owned(),
        last_name: last.to_owned(),
    }
}

/// An E31-sized grid: 12 criteria of 3 indicators each.
fn template() -> GridTemplate {
    GridTemplate {
        id: "bacpro-agora:E31".into(),
        referential_id: "bacpro-agora".into(),
        epreuve: "E31".into(),
        unit: "U31".into(),
        bloc: "B1".into(),
        title: "Gestion des relations avec les clients, les usagers et les adhérents".into(),
        coefficient: Some(4.0),
        modality: "Contrôle en cours de formation (CCF)".into(),
        criteria: (1..=12)
            .map(|i| GridCriterion {
                code: format!("C1.{}.{}", i / 4 + 1, i % 4 + 1),
                label: format!("Compétence {i} : traiter la demande du client et assurer le suivi de la relation commerciale"),
                indicators: (1..=3)
                    .map(|j| format!("Indicateur {j} : respect des procédures, exactitude des informations transmises et qualité de la communication écrite"))
                    .collect(),
                weight: 1.0,
            })
            .collect(),
        scale: DEFAULT_GRID_SCALE.iter().map(|s| (*s).to_owned()).collect(),
        rule: MarkRule::WeightedLevels,
        comment_fields: vec![
            "Appréciation du jury".into(),
            "Justification de la note proposée".into(),
        ],
        identity_fields: GRID_IDENTITY_FIELDS.iter().map(|s| (*s).to_owned()).collect(),
        version: 1,
        origin: TemplateOrigin::Referential,
        edited_by: None,
        edited_at: None,
    }
}

fn grids(n: usize) -> Vec<CandidateGrid> {
    let template = template();
    let at = NaiveDate::from_ymd_opt(2027, 5, 12)
        .and_then(|d| d.and_hms_opt(10, 30, 0))
        .unwrap();
    let members = vec![
        JuryMember {
            person: person(1, "Paul", "Prof"),
            role: JuryRole::Teacher,
        },
        JuryMember {
            person: person(2, "Jean", "Juré"),
            role: JuryRole::Professional,
        },
    ];
    (0..n)
        .map(|i| {
            let levels: Vec<CriterionLevel> = template
                .criteria
                .iter()
                .enumerate()
                .map(|(j, c)| CriterionLevel {
                    code: c.code.clone(),
                    level: ((i + j) % 4 + 1) as u8,
                })
                .collect();
            CandidateGrid {
                candidate: Candidate {
                    id: i as i64 + 10,
                    student: person(i as i64 + 100, "Emma", &format!("Candidat{i:04}")),
                    number: format!("{:04}", i + 1),
                    class_name: "T AGOrA A".into(),
                    jury_id: Some(1),
                    conforme: i % 17 != 0,
                    nonconformity_reason: (i % 17 == 0).then(|| "Passeport incomplet".into()),
                },
                session_id: 1,
                session_label: "Session 2027".into(),
                template: template.clone(),
                jury: Some(Jury {
                    id: 1,
                    name: "Jury A".into(),
                    members: members.clone(),
                    candidates: Vec::new(),
                }),
                members: Vec::new(),
                levels,
                comments: vec![GridComment {
                    field: "Appréciation du jury".into(),
                    text: "Accueil soigné, bonne gestion de l'aléa, reformulation à travailler."
                        .into(),
                }],
                disagreements: Vec::new(),
                proposed_mark: Some(12.5),
                final_mark: (i % 3 == 0).then_some(13.0),
                justification: (i % 3 == 0).then(|| "Oral remarquable.".into()),
                status: GridStatus::Locked,
                signatures: members
                    .iter()
                    .map(|m| Signature {
                        member: m.person.clone(),
                        signed_at: at,
                    })
                    .collect(),
                locked_at: Some(at),
                portfolio: Vec::new(),
                can_edit: false,
            }
        })
        .collect()
}

/// One call the sheet writer makes, recorded with its format.
enum Op {
    Width(u16, f64),
    Height(u32, f64),
    Text(u32, u16, String, Format),
    Rich(u32, u16, Vec<(Format, String)>, Format),
    Number(u32, u16, f64, Format),
    Blank(u32, u16, Format),
    Merge(u32, u16, u32, u16, String, Format),
    Page(u32, u16, String),
}

#[derive(Default)]
struct Recorder(Vec<Op>);

type R = Result<(), rust_xlsxwriter::XlsxError>;

impl sheet::GridSink for Recorder {
    fn column_width(&mut self, col: u16, width: f64) -> R {
        self.0.push(Op::Width(col, width));
        Ok(())
    }
    fn row_height(&mut self, row: u32, height: f64) -> R {
        self.0.push(Op::Height(row, height));
        Ok(())
    }
    fn text(&mut self, row: u32, col: u16, text: &str, format: &Format) -> R {
        self.0
            .push(Op::Text(row, col, text.to_owned(), format.clone()));
        Ok(())
    }
    fn rich(&mut self, row: u32, col: u16, segments: &[(&Format, &str)], format: &Format) -> R {
        let segments = segments
            .iter()
            .map(|(f, t)| ((*f).clone(), (*t).to_owned()))
            .collect();
        self.0.push(Op::Rich(row, col, segments, format.clone()));
        Ok(())
    }
    fn number(&mut self, row: u32, col: u16, value: f64, format: &Format) -> R {
        self.0.push(Op::Number(row, col, value, format.clone()));
        Ok(())
    }
    fn blank(&mut self, row: u32, col: u16, format: &Format) -> R {
        self.0.push(Op::Blank(row, col, format.clone()));
        Ok(())
    }
    fn merge(&mut self, r1: u32, c1: u16, r2: u32, c2: u16, text: &str, format: &Format) -> R {
        self.0
            .push(Op::Merge(r1, c1, r2, c2, text.to_owned(), format.clone()));
        Ok(())
    }
    fn page_setup(&mut self, last_row: u32, last_col: u16, footer: &str) -> R {
        self.0.push(Op::Page(last_row, last_col, footer.to_owned()));
        Ok(())
    }
}

/// Every call of every candidate sheet, recorded beforehand (not timed).
fn record(establishment: &Establishment, grids: &[CandidateGrid]) -> Vec<(String, Vec<Op>)> {
    let formats = Formats::new();
    grids
        .iter()
        .zip(sheet::sheet_names(grids))
        .map(|(g, name)| {
            let mut recorder = Recorder::default();
            sheet::write_grid_sheet(&mut recorder, &formats, establishment, g).unwrap();
            (name, recorder.0)
        })
        .collect()
}

/// rust_xlsxwriter alone: the same summary and the recorded calls replayed.
fn baseline(sheets: &[(String, Vec<Op>)], grids: &[CandidateGrid]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let number = Format::new().set_num_format("0.0");
    let summary = workbook.add_worksheet();
    summary.set_name(sheet::SUMMARY_SHEET).unwrap();
    for (col, header) in sheet::SUMMARY_HEADERS.iter().enumerate() {
        summary.write_string(2, col as u16, *header).unwrap();
    }
    for (i, g) in grids.iter().enumerate() {
        let row = 3 + i as u32;
        let c = &g.candidate;
        summary.write_string(row, 0, &c.number).unwrap();
        summary.write_string(row, 1, &c.student.last_name).unwrap();
        summary.write_string(row, 2, &c.student.first_name).unwrap();
        summary.write_string(row, 3, &c.class_name).unwrap();
        summary
            .write_string(row, 4, if c.conforme { "Oui" } else { "Non" })
            .unwrap();
        for (col, v) in [
            (5, g.proposed_mark),
            (6, g.final_mark.or(g.proposed_mark)),
            (7, Some(4.0)),
            (8, g.final_mark.or(g.proposed_mark).map(|m| m * 4.0)),
        ] {
            if let Some(v) = v {
                summary
                    .write_number_with_format(row, col, v, &number)
                    .unwrap();
            }
        }
        summary.write_string(row, 9, "Verrouillée").unwrap();
    }
    for (name, ops) in sheets {
        let sheet = workbook.add_worksheet_with_constant_memory();
        sheet.set_name(name).unwrap();
        for op in ops {
            match op {
                Op::Width(c, w) => {
                    sheet.set_column_width(*c, *w).unwrap();
                }
                Op::Height(r, h) => {
                    sheet.set_row_height(*r, *h).unwrap();
                }
                Op::Text(r, c, t, f) => {
                    sheet.write_string_with_format(*r, *c, t, f).unwrap();
                }
                Op::Rich(r, c, segments, f) => {
                    let segments: Vec<(&Format, &str)> =
                        segments.iter().map(|(f, t)| (f, t.as_str())).collect();
                    sheet
                        .write_rich_string_with_format(*r, *c, &segments, f)
                        .unwrap();
                }
                Op::Number(r, c, n, f) => {
                    sheet.write_number_with_format(*r, *c, *n, f).unwrap();
                }
                Op::Blank(r, c, f) => {
                    sheet.write_blank(*r, *c, f).unwrap();
                }
                Op::Merge(r1, c1, r2, c2, t, f) => {
                    sheet.merge_range(*r1, *c1, *r2, *c2, t, f).unwrap();
                }
                Op::Page(last_row, last_col, footer) => {
                    sheet::GridSink::page_setup(sheet, *last_row, *last_col, footer).unwrap();
                }
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut size = 0;
    for _ in 0..runs {
        let start = Instant::now();
        size = f();
        best = best.min(start.elapsed());
    }
    (best, size)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "both".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let runs = if mode == "both" { 3 } else { 1 };
    let establishment = Establishment {
        academie: "Paris".into(),
        name: "Lycée Jean Jaurès".into(),
        uai: "0750001A".into(),
    };
    let data = grids(n);
    let mut ours = None;
    if mode == "ours" || mode == "both" {
        let (t, size) = best_of(runs, || {
            sheet::session_workbook(&establishment, "Session 2027", &data)
                .unwrap()
                .len()
        });
        println!(
            "ours:     {n} candidates, {:.3} s, {} KB",
            t.as_secs_f64(),
            size / 1024
        );
        ours = Some(t);
    }
    if mode == "baseline" || mode == "both" {
        let prepared = record(&establishment, &data);
        let (t, size) = best_of(runs, || baseline(&prepared, &data).len());
        println!(
            "baseline: {n} candidates, {:.3} s, {} KB",
            t.as_secs_f64(),
            size / 1024
        );
        if let Some(o) = ours {
            println!(
                "ratio ours / baseline: {:.2}",
                o.as_secs_f64() / t.as_secs_f64()
            );
        }
    }
}
