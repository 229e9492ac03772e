//! `bench-grids [ours|baseline|both] [candidates]`: times the session workbook of
//! `candidates` (1,000) CCF grids written by the backend's sheet writer (`ours`) and by
//! rust_xlsxwriter alone writing the same cells (`baseline`: every text, mark and « X »
//! at its place with the same formats, page setup included; no layout logic). Data in
//! memory, no database. Run each mode alone under `/usr/bin/time -v` for its peak memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../src/juries/sheet.rs"]
#[allow(dead_code)]
mod sheet;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use passerelle_api::{
    Candidate, CandidateGrid, CriterionLevel, GridComment, GridCriterion, GridStatus,
    GridTemplate, Jury, JuryMember, JuryRole, MarkRule, PersonRef, Signature, TemplateOrigin,
    DEFAULT_GRID_SCALE, GRID_IDENTITY_FIELDS,
};
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use sheet::{Establishment, Formats, Layout};

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
                    text: "Accueil soigné, bonne gestion de l'aléa, reformulation à travailler.".into(),
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

/// What the baseline writes for one sheet: the same cells, computed beforehand.
struct Cells {
    name: String,
    texts: Vec<(u32, u16, String)>,
    numbers: Vec<(u32, u16, f64)>,
    layout: Layout,
}

fn cells(establishment: &Establishment, grids: &[CandidateGrid]) -> Vec<Cells> {
    let formats = Formats::new();
    grids
        .iter()
        .zip(sheet::sheet_names(grids))
        .map(|(g, name)| {
            let mut scratch = Worksheet::new();
            let layout = sheet::write_grid_sheet(&mut scratch, &formats, establishment, g).unwrap();
            let mut texts = layout.fixed.clone();
            for (code, row) in &layout.criteria {
                if let Some(l) = g.levels.iter().find(|l| &l.code == code) {
                    texts.push((*row, layout.first_level_col + u16::from(l.level) - 1, "X".into()));
                }
            }
            for (field, row) in &layout.comments {
                if let Some(c) = g.comments.iter().find(|c| &c.field == field) {
                    texts.push((*row, 0, c.text.clone()));
                }
            }
            let mut numbers = Vec::new();
            if let Some(m) = g.final_mark.or(g.proposed_mark) {
                numbers.push((layout.final_mark.0, layout.final_mark.1, m));
            }
            Cells {
                name,
                texts,
                numbers,
                layout,
            }
        })
        .collect()
}

fn baseline(sheets: &[Cells], grids: &[CandidateGrid]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let text = Format::new().set_font_size(9).set_text_wrap();
    let number = Format::new().set_num_format("0.0");
    let summary = workbook.add_worksheet();
    summary.set_name(sheet::SUMMARY_SHEET).unwrap();
    for (i, g) in grids.iter().enumerate() {
        let row = 3 + i as u32;
        summary.write_string(row, 0, &g.candidate.number).unwrap();
        summary.write_string(row, 1, &g.candidate.student.last_name).unwrap();
        summary.write_string(row, 2, &g.candidate.student.first_name).unwrap();
        summary.write_string(row, 3, &g.candidate.class_name).unwrap();
        summary.write_number_with_format(row, 6, g.final_mark.or(g.proposed_mark).unwrap_or(0.0), &number).unwrap();
    }
    for s in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(&s.name).unwrap();
        for (row, col, t) in &s.texts {
            sheet.write_string_with_format(*row, *col, t, &text).unwrap();
        }
        for (row, col, n) in &s.numbers {
            sheet.write_number_with_format(*row, *col, *n, &number).unwrap();
        }
        sheet.set_paper_size(9);
        sheet.set_portrait();
        sheet.set_print_area(0, 0, s.layout.last_row, s.layout.last_col).unwrap();
        sheet.set_print_fit_to_pages(1, 1);
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
        println!("ours:     {n} candidates, {:.3} s, {} KB", t.as_secs_f64(), size / 1024);
        ours = Some(t);
    }
    if mode == "baseline" || mode == "both" {
        let prepared = cells(&establishment, &data);
        let (t, size) = best_of(runs, || baseline(&prepared, &data).len());
        println!("baseline: {n} candidates, {:.3} s, {} KB", t.as_secs_f64(), size / 1024);
        if let Some(o) = ours {
            println!("ratio ours / baseline: {:.2}", o.as_secs_f64() / t.as_secs_f64());
        }
    }
}
