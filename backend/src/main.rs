//! `passerelle`: the one binary (serve, load, admin, demo, generate).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use passerelle::auth::{check_password_policy, PasswordHasher, TokenConfig};
use passerelle::config::{
    DatabaseUrl, DEFAULT_BIND, DEFAULT_DATABASE_URL, DEFAULT_REFERENTIALS_DIR, DEFAULT_SPA_DIR,
};
use passerelle::error::AppError;
use passerelle::{audit, auth, db, demo, referentials, server};
use passerelle_api::Role;

#[derive(Parser)]
#[command(
    name = "passerelle",
    version,
    about = "Passerelle: référentiels, exercices PGI, portfolios et grilles CCF"
)]
struct Cli {
    /// sqlite://path, a file path, or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    /// Folder of the referential data files.
    #[arg(long, env = "REFERENTIALS_DIR", default_value = DEFAULT_REFERENTIALS_DIR, global = true)]
    referentials: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, load the referentials, serve the API and the SPA.
    Serve {
        #[arg(long, env = "BIND", default_value = DEFAULT_BIND)]
        bind: String,
        /// Folder of the built SPA (scripts/build-spa).
        #[arg(long, env = "SPA_DIR", default_value = DEFAULT_SPA_DIR)]
        spa_dir: PathBuf,
        /// HTTP worker threads (default: one per core).
        #[arg(long, env = "WORKERS")]
        workers: Option<usize>,
        /// Development mode: without JWT_SECRET / JWT_SECRET_FILE, sign tokens with a random
        /// secret (sessions do not survive a restart). Never in production.
        #[arg(long, env = "PASSERELLE_DEV")]
        dev: bool,
        /// Reverse proxies (addresses or CIDR blocks, comma-separated) whose `Forwarded` /
        /// `X-Forwarded-For` headers give the client's address; none by default.
        #[arg(long, env = "TRUSTED_PROXIES", default_value = "")]
        trusted_proxies: String,
    },
    /// Accounts from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Validate the referential files and load them (all or nothing).
    Load {
        /// Only validate: report problems, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Load a fictional establishment (classes, teachers, students) to try every screen.
    /// Does nothing when it is already there. Password: PASSERELLE_DEMO_PASSWORD.
    Demo,
    /// Generate benchmark-scale data: establishments, classes, teachers and students.
    Generate {
        /// Students in all, shared between the establishments.
        #[arg(long, default_value_t = 20_000)]
        students: usize,
        #[arg(long, default_value_t = 40)]
        establishments: usize,
        /// Exercises per referential of each establishment, all assigned to each class
        /// preparing it (the coverage benchmark uses 300).
        #[arg(long, default_value_t = 30)]
        exercises_per_class: usize,
        /// Fiches per student (1–4 items each, mostly validated; the portfolio benchmark
        /// uses 50).
        #[arg(long, default_value_t = 0)]
        fiches_per_student: usize,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an administrator account. The password is read from
    /// PASSERELLE_ADMIN_PASSWORD, or asked for on the terminal.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("passerelle: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), AppError> {
    let url = DatabaseUrl::parse(&cli.database_url);
    match cli.command {
        Command::Load { dry_run: true } => {
            let data = referentials::read_dir(&cli.referentials).map_err(AppError::InvalidData)?;
            for d in &data.referentials {
                println!("{}: {} items, valid", d.id, d.items.len());
            }
            let pgi = &data.pgi.catalogue;
            println!(
                "PGI catalogue: {} software, {} modules, {} features, {} bases, {} uses, valid",
                pgi.software.len(),
                pgi.modules.len(),
                pgi.features.len(),
                pgi.bases.len(),
                pgi.uses.len()
            );
            println!(
                "correspondences: {} links in {} files, valid",
                data.correspondences.links.len(),
                data.correspondences.pairs.len()
            );
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    first_name,
                    last_name,
                },
        } => {
            let pool = db::connect(&url, 1)?;
            create_admin(&pool, &email, &first_name, &last_name)
        }
        Command::Load { dry_run: false } => {
            let pool = db::connect(&url, 1)?;
            load(&pool, &cli.referentials)
        }
        Command::Demo => {
            let pool = db::connect(&url, 1)?;
            load(&pool, &cli.referentials)?;
            let (password, from_env) = demo::password_from_env()?;
            let plan = demo::demo_plan()?;
            let mut conn = pool.get()?;
            let outcome =
                demo::load_demo(&mut conn, &plan, &password, chrono::Utc::now().naive_utc())?;
            let shown = (!from_env).then_some(password.as_str());
            print!("{}", demo::demo_summary(&plan, &outcome, shown));
            Ok(())
        }
        Command::Generate {
            students,
            establishments,
            exercises_per_class,
            fiches_per_student,
        } => {
            let pool = db::connect(&url, 1)?;
            load(&pool, &cli.referentials)?;
            let (password, from_env) = demo::password_from_env()?;
            let mut conn = pool.get()?;
            let report = demo::generate(
                &mut conn,
                students,
                establishments,
                exercises_per_class,
                fiches_per_student,
                &password,
                chrono::Utc::now().naive_utc(),
            )?;
            let shown = (!from_env).then_some(password.as_str());
            print!("{}", demo::generated_summary(&report, shown));
            Ok(())
        }
        Command::Serve {
            bind,
            spa_dir,
            workers,
            dev,
            trusted_proxies,
        } => {
            let trusted_proxies = passerelle::client_addr::TrustedProxies::parse(&trusted_proxies)
                .map_err(|e| AppError::internal(format!("refusing to start: {e}")))?;
            let tokens = TokenConfig::from_env(dev)
                .map_err(|e| AppError::internal(format!("refusing to start: {e}")))?;
            if tokens.generated_secret {
                log::warn!("dev mode: tokens signed with a random secret, lost at restart");
            }
            let pool = db::connect(&url, 16)?;
            log::info!("database {}", url.redacted());
            load(&pool, &cli.referentials)?;
            actix_web::rt::System::new()
                .block_on(server::serve(
                    pool,
                    server::ServeOptions {
                        bind,
                        tokens,
                        trusted_proxies,
                        spa_dir,
                        workers,
                    },
                ))
                .map_err(|e| AppError::internal(format!("server: {e}")))
        }
    }
}

fn create_admin(
    pool: &db::DbPool,
    email: &str,
    first_name: &str,
    last_name: &str,
) -> Result<(), AppError> {
    let password = match std::env::var("PASSERELLE_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => rpassword::prompt_password("Mot de passe : ")
            .map_err(|e| AppError::internal(format!("cannot read the password: {e}")))?,
    };
    check_password_policy(&password).map_err(|m| AppError::bad_request("weak_password", m))?;
    let hash = PasswordHasher::default().hash(&password)?;
    let mut conn = pool.get()?;
    let now = chrono::Utc::now().naive_utc();
    let id = auth::store::create_user(
        &mut conn,
        email,
        first_name,
        last_name,
        Some(&hash),
        &[Role::Admin],
        None,
        now,
    )?;
    let object = format!("user:{id}");
    audit::record(
        &mut conn,
        now,
        audit::Entry {
            actor_id: None,
            establishment_id: None,
            action: "admin.created",
            object: &object,
            detail: "command line",
        },
    )?;
    println!(
        "Compte administrateur créé : {} (id {id})",
        auth::store::normalize_email(email)
    );
    Ok(())
}

fn load(pool: &db::DbPool, dir: &std::path::Path) -> Result<(), AppError> {
    let mut conn = pool.get()?;
    let started = std::time::Instant::now();
    let outcomes = referentials::load_dir(&mut conn, dir, chrono::Utc::now().naive_utc())?;
    for o in &outcomes {
        if o.unchanged {
            log::info!("referential {}: unchanged", o.id);
        } else {
            log::info!(
                "referential {}: {} inserted, {} updated, {} deleted",
                o.id,
                o.inserted,
                o.updated,
                o.deleted
            );
        }
    }
    log::info!(
        "referentials loaded in {} ms",
        started.elapsed().as_millis()
    );
    Ok(())
}
