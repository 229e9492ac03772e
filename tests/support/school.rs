//! A school built over the real API, for tests that need people: the first admin from
//! the CLI, the establishment, a school year, classes, accounts activated with their
//! invitation codes, and class lists imported.

use serde_json::{json, Value};

use crate::{referentials_dir, run_cli_with, TestDatabase, TestServer};

/// The password every account of a test school ends up with.
pub const PASSWORD: &str = "correct horse battery staple";

/// Creates an admin with the CLI (`passerelle admin create`).
pub fn create_admin_cli(db: &TestDatabase, email: &str) {
    let out = run_cli_with(
        db,
        &referentials_dir(),
        &[
            "admin",
            "create",
            "--email",
            email,
            "--first-name",
            "Claire",
            "--last-name",
            "Martin",
        ],
        &[("PASSERELLE_ADMIN_PASSWORD", PASSWORD)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs in with [`PASSWORD`] and returns the access token.
pub fn sign_in(server: &TestServer, email: &str) -> String {
    sign_in_with(server, email, PASSWORD)
}

/// Signs in with `password` and returns the access token.
pub fn sign_in_with(server: &TestServer, email: &str, password: &str) -> String {
    let (status, body) = server.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({ "email": email, "password": password })),
    );
    assert_eq!(status, 200, "login {email}: {body}");
    token_of(&body)
}

fn token_of(body: &Value) -> String {
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token in {body}"))
        .to_owned()
}

fn id_of(body: &Value) -> i64 {
    body["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {body}"))
}

/// One establishment with its admin signed in and a school year.
pub struct School<'a> {
    pub server: &'a TestServer,
    pub admin: String,
    pub establishment_id: i64,
    pub year_id: i64,
}

impl<'a> School<'a> {
    /// The admin `admin_email` (created with the CLI) creates establishment `uai` and the
    /// year 2026-2027.
    pub fn open(server: &'a TestServer, db: &TestDatabase, uai: &str, admin_email: &str) -> Self {
        create_admin_cli(db, admin_email);
        let admin = sign_in(server, admin_email);
        let (status, body) = server.call(
            "POST",
            "/api/establishment",
            Some(&admin),
            Some(json!({ "name": format!("Lycée {uai}"), "uai": uai, "academie": "Paris" })),
        );
        assert_eq!(status, 201, "{body}");
        let establishment_id = id_of(&body);
        let (status, body) = server.call(
            "POST",
            "/api/school-years",
            Some(&admin),
            Some(
                json!({ "label": "2026-2027", "starts_on": "2026-09-01", "ends_on": "2027-07-04" }),
            ),
        );
        assert_eq!(status, 201, "{body}");
        School {
            server,
            admin,
            establishment_id,
            year_id: id_of(&body),
        }
    }

    /// A class of the year; returns its id.
    pub fn class(&self, name: &str, referential: &str) -> i64 {
        let (status, body) = self.server.call(
            "POST",
            "/api/classes",
            Some(&self.admin),
            Some(json!({ "name": name, "school_year_id": self.year_id, "referential_id": referential })),
        );
        assert_eq!(status, 201, "{body}");
        id_of(&body)
    }

    /// An invited account; returns its id.
    pub fn account(&self, email: &str, first_name: &str, last_name: &str, role: &str) -> i64 {
        let (status, body) = self.server.call(
            "POST",
            "/api/accounts",
            Some(&self.admin),
            Some(json!({ "email": email, "first_name": first_name, "last_name": last_name, "roles": [role] })),
        );
        assert_eq!(status, 201, "{body}");
        id_of(&body)
    }

    pub fn assign_teachers(&self, class: i64, teachers: &[i64]) {
        let (status, body) = self.server.call(
            "PUT",
            &format!("/api/classes/{class}/teachers"),
            Some(&self.admin),
            Some(json!({ "teacher_ids": teachers })),
        );
        assert_eq!(status, 200, "{body}");
    }

    /// Imports a CSV class list (commit); returns the report.
    pub fn import_csv(&self, csv: &str) -> Value {
        let (status, body) = self.server.upload(
            "/api/class-lists/commit?file_name=liste.csv",
            &self.admin,
            csv.as_bytes(),
        );
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Fresh invitation codes for `users`, as JSON: user id → code.
    pub fn invitation_codes(&self, users: &[i64]) -> Vec<(i64, String)> {
        let response = ureq::post(&self.server.url("/api/invitations"))
            .set("Authorization", &format!("Bearer {}", self.admin))
            .set("Accept", "application/json")
            .send_json(json!({ "user_ids": users }))
            .unwrap_or_else(|e| panic!("invitations: {e}"));
        let list: Value = response
            .into_json()
            .unwrap_or_else(|e| panic!("invitations: {e}"));
        list.as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                (
                    i["user_id"].as_i64().unwrap_or_default(),
                    i["code"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Activates `user` (whose email is `email`) with a fresh code and [`PASSWORD`];
    /// returns its access token.
    pub fn activate(&self, user: i64, email: &str) -> String {
        let codes = self.invitation_codes(&[user]);
        let code = &codes
            .first()
            .unwrap_or_else(|| panic!("no code for {user}"))
            .1;
        let (status, body) = self.server.call(
            "POST",
            "/api/auth/activate",
            None,
            Some(json!({ "email": email, "code": code, "password": PASSWORD })),
        );
        assert_eq!(status, 200, "{body}");
        token_of(&body)
    }
}
