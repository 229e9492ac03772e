//! `passerelle-load`: the write load of issue 15 against a running server (see
//! `tests/support/load.rs` and `scripts/load-writes`). Signs in as the admin that
//! `passerelle generate` (or `passerelle demo`) printed, takes `--writers` students of
//! its classes and their teachers, runs them for `--seconds`, reads every acknowledged
//! write back, prints the summary (and `--json`). Exits 1 on any 5xx, request without an
//! answer or lost write, 2 when the run could not be prepared.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Parser;
use passerelle_tests::load;

#[derive(Parser)]
#[command(
    name = "passerelle-load",
    about = "Concurrent writes against a Passerelle server"
)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    base: String,
    /// Concurrent writers (one student account each).
    #[arg(long, default_value_t = 16)]
    writers: usize,
    /// Length of the timed phase.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// The admin whose establishment's classes give the writers (`passerelle generate`
    /// prints the first establishment's).
    #[arg(long, default_value = "admin@8000001g.passerelle.test")]
    admin: String,
    /// Every account's password (`passerelle generate` and `demo` give them all one).
    #[arg(
        long,
        env = "PASSERELLE_DEMO_PASSWORD",
        default_value = "demo passerelle 2026"
    )]
    password: String,
    /// Names the run in the summary (the engine, say).
    #[arg(long, default_value = "passerelle-load")]
    label: String,
    /// Also write the summary as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut run = match load::prepare(&args.base, &args.admin, &args.password, args.writers) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("passerelle-load: preparation failed: {e}");
            return ExitCode::from(2);
        }
    };
    load::run(
        &mut run,
        Duration::from_secs(args.seconds),
        &AtomicBool::new(false),
    );
    let verification = load::verify(&run, &args.base);
    print!("{}", run.summary(&args.label, &verification));
    if let Some(path) = &args.json {
        let json = run.to_json(&args.label, &verification);
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("passerelle-load: {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if run.failed(&verification) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
