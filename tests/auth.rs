//! Sign-in over HTTP, on SQLite and PostgreSQL: the CLI-created admin signs in, refreshes
//! (rotation, replay detection), signs out, changes password; revocation takes effect at
//! once; no user enumeration; throttling; the server refuses a missing or weak secret.

use passerelle_api::{Me, Role, TokenResponse};

use passerelle_tests::school::{create_admin_cli, PASSWORD};
use passerelle_tests::{
    on_both_engines, referentials_dir, run_cli_with, serve_exits_with_success, TestDatabase,
    TestServer,
};
use serde_json::{json, Value};

const EMAIL: &str = "Direction@Lycee-Exemple.fr";

on_both_engines!(
    the_cli_admin_signs_in_refreshes_and_signs_out,
    a_replayed_refresh_token_ends_the_session,
    a_password_change_ends_every_session,
    unknown_email_and_wrong_password_look_the_same,
    repeated_failures_are_throttled,
    a_school_behind_one_address_survives_an_attacker,
    every_answer_carries_the_browser_protections,
    a_burst_of_concurrent_guesses_is_counted_guess_by_guess,
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

/// What a client holds after a sign-in or a renewal: the answer's access token, and the
/// refresh token of its cookie.
struct Session {
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    token_type: String,
}

fn session_of(status: u16, body: Value, cookie: Option<String>) -> Session {
    assert_eq!(status, 200, "{body}");
    // The body holds no refresh token: scripts on the page never see it.
    assert!(body.get("refresh_token").is_none(), "{body}");
    let tokens: TokenResponse = serde_json::from_value(body).unwrap_or_else(|e| panic!("{e}"));
    Session {
        access_token: tokens.access_token,
        refresh_token: cookie.unwrap_or_else(|| panic!("no refresh cookie")),
        expires_in: tokens.expires_in,
        token_type: tokens.token_type,
    }
}

fn signed_in(server: &TestServer) -> Session {
    let (status, body, cookie) = server.login("direction@lycee-exemple.fr", PASSWORD);
    session_of(status, body, cookie)
}

fn me_status(server: &TestServer, access: &str) -> u16 {
    server.call("GET", "/api/me", Some(access), None).0
}

fn refresh(server: &TestServer, refresh_token: &str) -> (u16, Value) {
    let (status, body, _) = server.refresh(refresh_token);
    (status, body)
}

fn refreshed(server: &TestServer, refresh_token: &str) -> Session {
    let (status, body, cookie) = server.refresh(refresh_token);
    session_of(status, body, cookie)
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
    let rotated = refreshed(&server, &tokens.refresh_token);
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
    let second = refreshed(&server, &first.refresh_token);
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
    // A refresh another site could send (no anti-CSRF header, or the browser's Fetch
    // Metadata saying cross-site) is refused before the token is even read.
    let cookie = format!("passerelle_refresh={}", other.refresh_token);
    for (header, value) in [("X-Other", "1"), ("Sec-Fetch-Site", "cross-site")] {
        let mut request = ureq::post(&server.url("/api/auth/refresh")).set("Cookie", &cookie);
        request = request.set(header, value);
        if header == "Sec-Fetch-Site" {
            request = request.set("X-Passerelle-CSRF", "1");
        }
        match request.call() {
            Err(ureq::Error::Status(403, r)) => {
                let body: Value = r.into_json().unwrap_or(Value::Null);
                assert_eq!(body["code"], "forbidden", "{body}");
            }
            other => panic!("{header}: expected 403, got {other:?}"),
        }
    }
    // The token was not spent by the refused attempts.
    let _ = refreshed(&server, &other.refresh_token);
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
    // Warm up (the first request pays for the server's first connections and the
    // hasher's work area), then take the median of three of each.
    login(
        &server,
        "echauffement@lycee-exemple.fr",
        "mauvais mot de passe",
    );
    let timed = |email: &str| {
        let mut times = Vec::new();
        let mut answer = (0, Value::Null);
        for _ in 0..3 {
            let started = std::time::Instant::now();
            answer = login(&server, email, "mauvais mot de passe");
            times.push(started.elapsed());
        }
        times.sort();
        (answer, times[1])
    };
    let (wrong, wrong_time) = timed(EMAIL);
    let (unknown, unknown_time) = timed("personne@lycee-exemple.fr");
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

/// A sign-in sent through the trusted reverse proxy (the test's loopback) on behalf of
/// `client`: (status, Retry-After, body).
fn login_from(server: &TestServer, client: &str, email: &str, password: &str) -> (u16, i64, Value) {
    let response = ureq::post(&server.url("/api/auth/login"))
        .set("X-Forwarded-For", client)
        .send_json(json!({ "email": email, "password": password }));
    let (status, response) = match response {
        Ok(r) => (r.status(), r),
        Err(ureq::Error::Status(code, r)) => (code, r),
        Err(e) => panic!("login: {e}"),
    };
    let retry = response
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let body = response.into_json().unwrap_or(Value::Null);
    (status, retry, body)
}

/// Behind the school's reverse proxy (TRUSTED_PROXIES): the server counts the address the
/// proxy forwards.
fn behind_proxy(db: &TestDatabase) -> TestServer {
    TestServer::start_with(
        db,
        &referentials_dir(),
        None,
        &[("TRUSTED_PROXIES", "127.0.0.1, ::1")],
    )
}

fn audit_actions(server: &TestServer, admin: &str) -> Vec<(String, String)> {
    let (status, body) = server.call("GET", "/api/audit?limit=500", Some(admin), None);
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap_or_else(|| panic!("audit: {body}"))
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn repeated_failures_are_throttled(db: &TestDatabase) {
    create_admin_cli(db, EMAIL);
    let server = behind_proxy(db);
    // The admin's establishment first: its audit log is where the failures are told.
    let (status, _, body) = login_from(&server, "192.0.2.10", EMAIL, PASSWORD);
    assert_eq!(status, 200, "{body}");
    let admin = body["access_token"].as_str().unwrap_or_default().to_owned();
    let (status, body) = server.call(
        "POST",
        "/api/establishment",
        Some(&admin),
        Some(json!({ "name": "Lycée Exemple", "uai": "0750001A", "academie": "Paris" })),
    );
    assert_eq!(status, 201, "{body}");
    let attacker = "198.51.100.66";
    for email in [EMAIL, "inconnu@lycee-exemple.fr"] {
        // Five free failures, a sixth that starts the wait, then waits that double.
        for _ in 0..6 {
            let (status, _, body) = login_from(&server, attacker, email, "mauvais mot de passe");
            assert_eq!(status, 401, "{email}: {body}");
        }
        let (status, retry, body) = login_from(&server, attacker, email, "mauvais mot de passe");
        assert_eq!(status, 429, "{email}: {body}");
        assert_eq!(body["code"], "too_many_attempts");
        assert!((1..=2).contains(&retry), "first wait {retry} s");
    }
    // From the attacker's address the account waits, even with the right password…
    assert_eq!(login_from(&server, attacker, EMAIL, PASSWORD).0, 429);
    // …and a forged X-Forwarded-For in front of the proxy's does not get it out.
    assert_eq!(
        login_from(
            &server,
            &format!("203.0.113.1, {attacker}"),
            EMAIL,
            PASSWORD
        )
        .0,
        429
    );
    // The owner, from anywhere else, signs in at once: no lockout of the innocent.
    let (status, _, body) = login_from(&server, "192.0.2.10", EMAIL, PASSWORD);
    assert_eq!(status, 200, "{body}");
    // Waits double: after the wait, one more failure waits 2 s.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(login_from(&server, attacker, EMAIL, "encore faux").0, 401);
    let (status, retry, _) = login_from(&server, attacker, EMAIL, "encore faux");
    assert_eq!((status, retry), (429, 2));
    let actions = audit_actions(&server, &admin);
    let throttled: Vec<_> = actions
        .iter()
        .filter(|(a, _)| a == "login.throttled")
        .collect();
    // Once, when the wait began (the unknown email belongs to no establishment).
    assert_eq!(throttled.len(), 1, "{actions:?}");
    assert!(throttled[0].1.contains(attacker), "{throttled:?}");
    assert!(
        actions
            .iter()
            .any(|(a, d)| a == "login.failed" && d.contains(attacker)),
        "{actions:?}"
    );
}

/// A lycée of 300 students behind one address (its NAT, or the reverse proxy), with one
/// attacker among them spraying passwords: the students keep signing in.
fn a_school_behind_one_address_survives_an_attacker(db: &TestDatabase) {
    let generated = passerelle_tests::run_cli_with(
        db,
        &referentials_dir(),
        &[
            "generate",
            "--students",
            "300",
            "--establishments",
            "1",
            "--exercises-per-class",
            "0",
        ],
        &[("PASSERELLE_DEMO_PASSWORD", PASSWORD)],
    );
    assert!(generated.status.success(), "{generated:?}");
    let summary = String::from_utf8_lossy(&generated.stdout).into_owned();
    let admin_email = summary
        .split_whitespace()
        .find(|w| w.starts_with("admin@"))
        .unwrap_or_else(|| panic!("no admin in {summary}"))
        .to_owned();
    let server = behind_proxy(db);
    let nat = "203.0.113.40";
    let (status, _, body) = login_from(&server, "192.0.2.1", &admin_email, PASSWORD);
    assert_eq!(status, 200, "{body}");
    let admin = body["access_token"].as_str().unwrap_or_default().to_owned();
    let (status, accounts) = server.call("GET", "/api/accounts", Some(&admin), None);
    assert_eq!(status, 200);
    let students: Vec<String> = accounts
        .as_array()
        .unwrap_or_else(|| panic!("{accounts}"))
        .iter()
        .filter(|a| {
            a["roles"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r == "student"))
        })
        .filter_map(|a| a["email"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(students.len(), 300);
    let sign_all_in = |round: &str| {
        std::thread::scope(|scope| {
            for chunk in students.chunks(75) {
                let server = &server;
                scope.spawn(move || {
                    for (i, email) in chunk.iter().enumerate() {
                        // One in ten mistypes first, as a class does.
                        if i % 10 == 0 {
                            let (status, _, _) =
                                login_from(server, nat, email, "mot de passe oublié");
                            assert_eq!(status, 401, "{round}: {email}");
                        }
                        let (status, _, body) = login_from(server, nat, email, PASSWORD);
                        assert_eq!(status, 200, "{round}: {email}: {body}");
                    }
                });
            }
        });
    };
    sign_all_in("morning");
    // The attacker, behind the same address, sprays 150 accounts that never signed in
    // from it, then goes after a juror.
    let mut refused = 0;
    for i in 0..150 {
        let (status, _, _) = login_from(
            &server,
            nat,
            &format!("cible{i}@lycee.test"),
            "Azerty123456",
        );
        if status == 429 {
            refused += 1;
        }
    }
    assert!(
        refused >= 45,
        "the address past its budget waits: {refused} refused"
    );
    for _ in 0..10 {
        login_from(&server, nat, &admin_email, "Azerty123456");
    }
    // Every student still signs in from the school (typos included), and the juror from
    // outside.
    sign_all_in("afternoon");
    let (status, _, body) = login_from(&server, "192.0.2.1", &admin_email, PASSWORD);
    assert_eq!(status, 200, "{body}");
    // An account that never signed in from the school waits while the attack lasts.
    let (status, retry, _) = login_from(&server, nat, "nouveau@lycee.test", PASSWORD);
    assert_eq!(status, 429);
    assert!(retry >= 1);
    let actions = audit_actions(&server, &admin);
    assert!(
        actions
            .iter()
            .any(|(a, d)| a == "login.address_throttled" && d.contains(nat)),
        "{actions:?}"
    );
}

/// 32 guesses sent at once for one account from one address: each is counted before
/// the next is let through, so no more pass than the free ones and the one that starts
/// the wait; the rest wait (429), and the right password from elsewhere still works.
fn a_burst_of_concurrent_guesses_is_counted_guess_by_guess(db: &TestDatabase) {
    create_admin_cli(db, EMAIL);
    let server = behind_proxy(db);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..32)
            .map(|i| {
                let server = &server;
                scope.spawn(move || {
                    login_from(server, "198.51.100.99", EMAIL, &format!("essai numéro {i}")).0
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("guess thread")))
            .collect()
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let waited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + waited, 32, "{statuses:?}");
    assert!(checked <= 6, "{checked} guesses checked: {statuses:?}");
    assert_eq!(login_from(&server, "192.0.2.20", EMAIL, PASSWORD).0, 200);
}

/// CSP and the other protection headers on every answer (API, pages, errors); HSTS only
/// when the request came over HTTPS, which only a trusted proxy can say.
fn every_answer_carries_the_browser_protections(db: &TestDatabase) {
    let headers = |server: &TestServer, path: &str, proto: Option<&str>| {
        let mut request = ureq::get(&server.url(path));
        if let Some(proto) = proto {
            request = request.set("X-Forwarded-Proto", proto);
        }
        let response = match request.call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{path}: {e}"),
        };
        let get = |name: &str| response.header(name).map(str::to_owned);
        (
            get("content-security-policy"),
            get("strict-transport-security"),
            get("x-content-type-options"),
            get("x-frame-options"),
        )
    };
    let direct = TestServer::start(db, &referentials_dir(), None);
    for path in ["/api/health", "/api/nope", "/referentiels/bts-gpme"] {
        let (csp, hsts, nosniff, frame) = headers(&direct, path, Some("https"));
        let csp = csp.unwrap_or_else(|| panic!("{path}: no CSP"));
        for directive in [
            "script-src 'self' 'wasm-unsafe-eval'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(
            !csp.split(';')
                .any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline")),
            "{csp}"
        );
        // Plain HTTP, and a forwarded "https" from a client nobody trusts: no HSTS.
        assert_eq!(hsts, None, "{path}");
        assert_eq!(nosniff.as_deref(), Some("nosniff"));
        assert_eq!(frame.as_deref(), Some("DENY"));
    }
    drop(direct);
    let proxied = behind_proxy(db);
    let (_, hsts, _, _) = headers(&proxied, "/api/health", Some("https"));
    assert_eq!(hsts.as_deref(), Some("max-age=63072000; includeSubDomains"));
    let (_, hsts, _, _) = headers(&proxied, "/api/health", Some("http"));
    assert_eq!(hsts, None);
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
    // Nor with a secret published in the repository (the bench scripts' of old).
    assert!(!serve_exits_with_success(
        db,
        &dir,
        &[(
            "JWT_SECRET",
            "bench-secret-7c1e9a4f2b6d8e03a5c7f9b1d3e5a7c9"
        )]
    ));
    // With a good secret (TestServer draws one) it serves.
    assert!(passerelle_tests::test_jwt_secret().len() >= 32);
    let server = TestServer::start(db, &dir, None);
    assert_eq!(server.get("/api/health").0, 200);
}
