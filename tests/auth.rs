//! Sign-in over HTTP, on SQLite and PostgreSQL: the CLI-created admin signs in, refreshes
//! (rotation, replay detection), signs out, changes password; revocation takes effect at
//! once; no user enumeration; throttling; the server refuses a missing or weak secret.

use passerelle_api::{Me, Role, TokenResponse};
use passerelle_tests::school::{create_admin_cli, PASSWORD};
use passerelle_tests::{
    on_both_engines, referentials_dir, run_cli_with, serve_exits_with_success, TestDatabase,
    TestServer, TEST_JWT_SECRET,
};
use serde_json::{json, Value};

const EMAIL: &str = "Direction@Lycee-Exemple.fr";

on_both_engines!(
    the_cli_admin_signs_in_refreshes_and_signs_out,
    a_replayed_refresh_token_ends_the_session,
    a_password_change_ends_every_session,
    unknown_email_and_wrong_password_look_the_same,
    repeated_failures_are_throttled,
    forged_or_missing_tokens_are_refused,
    the_cli_refuses_weak_passwords_and_duplicates,
    the_server_refuses_a_missing_or_weak_secret,
);

fn login(server: &TestServer, email: &str, password: &str) -> (u16, Value) {
    server.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({ "email": email, "password": password })),
    )
}

fn signed_in(server: &TestServer) -> TokenResponse {
    let (status, body) = login(server, "direction@lycee-exemple.fr", PASSWORD);
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"))
}

fn me_status(server: &TestServer, access: &str) -> u16 {
    server.call("GET", "/api/me", Some(access), None).0
}

fn refresh(server: &TestServer, refresh_token: &str) -> (u16, Value) {
    server.call(
        "POST",
        "/api/auth/refresh",
        None,
        Some(json!({ "refresh_token": refresh_token })),
    )
}

fn the_cli_admin_signs_in_refreshes_and_signs_out(db: &TestDatabase) {
    create_admin_cli(db, EMAIL);
    let server = TestServer::start(db, &referentials_dir(), None);
    let tokens = signed_in(&server);
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.expires_in > 0 && tokens.expires_in <= 15 * 60);
    assert_ne!(tokens.access_token, tokens.refresh_token);

    let (status, body) = server.call("GET", "/api/me", Some(&tokens.access_token), None);
    assert_eq!(status, 200, "{body}");
    let me: Me = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(me.email, "direction@lycee-exemple.fr");
    assert_eq!(
        (me.first_name.as_str(), me.last_name.as_str()),
        ("Claire", "Martin")
    );
    assert_eq!(me.roles, [Role::Admin]);
    assert_eq!(me.establishment, None);

    // Rotation: a new pair, both work.
    let (status, body) = refresh(&server, &tokens.refresh_token);
    assert_eq!(status, 200, "{body}");
    let rotated: TokenResponse = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(rotated.refresh_token, tokens.refresh_token);
    assert_eq!(me_status(&server, &rotated.access_token), 200);

    // Sign-out kills the session's access tokens at once, and its refresh token.
    let (status, _) = server.call(
        "POST",
        "/api/auth/logout",
        Some(&rotated.access_token),
        None,
    );
    assert_eq!(status, 204);
    assert_eq!(me_status(&server, &rotated.access_token), 401);
    assert_eq!(me_status(&server, &tokens.access_token), 401);
    assert_eq!(refresh(&server, &rotated.refresh_token).0, 401);
}

fn a_replayed_refresh_token_ends_the_session(db: &TestDatabase) {
    create_admin_cli(db, EMAIL);
    let server = TestServer::start(db, &referentials_dir(), None);
    let first = signed_in(&server);
    let (status, body) = refresh(&server, &first.refresh_token);
    assert_eq!(status, 200, "{body}");
    let second: TokenResponse = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    // The stolen first token comes back: refused, and the legitimate session dies too.
    let (status, body) = refresh(&server, &first.refresh_token);
    assert_eq!(status, 401);
    assert_eq!(body["code"], "invalid_token");
    assert_eq!(me_status(&server, &second.access_token), 401);
    assert_eq!(refresh(&server, &second.refresh_token).0, 401);
    // Another session of the same account is untouched.
    let other = signed_in(&server);
    assert_eq!(me_status(&server, &other.access_token), 200);
    // Junk is refused without a lookup.
    assert_eq!(refresh(&server, "not-a-token").0, 401);
}

fn a_password_change_ends_every_session(db: &TestDatabase) {
    create_admin_cli(db, EMAIL);
    let server = TestServer::start(db, &referentials_dir(), None);
    let laptop = signed_in(&server);
    let phone = signed_in(&server);
    let change = |access: &str, current: &str, new: &str| {
        server.call(
            "POST",
            "/api/auth/password",
            Some(access),
            Some(json!({ "current_password": current, "new_password": new })),
        )
    };
    let (status, body) = change(&laptop.access_token, PASSWORD, "court");
    assert_eq!(status, 400);
    assert_eq!(body["code"], "weak_password");
    assert!(body["message"]
        .as_str()
        .unwrap_or_default()
        .starts_with("new_password"));
    let (status, body) = change(
        &laptop.access_token,
        "pas le bon mot de passe",
        "un nouveau mot de passe sûr",
    );
    assert_eq!(status, 400);
    assert_eq!(body["code"], "wrong_password");
    assert_eq!(
        me_status(&server, &phone.access_token),
        200,
        "a refused change ends nothing"
    );

    let (status, body) = change(
        &laptop.access_token,
        PASSWORD,
        "un nouveau mot de passe sûr",
    );
    assert_eq!(status, 204, "{body}");
    assert_eq!(me_status(&server, &laptop.access_token), 401);
    assert_eq!(me_status(&server, &phone.access_token), 401);
    assert_eq!(refresh(&server, &phone.refresh_token).0, 401);
    assert_eq!(login(&server, EMAIL, PASSWORD).0, 401);
    assert_eq!(login(&server, EMAIL, "un nouveau mot de passe sûr").0, 200);
}

fn unknown_email_and_wrong_password_look_the_same(db: &TestDatabase) {
    create_admin_cli(db, EMAIL);
    let server = TestServer::start(db, &referentials_dir(), None);
    let started = std::time::Instant::now();
    let wrong = login(&server, EMAIL, "mauvais mot de passe");
    let wrong_time = started.elapsed();
    let started = std::time::Instant::now();
    let unknown = login(&server, "personne@lycee-exemple.fr", "mauvais mot de passe");
    let unknown_time = started.elapsed();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong.1["code"], "invalid_credentials");
    // Both hash a password: neither answers in a fraction of the other's time.
    let (fast, slow) = if wrong_time < unknown_time {
        (wrong_time, unknown_time)
    } else {
        (unknown_time, wrong_time)
    };
    assert!(
        fast * 4 > slow,
        "wrong password {wrong_time:?}, unknown email {unknown_time:?}"
    );
}

fn repeated_failures_are_throttled(db: &TestDatabase) {
    create_admin_cli(db, EMAIL);
    let server = TestServer::start(db, &referentials_dir(), None);
    for email in [EMAIL, "inconnu@lycee-exemple.fr"] {
        for _ in 0..5 {
            assert_eq!(login(&server, email, "mauvais mot de passe").0, 401);
        }
        let (status, body) = login(&server, email, "mauvais mot de passe");
        assert_eq!(status, 429, "{email}: {body}");
        assert_eq!(body["code"], "too_many_attempts");
    }
    // Locked even with the right password, until the lock expires.
    assert_eq!(login(&server, EMAIL, PASSWORD).0, 429);
    let response = ureq::post(&server.url("/api/auth/login"))
        .send_json(json!({ "email": EMAIL, "password": PASSWORD }));
    match response {
        Err(ureq::Error::Status(429, r)) => {
            let retry: i64 = r.header("retry-after").unwrap_or("0").parse().unwrap_or(0);
            assert!(retry > 0 && retry <= 15 * 60, "Retry-After {retry}");
        }
        other => panic!("expected 429, got {other:?}"),
    }
}

fn forged_or_missing_tokens_are_refused(db: &TestDatabase) {
    create_admin_cli(db, EMAIL);
    let server = TestServer::start(db, &referentials_dir(), None);
    let good = signed_in(&server);
    let (status, body) = server.call("GET", "/api/me", None, None);
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let mut parts: Vec<String> = good.access_token.split('.').map(str::to_owned).collect();
    assert_eq!(parts.len(), 3);
    let alg_none = format!(
        "{}.{}.",
        b64("{\"alg\":\"none\",\"typ\":\"at+jwt\"}"),
        parts[1]
    );
    parts[2] = parts[2].chars().rev().collect();
    let bad_signature = parts.join(".");
    for forged in [
        alg_none.as_str(),
        bad_signature.as_str(),
        good.refresh_token.as_str(),
        "garbage",
    ] {
        let (status, body) = server.call("GET", "/api/me", Some(forged), None);
        assert_eq!(status, 401, "{forged}: {body}");
        assert_eq!(body["code"], "invalid_token");
    }
    // The real one still works: the refusals above were about the tokens.
    assert_eq!(me_status(&server, &good.access_token), 200);
}

fn b64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn the_cli_refuses_weak_passwords_and_duplicates(db: &TestDatabase) {
    let weak = run_cli_with(
        db,
        &referentials_dir(),
        &["admin", "create", "--email", "x@lycee-exemple.fr"],
        &[("PASSERELLE_ADMIN_PASSWORD", "court")],
    );
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("au moins 12 caractères"));
    create_admin_cli(db, EMAIL);
    let again = run_cli_with(
        db,
        &referentials_dir(),
        &["admin", "create", "--email", "DIRECTION@lycee-exemple.fr"],
        &[("PASSERELLE_ADMIN_PASSWORD", PASSWORD)],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("existe déjà"));
}

fn the_server_refuses_a_missing_or_weak_secret(db: &TestDatabase) {
    let dir = referentials_dir();
    assert!(!serve_exits_with_success(db, &dir, &[]));
    assert!(!serve_exits_with_success(
        db,
        &dir,
        &[("JWT_SECRET", "secret")]
    ));
    assert!(!serve_exits_with_success(
        db,
        &dir,
        &[("JWT_SECRET", &"a".repeat(64))]
    ));
    // With a good secret (TestServer passes TEST_JWT_SECRET) it serves.
    assert!(TEST_JWT_SECRET.len() >= 32);
    let server = TestServer::start(db, &dir, None);
    assert_eq!(server.get("/api/health").0, 200);
}
