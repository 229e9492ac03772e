//! Fictional data: `passerelle demo` (one school that fills every screen on first run) and
//! `passerelle generate` (an académie at benchmark scale).
//!
//! Both describe schools in memory first ([`SchoolPlan`]: deterministic, no database),
//! then write each one with [`write_school`]: batch inserts of at most [`CHUNK`] rows, in
//! one transaction per school. Passwords are hashed once and the PHC string is reused, so
//! twenty thousand accounts cost one argon2 hash.
//!
//! The demo grows with the product: each capability (exercises, portfolios, juries…) adds
//! one function to [`STEPS`], run after the school exists, in the same transaction.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use passerelle_api::Role;

use crate::audit::{self, Entry};
use crate::auth::{check_password_policy, PasswordHasher};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::fold::fold;
use crate::schema::{
    class_students, class_teachers, classes, establishments, school_years, user_roles, users,
};

/// The demo establishment: its UAI tells whether the demo is already loaded.
pub const DEMO_UAI: &str = "0999999X";
pub const DEMO_NAME: &str = "Lycée de démonstration Jean Jaurès";
pub const DEMO_ACADEMIE: &str = "Démonstration";
pub const DEMO_ADMIN_EMAIL: &str = "demo.admin@passerelle.test";
/// The demo's classes: name and referential.
pub const DEMO_CLASSES: [(&str, &str); 5] = [
    ("1 AGOrA A", "bacpro-agora"),
    ("T AGOrA A", "bacpro-agora"),
    ("BTS GPME 1", "bts-gpme"),
    ("BTS GPME 2", "bts-gpme"),
    ("RNCP Assistant", "rncp34786"),
];
pub const DEMO_STUDENTS_PER_CLASS: usize = 24;
/// The last students of each class have not activated their account yet (no password).
pub const DEMO_INVITED_PER_CLASS: usize = 3;

/// Where the password of demo and generated accounts comes from, and its default.
pub const PASSWORD_ENV: &str = "PASSERELLE_DEMO_PASSWORD";
pub const DEFAULT_PASSWORD: &str = "demo passerelle 2026";

/// Most rows in one INSERT.
pub const CHUNK: usize = 500;

/// The school year of both the demo and generated schools.
const YEAR_LABEL: &str = "2026-2027";

/// Students per class in generated schools.
pub const GENERATED_CLASS_SIZE: usize = 35;

/// The password of demo and generated accounts: [`PASSWORD_ENV`] or [`DEFAULT_PASSWORD`],
/// checked against the policy. The flag says whether it came from the environment.
pub fn password_from_env() -> Result<(String, bool), AppError> {
    let (password, from_env) = match std::env::var(PASSWORD_ENV) {
        Ok(p) => (p, true),
        Err(_) => (DEFAULT_PASSWORD.to_owned(), false),
    };
    check_password_policy(&password).map_err(|m| AppError::bad_request("weak_password", m))?;
    Ok((password, from_env))
}

/// One account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub birth_date: Option<NaiveDate>,
    pub ine: Option<String>,
    /// Gets the shared password; otherwise the account stays `invited`.
    pub with_password: bool,
}

/// One class: its teachers and students as indices into [`SchoolPlan::people`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassPlan {
    pub name: String,
    pub referential: &'static str,
    pub teachers: Vec<usize>,
    pub students: Vec<usize>,
}

/// A whole establishment, described before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolPlan {
    pub name: String,
    pub uai: String,
    pub academie: String,
    pub year_label: String,
    pub year_starts: NaiveDate,
    pub year_ends: NaiveDate,
    pub people: Vec<Person>,
    pub classes: Vec<ClassPlan>,
}

impl SchoolPlan {
    fn count(&self, role: Role) -> usize {
        self.people.iter().filter(|p| p.role == role).count()
    }
}

/// The ids of what [`write_school`] created, index for index with the plan.
#[derive(Debug, Clone)]
pub struct WrittenSchool {
    pub establishment: i64,
    pub year: i64,
    pub people: Vec<i64>,
    pub classes: Vec<i64>,
}

/// Writes `plan`: establishment, school year, classes, accounts with their roles (those
/// `with_password` get `password_hash`), teachers and students of each class. Call it
/// inside a transaction.
pub fn write_school(
    conn: &mut DbConnection,
    plan: &SchoolPlan,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<WrittenSchool, AppError> {
    diesel::insert_into(establishments::table)
        .values((
            establishments::name.eq(&plan.name),
            establishments::uai.eq(&plan.uai),
            establishments::academie.eq(&plan.academie),
            establishments::created_at.eq(now),
        ))
        .execute(conn)?;
    let establishment: i64 = establishments::table
        .filter(establishments::uai.eq(&plan.uai))
        .select(establishments::id)
        .first(conn)?;
    diesel::insert_into(school_years::table)
        .values((
            school_years::establishment_id.eq(establishment),
            school_years::label.eq(&plan.year_label),
            school_years::starts_on.eq(plan.year_starts),
            school_years::ends_on.eq(plan.year_ends),
        ))
        .execute(conn)?;
    let year: i64 = school_years::table
        .filter(school_years::establishment_id.eq(establishment))
        .filter(school_years::label.eq(&plan.year_label))
        .select(school_years::id)
        .first(conn)?;

    crate::insert_in_chunks!(conn, classes::table, plan.classes, |class| (
        classes::establishment_id.eq(establishment),
        classes::school_year_id.eq(year),
        classes::name.eq(&class.name),
        classes::referential_id.eq(class.referential),
    ));
    let class_ids = ids_in_order(
        plan.classes.iter().map(|c| &c.name),
        classes::table
            .filter(classes::school_year_id.eq(year))
            .select((classes::name, classes::id))
            .load(conn)?,
    )?;

    crate::insert_in_chunks!(conn, users::table, plan.people, |p| (
        users::email.eq(&p.email),
        users::first_name.eq(&p.first_name),
        users::last_name.eq(&p.last_name),
        users::password_hash.eq(p.with_password.then_some(password_hash)),
        users::disabled.eq(false),
        users::establishment_id.eq(Some(establishment)),
        users::birth_date.eq(p.birth_date),
        users::ine.eq(p.ine.as_deref()),
        users::created_at.eq(now),
    ));
    let people = ids_in_order(
        plan.people.iter().map(|p| &p.email),
        users::table
            .filter(users::establishment_id.eq(establishment))
            .select((users::email, users::id))
            .load(conn)?,
    )?;
    let roles: Vec<(i64, &str)> = people
        .iter()
        .zip(&plan.people)
        .map(|(&id, p)| (id, p.role.as_str()))
        .collect();
    crate::insert_in_chunks!(conn, user_roles::table, roles, |r| (
        user_roles::user_id.eq(r.0),
        user_roles::role.eq(r.1),
    ));

    let mut teaching = Vec::new();
    let mut attending = Vec::new();
    for (class, &class_id) in plan.classes.iter().zip(&class_ids) {
        teaching.extend(class.teachers.iter().map(|&t| (class_id, people[t])));
        attending.extend(class.students.iter().map(|&s| (class_id, people[s])));
    }
    crate::insert_in_chunks!(conn, class_teachers::table, teaching, |l| (
        class_teachers::class_id.eq(l.0),
        class_teachers::user_id.eq(l.1),
    ));
    crate::insert_in_chunks!(conn, class_students::table, attending, |l| (
        class_students::class_id.eq(l.0),
        class_students::user_id.eq(l.1),
    ));
    Ok(WrittenSchool {
        establishment,
        year,
        people,
        classes: class_ids,
    })
}

/// The id of each key, in the order of `keys`, from the (key, id) rows just read back.
fn ids_in_order<'a>(
    keys: impl Iterator<Item = &'a String>,
    rows: Vec<(String, i64)>,
) -> Result<Vec<i64>, AppError> {
    let ids: HashMap<String, i64> = rows.into_iter().collect();
    keys.map(|k| {
        ids.get(k)
            .copied()
            .ok_or_else(|| AppError::internal(format!("{k} not found after insert")))
    })
    .collect()
}

// ---------------------------------------------------------------------------------------
// Names, dates, INE

const FIRST_NAMES: [&str; 48] = [
    "Léa", "Lucas", "Emma", "Hugo", "Chloé", "Louis", "Inès", "Nathan", "Manon", "Enzo", "Camille",
    "Jules", "Sarah", "Théo", "Jade", "Adam", "Louise", "Mathis", "Lina", "Raphaël", "Zoé",
    "Gabriel", "Clara", "Arthur", "Anaïs", "Noah", "Eva", "Yanis", "Mathilde", "Rayan", "Océane",
    "Maxime", "Yasmine", "Thomas", "Lou", "Mohamed", "Romane", "Antoine", "Juliette", "Kylian",
    "Maëlys", "Samuel", "Alice", "Ethan", "Elif", "Baptiste", "Aya", "Malo",
];

const LAST_NAMES: [&str; 49] = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefèvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "N'Diaye",
    "Chevalier",
];

/// A plausible French name, the same for the same index (48 × 49 lengths: no pair repeats
/// before 2352).
pub fn name_of(index: usize) -> (&'static str, &'static str) {
    (
        FIRST_NAMES[index % FIRST_NAMES.len()],
        LAST_NAMES[index % LAST_NAMES.len()],
    )
}

/// "Léa", "N'Diaye" → "lea.n-diaye": folded, anything but letters and digits a hyphen.
fn email_local(first: &str, last: &str) -> String {
    let part = |s: &str| -> String {
        fold(s)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect()
    };
    format!("{}.{}", part(first), part(last))
}

/// An INE-shaped identifier: 10 digits and a letter.
fn ine(number: u64) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
    let letter = char::from(LETTERS[(number % LETTERS.len() as u64) as usize]);
    format!("{:010}{letter}", number % 10_000_000_000)
}

fn date(year: i32, month: u32, day: u32) -> Result<NaiveDate, AppError> {
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| AppError::internal(format!("invalid date {year}-{month}-{day}")))
}

/// A birth date in the years a class of `referential` is usually born (adults for the
/// RNCP), spread over the year by `index`.
fn birth_date(referential: &str, class_name: &str, index: usize) -> Result<NaiveDate, AppError> {
    let youngest = match (referential, class_name.starts_with('1')) {
        ("bacpro-agora", true) => 2010,
        ("bacpro-agora", false) => 2009,
        ("bts-gpme", _) if class_name.ends_with('2') => 2007,
        ("bts-gpme", _) => 2008,
        _ => 2004 - (index % 18) as i32,
    };
    let year = youngest - i32::from(index.is_multiple_of(3));
    let ordinal = 1 + (index * 37 % 365) as u32;
    NaiveDate::from_yo_opt(year, ordinal)
        .ok_or_else(|| AppError::internal(format!("invalid date {year}/{ordinal}")))
}

// ---------------------------------------------------------------------------------------
// passerelle demo

/// The demo school: admin, teachers, jury member, classes and their students.
pub fn demo_plan() -> Result<SchoolPlan, AppError> {
    let staff = |email: &str, first: &str, last: &str, role| Person {
        email: email.to_owned(),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        role,
        birth_date: None,
        ine: None,
        with_password: true,
    };
    let mut people = vec![
        staff(DEMO_ADMIN_EMAIL, "Nathalie", "Rey", Role::Admin),
        staff(
            "claire.dubreuil@passerelle.test",
            "Claire",
            "Dubreuil",
            Role::Teacher,
        ),
        staff(
            "karim.benali@passerelle.test",
            "Karim",
            "Benali",
            Role::Teacher,
        ),
        staff(
            "isabelle.marchand@passerelle.test",
            "Isabelle",
            "Marchand",
            Role::Teacher,
        ),
        staff(
            "olivier.lemoine@passerelle.test",
            "Olivier",
            "Lemoine",
            Role::Teacher,
        ),
        staff(
            "patrick.vasseur@passerelle.test",
            "Patrick",
            "Vasseur",
            Role::Jury,
        ),
    ];
    // Teachers (indices 1 to 4) of each class of DEMO_CLASSES.
    let teachers: [&[usize]; 5] = [&[1, 4], &[1, 2], &[3, 4], &[3], &[2, 4]];
    let mut emails: HashSet<String> = HashSet::new();
    let mut classes = Vec::new();
    for (c, ((name, referential), teachers)) in DEMO_CLASSES.iter().zip(teachers).enumerate() {
        let mut students = Vec::new();
        for k in 0..DEMO_STUDENTS_PER_CLASS {
            let index = c * DEMO_STUDENTS_PER_CLASS + k;
            // A stride prime to both list lengths mixes the names of a class.
            let (first, last) = name_of(index * 13 + 5);
            let local = email_local(first, last);
            let mut email = format!("{local}@eleves.passerelle.test");
            let mut n = 2;
            while !emails.insert(email.clone()) {
                email = format!("{local}{n}@eleves.passerelle.test");
                n += 1;
            }
            students.push(people.len());
            people.push(Person {
                email,
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                role: Role::Student,
                birth_date: Some(birth_date(referential, name, index)?),
                ine: Some(ine(9_900_000_000 + index as u64 * 7919)),
                with_password: k < DEMO_STUDENTS_PER_CLASS - DEMO_INVITED_PER_CLASS,
            });
        }
        classes.push(ClassPlan {
            name: (*name).to_owned(),
            referential,
            teachers: teachers.to_vec(),
            students,
        });
    }
    Ok(SchoolPlan {
        name: DEMO_NAME.to_owned(),
        uai: DEMO_UAI.to_owned(),
        academie: DEMO_ACADEMIE.to_owned(),
        year_label: YEAR_LABEL.to_owned(),
        year_starts: date(2026, 9, 1)?,
        year_ends: date(2027, 7, 4)?,
        people,
        classes,
    })
}

/// The demo as it is being loaded: what each step may read or extend.
pub struct Demo<'a> {
    pub plan: &'a SchoolPlan,
    pub school: WrittenSchool,
    pub now: NaiveDateTime,
}

impl Demo<'_> {
    /// The admin's id, the actor of what the demo records.
    pub fn admin(&self) -> i64 {
        self.school.people[0]
    }

    fn record(
        &self,
        conn: &mut DbConnection,
        action: &str,
        object: &str,
        detail: &str,
    ) -> Result<(), AppError> {
        audit::record(
            conn,
            self.now,
            Entry {
                actor_id: Some(self.admin()),
                establishment_id: Some(self.school.establishment),
                action,
                object,
                detail,
            },
        )
    }
}

/// One capability of the demo, run once the school exists.
pub type Step = fn(&mut DbConnection, &mut Demo<'_>) -> Result<(), AppError>;

/// The demo's capabilities, in order. Later issues append theirs (exercises, portfolios,
/// juries), each a function reading what earlier steps made.
pub const STEPS: &[Step] = &[
    journal,
    crate::exercises::demo::step,
    crate::portfolio::demo::step,
    crate::juries::demo::step,
];

/// The audit log of what the demo created, as if the admin had done it on screen.
fn journal(conn: &mut DbConnection, demo: &mut Demo<'_>) -> Result<(), AppError> {
    let (plan, school) = (demo.plan, &demo.school);
    demo.record(
        conn,
        "establishment.created",
        &format!("establishment:{}", school.establishment),
        "demo",
    )?;
    demo.record(
        conn,
        "school_year.created",
        &format!("school_year:{}", school.year),
        &plan.year_label,
    )?;
    for (person, id) in plan.people.iter().zip(&school.people).skip(1) {
        if person.role != Role::Student {
            let detail = format!("roles: {}", person.role.as_str());
            demo.record(conn, "account.created", &format!("user:{id}"), &detail)?;
        }
    }
    for (class, id) in plan.classes.iter().zip(&school.classes) {
        let object = format!("class:{id}");
        demo.record(conn, "class.created", &object, &class.name)?;
        let teachers: Vec<i64> = class.teachers.iter().map(|&t| school.people[t]).collect();
        let detail = format!("teachers: {teachers:?}");
        demo.record(conn, "class.teachers_assigned", &object, &detail)?;
    }
    let detail = format!(
        "file: demo; created {}, updated 0, unchanged 0",
        plan.count(Role::Student)
    );
    demo.record(
        conn,
        "class_list.imported",
        &format!("school_year:{}", school.year),
        &detail,
    )
}

/// What `passerelle demo` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOutcome {
    Loaded,
    AlreadyLoaded,
}

/// Loads the demo unless its establishment exists: hashes `password` once, writes the
/// school and runs [`STEPS`], all in one transaction.
pub fn load_demo(
    conn: &mut DbConnection,
    plan: &SchoolPlan,
    password: &str,
    now: NaiveDateTime,
) -> Result<DemoOutcome, AppError> {
    if uai_taken(conn, &plan.uai)? {
        return Ok(DemoOutcome::AlreadyLoaded);
    }
    let hash = PasswordHasher::new(1).hash(password)?;
    conn.transaction::<_, AppError, _>(|conn| {
        let school = write_school(conn, plan, &hash, now)?;
        let mut demo = Demo { plan, school, now };
        for step in STEPS {
            step(conn, &mut demo)?;
        }
        Ok(DemoOutcome::Loaded)
    })
}

fn uai_taken(conn: &mut DbConnection, uai: &str) -> Result<bool, AppError> {
    let n: i64 = establishments::table
        .filter(establishments::uai.eq(uai))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// What to print after `passerelle demo`, in French: what is there and how to sign in.
/// `password` is None when it came from the environment (not echoed).
pub fn demo_summary(plan: &SchoolPlan, outcome: &DemoOutcome, password: Option<&str>) -> String {
    let students = plan.count(Role::Student);
    let invited = plan.people.iter().filter(|p| !p.with_password).count();
    let classes: Vec<&str> = plan.classes.iter().map(|c| c.name.as_str()).collect();
    let mut out = match outcome {
        DemoOutcome::Loaded => format!("Démonstration chargée : {}", plan.name),
        DemoOutcome::AlreadyLoaded => {
            format!(
                "Démonstration déjà chargée, rien n'a changé : {}",
                plan.name
            )
        }
    };
    out.push_str(&format!(
        " (UAI {}, académie « {} »), année {}.\n  {} classes : {}.\n  {} enseignants, {} \
         membre de jury, {students} élèves dont {invited} invités (sans mot de passe : à \
         activer depuis Comptes › Invitations).\n",
        plan.uai,
        plan.academie,
        plan.year_label,
        classes.len(),
        classes.join(", "),
        plan.count(Role::Teacher),
        plan.count(Role::Jury),
    ));
    let class_of = |person: usize, teacher: bool| -> String {
        let names: Vec<&str> = plan
            .classes
            .iter()
            .filter(|c| {
                if teacher {
                    c.teachers.contains(&person)
                } else {
                    c.students.contains(&person)
                }
            })
            .map(|c| c.name.as_str())
            .collect();
        names.join(", ")
    };
    let first = |role: Role| {
        plan.people
            .iter()
            .position(|p| p.role == role && p.with_password)
    };
    out.push_str("Pour vous connecter :\n");
    if let Some(a) = first(Role::Admin) {
        out.push_str(&format!("  administration : {}\n", plan.people[a].email));
    }
    if let Some(t) = first(Role::Teacher) {
        out.push_str(&format!(
            "  enseignant     : {} ({})\n",
            plan.people[t].email,
            class_of(t, true)
        ));
    }
    // A student of a final-year class: the one whose portfolio matters soonest.
    let student = plan
        .classes
        .iter()
        .find(|c| c.name.starts_with('T'))
        .and_then(|c| c.students.first().copied())
        .or_else(|| first(Role::Student));
    if let Some(s) = student {
        out.push_str(&format!(
            "  élève          : {} ({})\n",
            plan.people[s].email,
            class_of(s, false)
        ));
    }
    match (outcome, password) {
        (DemoOutcome::AlreadyLoaded, _) => out.push_str(
            "  mot de passe   : celui choisi au premier chargement (par défaut « demo \
             passerelle 2026 »)\n",
        ),
        (_, Some(p)) => out.push_str(&format!("  mot de passe   : {p}\n")),
        (_, None) => out.push_str(&format!("  mot de passe   : celui de {PASSWORD_ENV}\n")),
    }
    out
}

// ---------------------------------------------------------------------------------------
// passerelle generate

/// What `passerelle generate` created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generated {
    pub establishments: usize,
    pub classes: usize,
    pub admins: usize,
    pub teachers: usize,
    pub students: usize,
    pub exercises: usize,
    pub fiches: usize,
    pub elapsed: Duration,
    /// The first establishment's admin, to sign in with.
    pub first_admin: Option<String>,
}

/// Generated establishment number `seq` (its UAI and emails derive from it) with
/// `students` students in classes of about [`GENERATED_CLASS_SIZE`].
pub fn generated_plan(seq: u64, students: usize) -> Result<SchoolPlan, AppError> {
    let uai = format!("{:07}G", 8_000_000 + seq % 2_000_000);
    let domain = format!("{}.passerelle.test", uai.to_lowercase());
    let n_classes = students.div_ceil(GENERATED_CLASS_SIZE).max(1);
    let n_teachers = n_classes.div_ceil(2).max(2);
    let mut people = Vec::with_capacity(1 + n_teachers + students);
    people.push(Person {
        email: format!("admin@{domain}"),
        first_name: "Direction".to_owned(),
        last_name: format!("Lycée {seq}"),
        role: Role::Admin,
        birth_date: None,
        ine: None,
        with_password: true,
    });
    for t in 0..n_teachers {
        let (first, last) = name_of(seq as usize * 31 + t * 17 + 7);
        people.push(Person {
            email: format!("{}.{t}@{domain}", email_local(first, last)),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            role: Role::Teacher,
            birth_date: None,
            ine: None,
            with_password: true,
        });
    }
    let mut classes: Vec<ClassPlan> = (0..n_classes)
        .map(|c| {
            let (prefix, referential) = if c.is_multiple_of(2) {
                ("BTS GPME", "bts-gpme")
            } else {
                ("AGOrA", "bacpro-agora")
            };
            ClassPlan {
                name: format!("{prefix} {}", c / 2 + 1),
                referential,
                // Two teachers per class, each teaching about four classes.
                teachers: vec![1 + c % n_teachers, 1 + (c + 1) % n_teachers],
                students: Vec::new(),
            }
        })
        .collect();
    for k in 0..students {
        let class = &mut classes[k % n_classes];
        let (first, last) = name_of(seq as usize * 1000 + k);
        class.students.push(people.len());
        people.push(Person {
            email: format!("{}.{k}@eleves.{domain}", email_local(first, last)),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            role: Role::Student,
            birth_date: Some(birth_date(class.referential, &class.name, k)?),
            ine: Some(ine(seq % 1000 * 10_000_000 + k as u64)),
            with_password: true,
        });
    }
    Ok(SchoolPlan {
        name: format!("Lycée généré n° {seq}"),
        uai,
        academie: "Génération".to_owned(),
        year_label: YEAR_LABEL.to_owned(),
        year_starts: date(2026, 9, 1)?,
        year_ends: date(2027, 7, 4)?,
        people,
        classes,
    })
}

/// Creates `establishments` establishments sharing `students` students (one password
/// hash for every account), one transaction per establishment. Numbers continue after
/// the establishments already there, so running it again adds more.
pub fn generate(
    conn: &mut DbConnection,
    students: usize,
    establishments: usize,
    exercises_per_class: usize,
    fiches_per_student: usize,
    password: &str,
    now: NaiveDateTime,
) -> Result<Generated, AppError> {
    let started = Instant::now();
    let establishments = establishments.max(1);
    let hash = PasswordHasher::new(1).hash(password)?;
    let last: Option<i64> = establishments::table
        .select(diesel::dsl::max(establishments::id))
        .first(conn)?;
    let first_seq = u64::try_from(last.unwrap_or(0)).unwrap_or(0) + 1;
    let mut report = Generated::default();
    for e in 0..establishments {
        let share = students / establishments + usize::from(e < students % establishments);
        let plan = generated_plan(first_seq + e as u64, share)?;
        if uai_taken(conn, &plan.uai)? {
            return Err(AppError::conflict(
                "uai_taken",
                format!("l'établissement {} existe déjà", plan.uai),
            ));
        }
        let (exercises, fiches) = conn.transaction::<_, AppError, _>(|conn| {
            let school = write_school(conn, &plan, &hash, now)?;
            let exercises = crate::exercises::generate::exercises_for(
                conn,
                &plan,
                &school,
                exercises_per_class,
                now,
            )?;
            let fiches =
                crate::portfolio::generate::fiches_for(conn, &plan, &school, fiches_per_student)?;
            audit::record(
                conn,
                now,
                Entry {
                    actor_id: None,
                    establishment_id: Some(school.establishment),
                    action: "establishment.generated",
                    object: &format!("establishment:{}", school.establishment),
                    detail: &format!("students: {share}"),
                },
            )?;
            Ok((exercises, fiches))
        })?;
        report.establishments += 1;
        report.exercises += exercises;
        report.fiches += fiches;
        report.classes += plan.classes.len();
        report.admins += plan.count(Role::Admin);
        report.teachers += plan.count(Role::Teacher);
        report.students += plan.count(Role::Student);
        if report.first_admin.is_none() {
            report.first_admin = plan.people.first().map(|p| p.email.clone());
        }
    }
    // As a real académie's long-lived database would have them: statistics, and (on
    // PostgreSQL) the visibility map that lets the covering indexes answer alone.
    crate::db::settle_after_bulk_load(conn)?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// "1 classe", "2 classes".
fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n > 1 { "s" } else { "" })
}

/// What to print after `passerelle generate`, in French.
pub fn generated_summary(report: &Generated, password: Option<&str>) -> String {
    let mut out = format!(
        "Généré en {} s : {}, {}, {}, {}, {}, {}.\n",
        format!("{:.1}", report.elapsed.as_secs_f64()).replace('.', ","),
        plural(report.establishments, "établissement"),
        plural(report.classes, "classe"),
        plural(report.admins, "administrateur"),
        plural(report.teachers, "enseignant"),
        plural(report.students, "élève"),
        plural(report.exercises, "exercice"),
    );
    if report.fiches > 0 {
        out.insert_str(
            out.len() - 2,
            &format!(", {}", plural(report.fiches, "fiche")),
        );
    }
    if let Some(admin) = &report.first_admin {
        out.push_str(&format!("  administration du premier : {admin}\n"));
    }
    match password {
        Some(p) => out.push_str(&format!("  mot de passe (tous les comptes) : {p}\n")),
        None => out.push_str(&format!(
            "  mot de passe (tous les comptes) : celui de {PASSWORD_ENV}\n"
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_plan_is_consistent() {
        let plan = demo_plan().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.classes.len(), DEMO_CLASSES.len());
        assert_eq!(
            plan.count(Role::Student),
            DEMO_CLASSES.len() * DEMO_STUDENTS_PER_CLASS
        );
        assert_eq!(plan.count(Role::Teacher), 4);
        assert_eq!(plan.count(Role::Jury), 1);
        let emails: HashSet<&str> = plan.people.iter().map(|p| p.email.as_str()).collect();
        assert_eq!(emails.len(), plan.people.len());
        let ines: HashSet<&str> = plan
            .people
            .iter()
            .filter_map(|p| p.ine.as_deref())
            .collect();
        assert_eq!(ines.len(), plan.count(Role::Student));
        for p in &plan.people {
            if let Some(ine) = &p.ine {
                assert_eq!(ine.len(), 11);
                assert!(ine[..10].bytes().all(|b| b.is_ascii_digit()), "{ine}");
                assert!(ine.as_bytes()[10].is_ascii_uppercase(), "{ine}");
            }
            assert!(p.email.is_ascii(), "{}", p.email);
        }
        assert!(plan.classes.iter().all(|c| !c.teachers.is_empty()));
        assert!(plan.people.iter().any(|p| !p.with_password));
        assert_eq!(plan, demo_plan().unwrap_or_else(|e| panic!("{e}")));
    }

    #[test]
    fn generated_plans_are_unique_and_sized() {
        let a = generated_plan(1, 100).unwrap_or_else(|e| panic!("{e}"));
        let b = generated_plan(2, 100).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a.uai, b.uai);
        assert_eq!(a.count(Role::Student), 100);
        assert_eq!(a.classes.len(), 3);
        let emails: HashSet<&str> = a
            .people
            .iter()
            .chain(&b.people)
            .map(|p| p.email.as_str())
            .collect();
        assert_eq!(emails.len(), a.people.len() + b.people.len());
        assert!(a
            .classes
            .iter()
            .all(|c| c.students.len() <= GENERATED_CLASS_SIZE));
    }
}
