//! `passerelle demo` and `passerelle generate`, on SQLite and PostgreSQL: the demo loads
//! once (a second run changes nothing) and its printed accounts sign in and see their
//! screens filled; generated data has the counts asked for.

use passerelle::demo::{
    DEFAULT_PASSWORD, DEMO_ADMIN_EMAIL, DEMO_CLASSES, DEMO_INVITED_PER_CLASS,
    DEMO_STUDENTS_PER_CLASS,
};
use passerelle_tests::school::sign_in_with;
use passerelle_tests::{on_both_engines, referentials_dir, run_cli, TestDatabase, TestServer};
use serde_json::Value;

/// Runs the CLI, expects success, returns stdout.
fn cli(db: &TestDatabase, args: &[&str]) -> String {
    let out = run_cli(db, &referentials_dir(), args);
    assert!(
        out.status.success(),
        "passerelle {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Signs in with the demo password; returns the access token.
fn sign_in(server: &TestServer, email: &str) -> String {
    sign_in_with(server, email, DEFAULT_PASSWORD)
}

fn get(server: &TestServer, path: &str, token: &str) -> Vec<Value> {
    let (status, body) = server.call("GET", path, Some(token), None);
    assert_eq!(status, 200, "GET {path}: {body}");
    body.as_array().cloned().unwrap_or_default()
}

/// Rows of every table the demo writes to, to tell that a second run changed nothing.
fn row_counts(db: &TestDatabase) -> Vec<i64> {
    use diesel::prelude::*;
    use passerelle::schema::*;
    let pool = passerelle::db::connect(&passerelle::config::DatabaseUrl::parse(&db.url), 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    let conn = &mut *conn;
    let counts: [QueryResult<i64>; 16] = [
        establishments::table.count().get_result(conn),
        school_years::table.count().get_result(conn),
        classes::table.count().get_result(conn),
        users::table.count().get_result(conn),
        user_roles::table.count().get_result(conn),
        class_teachers::table.count().get_result(conn),
        class_students::table.count().get_result(conn),
        audit_log::table.count().get_result(conn),
        exercises::table.count().get_result(conn),
        exercise_items::table.count().get_result(conn),
        class_exercises::table.count().get_result(conn),
        fiches::table.count().get_result(conn),
        fiche_events::table.count().get_result(conn),
        exam_sessions::table.count().get_result(conn),
        exam_candidates::table.count().get_result(conn),
        exam_grids::table.count().get_result(conn),
    ];
    counts
        .into_iter()
        .map(|c| c.unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn the_demo_loads_once_and_its_accounts_sign_in(db: &TestDatabase) {
    let first = cli(db, &["demo"]);
    assert!(first.contains("Démonstration chargée"), "{first}");
    assert!(first.contains(DEMO_ADMIN_EMAIL), "{first}");
    assert!(first.contains(DEFAULT_PASSWORD), "{first}");
    let after_first = row_counts(db);
    assert!(after_first.iter().all(|&n| n > 0), "{after_first:?}");

    let second = cli(db, &["demo"]);
    assert!(second.contains("déjà chargée"), "{second}");
    assert_eq!(row_counts(db), after_first);

    // The printed student: the first word with the students' domain.
    let student = first
        .lines()
        .find(|l| l.trim_start().starts_with("élève"))
        .and_then(|l| {
            l.split_whitespace()
                .find(|w| w.ends_with("@eleves.passerelle.test"))
        })
        .unwrap_or_else(|| panic!("no student in {first}"))
        .to_owned();

    let server = TestServer::start(db, &referentials_dir(), None);
    let admin = sign_in(&server, DEMO_ADMIN_EMAIL);
    let classes = get(&server, "/api/classes", &admin);
    let mut names: Vec<&str> = classes.iter().filter_map(|c| c["name"].as_str()).collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = DEMO_CLASSES.iter().map(|(n, _)| *n).collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    assert!(classes.iter().all(|c| c["school_year"] == "2026-2027"));

    let students = get(&server, "/api/accounts?role=student", &admin);
    assert_eq!(students.len(), DEMO_CLASSES.len() * DEMO_STUDENTS_PER_CLASS);
    let invited = students.iter().filter(|s| s["status"] == "invited").count();
    assert_eq!(invited, DEMO_CLASSES.len() * DEMO_INVITED_PER_CLASS);
    assert!(students
        .iter()
        .all(|s| s["ine"].as_str().is_some_and(|i| i.len() == 11) && s["birth_date"].is_string()));
    let teachers = get(&server, "/api/accounts?role=teacher", &admin);
    assert_eq!(teachers.len(), 4);
    assert!(teachers.iter().all(|t| t["status"] == "active"));
    assert_eq!(get(&server, "/api/accounts?role=jury", &admin).len(), 1);
    assert!(!get(&server, "/api/audit", &admin).is_empty());

    // The teacher finds a shared catalogue, and her classes' progression and coverage
    // filled: exercises done early in the year, others planned.
    let teacher = sign_in(&server, "claire.dubreuil@passerelle.test");
    let catalogue = get(&server, "/api/exercises", &teacher);
    assert!(catalogue.len() >= 10, "{catalogue:?}");
    for class in get(&server, "/api/classes", &teacher) {
        let id = class["id"].as_i64().unwrap_or_default();
        assert!(!get(&server, &format!("/api/classes/{id}/exercises"), &teacher).is_empty());
        let (status, coverage) = server.call(
            "GET",
            &format!("/api/classes/{id}/coverage?on=2026-10-15"),
            Some(&teacher),
            None,
        );
        assert_eq!(status, 200, "{coverage}");
        let done = coverage["done_items"].as_u64().unwrap_or_default();
        let covered = coverage["covered_items"].as_u64().unwrap_or_default();
        assert!(
            done > 0 && covered > done,
            "{}: {done}/{covered}",
            class["name"]
        );
    }

    // Portfolios: the teacher has fiches to review; the jury member a session with a
    // locked grid and one being assessed.
    let queue = get(&server, "/api/reviews", &teacher);
    assert!(!queue.is_empty(), "fiches waiting for review");
    let juror = sign_in(&server, "patrick.vasseur@passerelle.test");
    let sessions = get(&server, "/api/exam-sessions", &juror);
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let id = sessions[0]["id"].as_i64().unwrap_or_default();
    let (status, session) = server.call(
        "GET",
        &format!("/api/exam-sessions/{id}"),
        Some(&juror),
        None,
    );
    assert_eq!(status, 200, "{session}");
    let candidate = session["candidates"][0]["id"].as_i64().unwrap_or_default();
    let (status, grid) = server.call(
        "GET",
        &format!("/api/candidates/{candidate}/grid"),
        Some(&juror),
        None,
    );
    assert_eq!(
        (status, grid["status"].as_str()),
        (200, Some("locked")),
        "{grid}"
    );
    assert!(session["candidates"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["conforme"] == false));

    // The student sees their class only, as printed.
    let token = sign_in(&server, &student);
    let fiches = get(&server, "/api/fiches", &token);
    assert!(!fiches.is_empty(), "the student's portfolio is filled");
    let mine = get(&server, "/api/classes", &token);
    assert_eq!(mine.len(), 1, "{mine:?}");
    let class = mine[0]["name"].as_str().unwrap_or_default();
    assert!(
        first.contains(&format!("{student} ({class})")),
        "{class}: {first}"
    );
}

fn generate_creates_the_counts_asked_for(db: &TestDatabase) {
    let out = cli(
        db,
        &["generate", "--students", "500", "--establishments", "3"],
    );
    assert!(out.contains("3 établissements"), "{out}");
    assert!(out.contains("500 élèves"), "{out}");
    let admin_email = out
        .split_whitespace()
        .find(|w| w.starts_with("admin@"))
        .unwrap_or_else(|| panic!("no admin in {out}"))
        .to_owned();

    use diesel::prelude::*;
    use passerelle::schema::*;
    let pool = passerelle::db::connect(&passerelle::config::DatabaseUrl::parse(&db.url), 1)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut conn = pool.get().unwrap_or_else(|e| panic!("{e}"));
    let conn = &mut *conn;
    let count = |role: &str, conn: &mut passerelle::db::DbConnection| -> i64 {
        user_roles::table
            .filter(user_roles::role.eq(role))
            .count()
            .get_result(conn)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(count("student", conn), 500);
    assert_eq!(count("admin", conn), 3);
    let establishments: i64 = establishments::table
        .count()
        .get_result(conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(establishments, 3);
    let memberships: i64 = class_students::table
        .count()
        .get_result(conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(memberships, 500);
    // Every class has teachers and at most 35 students.
    let sizes: Vec<(i64, i64)> = class_students::table
        .group_by(class_students::class_id)
        .select((class_students::class_id, diesel::dsl::count_star()))
        .load(conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        sizes.iter().all(|&(_, n)| (1..=35).contains(&n)),
        "{sizes:?}"
    );
    let untaught: i64 = classes::table
        .filter(diesel::dsl::not(diesel::dsl::exists(
            class_teachers::table.filter(class_teachers::class_id.eq(classes::id)),
        )))
        .count()
        .get_result(conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(untaught, 0);
    // 30 exercises (the default) per referential and establishment, all assigned to each
    // class preparing it.
    let exercises: i64 = exercises::table
        .count()
        .get_result(conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exercises, 3 * 2 * 30);
    let assigned: i64 = class_exercises::table
        .count()
        .get_result(conn)
        .unwrap_or_else(|e| panic!("{e}"));
    let classes: i64 = classes::table
        .count()
        .get_result(conn)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(assigned, classes * 30);

    // One establishment's admin sees its share: 500 / 3 → 167 for the first.
    let server = TestServer::start(db, &referentials_dir(), None);
    let admin = sign_in(&server, &admin_email);
    assert_eq!(
        get(&server, "/api/accounts?role=student", &admin).len(),
        167
    );
    assert_eq!(get(&server, "/api/classes", &admin).len(), 5);

    // Running it again adds establishments with fresh UAIs and emails.
    let again = cli(
        db,
        &["generate", "--students", "10", "--establishments", "1"],
    );
    assert!(again.contains("1 établissement,"), "{again}");
}

on_both_engines!(
    the_demo_loads_once_and_its_accounts_sign_in,
    generate_creates_the_counts_asked_for,
);
