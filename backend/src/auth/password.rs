//! Password hashing (OWASP ASVS 5.0 V6): argon2id, PHC strings, random salt, and a bound on
//! how many hashes run at once.
//!
//! Hashing is deliberately slow and memory-hungry (19 MiB per hash), so every function here
//! is blocking: call it inside `actix_web::web::block`. At most one hash per CPU runs at
//! once (the others wait their turn), and each runs in one of that many work areas
//! allocated once and reused: letting the argon2 crate allocate 19 MiB per hash on
//! whichever of actix's hundreds of blocking threads ran it made the allocator keep
//! freed areas per thread, and 32 concurrent sign-ins took the server from 22 MB to
//! 2.9 GB. Now the memory is the work areas (2 × 19 MiB on 2 cores), whatever the load.

use std::sync::{Condvar, Mutex, PoisonError};

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordVerifier as _, Version};
use rand::RngCore as _;

use crate::error::AppError;

/// Argon2id memory cost in KiB (OWASP ASVS 5.0 minimum: 19 MiB).
pub const ARGON2_M_COST_KIB: u32 = 19_456;
/// Argon2id iterations (OWASP minimum with 19 MiB: 2).
pub const ARGON2_T_COST: u32 = 2;
/// Argon2id lanes (OWASP minimum: 1).
pub const ARGON2_P_COST: u32 = 1;
/// Length of the derived hash, bytes.
const ARGON2_OUTPUT_LEN: usize = 32;
/// Length of the random salt, bytes (the argon2 crate's recommended length).
const SALT_LEN: usize = 16;

/// Minimum password length, in characters (not bytes).
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Maximum password length, in characters.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A hash of a random password nobody knows, made with the same parameters as
/// [`ARGON2_M_COST_KIB`]/[`ARGON2_T_COST`]/[`ARGON2_P_COST`] (a test checks they match).
/// [`PasswordHasher::verify_dummy`] verifies against it so that an unknown email costs the
/// same time as a wrong password.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$u89Recr7O4Wc3TpNTQuSAg$9Be3LN5//fvPMf82+2wHTw//XV3T7ng81Z1iXGi5e/Y";

/// Checks a new password against the policy (ASVS 5.0 V6.2): 12 to 128 characters, counted
/// as Unicode characters, any character allowed, not only spaces. The error is a French
/// message naming the rule, ready for the user.
pub fn check_password_policy(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(format!(
            "mot de passe : au moins {PASSWORD_MIN_CHARS} caractères"
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(format!(
            "mot de passe : au plus {PASSWORD_MAX_CHARS} caractères"
        ));
    }
    if password.chars().all(char::is_whitespace) {
        return Err("mot de passe : ne peut pas être fait uniquement d'espaces".to_owned());
    }
    Ok(())
}

/// Hashes and verifies passwords with argon2id, at most `max_concurrent` at a time.
///
/// Share one instance for the whole server (e.g. in `web::Data`): the bound only holds
/// across callers of the same instance.
#[derive(Debug)]
pub struct PasswordHasher {
    permits: Semaphore,
}

/// One hash's memory: `ARGON2_M_COST_KIB` blocks of 1 KiB.
type WorkArea = Vec<Block>;

impl Default for PasswordHasher {
    /// One hash at a time per CPU.
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(cpus)
    }
}

impl PasswordHasher {
    /// A hasher running at most `max_concurrent` hashes at once (at least 1).
    pub fn new(max_concurrent: usize) -> Self {
        PasswordHasher {
            permits: Semaphore::new(max_concurrent.max(1)),
        }
    }

    /// How many hashes may run at once.
    pub fn max_concurrent(&self) -> usize {
        self.permits.capacity
    }

    /// Hashes `password` with a fresh random salt; returns the PHC string to store
    /// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`). Blocking.
    pub fn hash(&self, password: &str) -> Result<String, AppError> {
        let mut salt_bytes = [0u8; SALT_LEN];
        rand::rng().fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| AppError::internal(format!("password salt: {e}")))?;
        let argon2 = argon2id()?;
        let mut out = [0u8; ARGON2_OUTPUT_LEN];
        {
            let mut permit = self.permits.acquire();
            argon2
                .hash_password_into_with_memory(
                    password.as_bytes(),
                    &salt_bytes,
                    &mut out,
                    permit.work_area(),
                )
                .map_err(|e| AppError::internal(format!("password hashing: {e}")))?;
        }
        let output =
            Output::new(&out).map_err(|e| AppError::internal(format!("password hashing: {e}")))?;
        Ok(format!(
            "$argon2id$v=19$m={ARGON2_M_COST_KIB},t={ARGON2_T_COST},p={ARGON2_P_COST}${}${output}",
            salt.as_str()
        ))
    }

    /// Whether `password` matches the stored PHC string. `Ok(false)` for a wrong password;
    /// `Err` only when the stored string is unusable (our fault, not the user's). The
    /// parameters are read from the PHC string, so hashes made with older parameters still
    /// verify (see [`PasswordHasher::needs_rehash`]). Blocking.
    pub fn verify(&self, password: &str, phc: &str) -> Result<bool, AppError> {
        let parsed = PasswordHash::new(phc)
            .map_err(|e| AppError::internal(format!("stored password hash unreadable: {e}")))?;
        let mut permit = self.permits.acquire();
        if self.needs_rehash(phc) || !current_shape(&parsed) {
            // Older parameters (or another algorithm): the crate allocates their memory
            // itself, once per sign-in until the hash is renewed.
            let argon2 = argon2id()?;
            return match argon2.verify_password(password.as_bytes(), &parsed) {
                Ok(()) => Ok(true),
                Err(argon2::password_hash::Error::Password) => Ok(false),
                Err(e) => Err(AppError::internal(format!("password verification: {e}"))),
            };
        }
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(AppError::internal(
                "stored password hash without salt or hash",
            ));
        };
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|e| AppError::internal(format!("stored password salt unreadable: {e}")))?;
        let mut out = [0u8; ARGON2_OUTPUT_LEN];
        argon2id()?
            .hash_password_into_with_memory(
                password.as_bytes(),
                salt_bytes,
                &mut out,
                permit.work_area(),
            )
            .map_err(|e| AppError::internal(format!("password verification: {e}")))?;
        drop(permit);
        let computed = Output::new(&out)
            .map_err(|e| AppError::internal(format!("password verification: {e}")))?;
        // `Output`'s equality runs in constant time.
        Ok(computed == expected)
    }

    /// Spends the time of a real [`verify`](PasswordHasher::verify) (same parameters, same
    /// semaphore) against a hash nobody knows the password of, and returns `Ok(false)`. For
    /// sign-ins with an unknown email, so that timing does not tell which emails exist.
    pub fn verify_dummy(&self, password: &str) -> Result<bool, AppError> {
        // The result is always false in practice; it is discarded all the same so that no
        // password can ever sign in through this path.
        let _ = self.verify(password, DUMMY_PHC)?;
        Ok(false)
    }

    /// Whether a stored hash was made with another algorithm or weaker parameters than the
    /// current ones, so the caller should re-hash the password after a successful sign-in.
    /// An unreadable string also needs re-hashing.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return true;
        };
        if parsed.algorithm != Algorithm::Argon2id.ident() {
            return true;
        }
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        params.m_cost() < ARGON2_M_COST_KIB
            || params.t_cost() < ARGON2_T_COST
            || params.p_cost() < ARGON2_P_COST
            || parsed.version != Some(Version::V0x13.into())
    }
}

/// Whether a stored hash has exactly the current parameters and output length, so that it
/// can be verified in a pooled work area.
fn current_shape(parsed: &PasswordHash<'_>) -> bool {
    Params::try_from(parsed).is_ok_and(|p| {
        p.m_cost() == ARGON2_M_COST_KIB
            && p.t_cost() == ARGON2_T_COST
            && p.p_cost() == ARGON2_P_COST
    }) && parsed.hash.is_some_and(|h| h.len() == ARGON2_OUTPUT_LEN)
}

/// The argon2id context with the current parameters.
fn argon2id() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(
        ARGON2_M_COST_KIB,
        ARGON2_T_COST,
        ARGON2_P_COST,
        Some(ARGON2_OUTPUT_LEN),
    )
    .map_err(|e| AppError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A counting semaphore on std primitives whose permits each carry a work area: `acquire`
/// blocks while `capacity` permits are out. Work areas are allocated on first use and
/// kept (never more than `capacity` of them). The count stays consistent even if a holder
/// panics (the permit is given back in `Drop`), so a poisoned lock is simply taken over.
#[derive(Debug)]
struct Semaphore {
    capacity: usize,
    state: Mutex<Permits>,
    released: Condvar,
}

#[derive(Debug)]
struct Permits {
    available: usize,
    /// Work areas not in use (at most `available` of them).
    areas: Vec<WorkArea>,
}

impl Semaphore {
    fn new(capacity: usize) -> Self {
        Semaphore {
            capacity,
            state: Mutex::new(Permits {
                available: capacity,
                areas: Vec::new(),
            }),
            released: Condvar::new(),
        }
    }

    fn acquire(&self) -> Permit<'_> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.available == 0 {
            state = self
                .released
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.available -= 1;
        let area = state.areas.pop();
        Permit {
            semaphore: self,
            area,
        }
    }
}

/// One of the semaphore's permits, given back (with its work area) when dropped.
struct Permit<'a> {
    semaphore: &'a Semaphore,
    area: Option<WorkArea>,
}

impl Permit<'_> {
    /// This permit's work area, allocated the first time a permit needs one.
    fn work_area(&mut self) -> &mut [Block] {
        self.area
            .get_or_insert_with(|| vec![Block::new(); ARGON2_M_COST_KIB as usize])
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self
            .semaphore
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        state.available += 1;
        if let Some(area) = self.area.take() {
            state.areas.push(area);
        }
        drop(state);
        self.semaphore.released.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn params_meet_owasp_asvs_minimum() {
        // OWASP ASVS 5.0 / password storage cheat sheet: argon2id, m ≥ 19 MiB, t ≥ 2, p ≥ 1.
        const { assert!(ARGON2_M_COST_KIB >= 19_456) };
        const { assert!(ARGON2_T_COST >= 2) };
        const { assert!(ARGON2_P_COST >= 1) };
        let argon2 = argon2id().unwrap_or_else(|e| panic!("params: {e}"));
        assert_eq!(argon2.params().m_cost(), ARGON2_M_COST_KIB);
    }

    #[test]
    fn hash_then_verify() {
        let hasher = PasswordHasher::new(2);
        let phc = hasher
            .hash("correct horse battery staple")
            .unwrap_or_else(|e| panic!("hash: {e}"));
        assert!(
            phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "unexpected PHC string {phc}"
        );
        assert!(hasher
            .verify("correct horse battery staple", &phc)
            .unwrap_or_else(|e| panic!("verify: {e}")));
        assert!(!hasher
            .verify("correct horse battery stapler", &phc)
            .unwrap_or_else(|e| panic!("verify: {e}")));
        assert!(!hasher.needs_rehash(&phc));
    }

    #[test]
    fn pooled_hashes_are_standard_phc_strings() {
        // Made in a pooled work area, verified by the argon2 crate's own verifier, and the
        // other way round: the hashes stored before stay valid.
        let hasher = PasswordHasher::new(1);
        let phc = hasher
            .hash("correct horse battery staple")
            .unwrap_or_else(|e| panic!("hash: {e}"));
        let parsed = PasswordHash::new(&phc).unwrap_or_else(|e| panic!("{e}"));
        let argon2 = argon2id().unwrap_or_else(|e| panic!("{e}"));
        assert!(argon2
            .verify_password(b"correct horse battery staple", &parsed)
            .is_ok());
        use argon2::PasswordHasher as _;
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap_or_else(|e| panic!("{e}"));
        let by_the_crate = argon2
            .hash_password(b"correct horse battery staple", &salt)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
        assert!(hasher
            .verify("correct horse battery staple", &by_the_crate)
            .unwrap_or_else(|e| panic!("{e}")));
        assert!(!hasher
            .verify("correct horse battery stapler", &by_the_crate)
            .unwrap_or_else(|e| panic!("{e}")));
        // The work area was kept for the next hash, and only one exists.
        let state = hasher
            .permits
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        assert_eq!(state.areas.len(), 1);
        assert_eq!(state.areas[0].len(), ARGON2_M_COST_KIB as usize);
    }

    #[test]
    fn same_password_gets_different_salts() {
        let hasher = PasswordHasher::new(2);
        let a = hasher
            .hash("même mot de passe")
            .unwrap_or_else(|e| panic!("hash: {e}"));
        let b = hasher
            .hash("même mot de passe")
            .unwrap_or_else(|e| panic!("hash: {e}"));
        assert_ne!(a, b);
    }

    #[test]
    fn unreadable_stored_hash_is_an_error_not_a_match() {
        let hasher = PasswordHasher::new(1);
        assert!(hasher
            .verify("whatever password", "not a phc string")
            .is_err());
        assert!(hasher.needs_rehash("not a phc string"));
    }

    #[test]
    fn weaker_stored_params_need_rehash() {
        let weak = "$argon2id$v=19$m=4096,t=3,p=1$QtIQRHvFRsMEmUu1rrZ7+w$wmhGFhZlrgSbNIb7KRnqLe6uEUwBoG7DSKS+0LZbyN0";
        let hasher = PasswordHasher::new(1);
        assert!(hasher.needs_rehash(weak));
        let argon2i = "$argon2i$v=19$m=19456,t=2,p=1$QtIQRHvFRsMEmUu1rrZ7+w$wmhGFhZlrgSbNIb7KRnqLe6uEUwBoG7DSKS+0LZbyN0";
        assert!(hasher.needs_rehash(argon2i));
    }

    #[test]
    fn dummy_hash_uses_current_params_and_never_matches() {
        let hasher = PasswordHasher::new(1);
        assert!(
            DUMMY_PHC.starts_with(&format!(
                "$argon2id$v=19$m={ARGON2_M_COST_KIB},t={ARGON2_T_COST},p={ARGON2_P_COST}$"
            )),
            "DUMMY_PHC must be regenerated when the parameters change"
        );
        assert!(!hasher.needs_rehash(DUMMY_PHC));
        assert!(!hasher
            .verify_dummy("correct horse battery staple")
            .unwrap_or_else(|e| panic!("verify_dummy: {e}")));
        assert!(!hasher
            .verify_dummy("")
            .unwrap_or_else(|e| panic!("verify_dummy: {e}")));
    }

    #[test]
    fn semaphore_bounds_concurrency() {
        let semaphore = Arc::new(Semaphore::new(2));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (semaphore, in_flight, max_seen) =
                    (semaphore.clone(), in_flight.clone(), max_seen.clone());
                std::thread::spawn(move || {
                    let _permit = semaphore.acquire();
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max_seen.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(30));
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap_or_else(|_| panic!("worker panicked"));
        }
        let max = max_seen.load(Ordering::SeqCst);
        assert!(max <= 2, "{max} in flight with capacity 2");
        assert_eq!(max, 2, "the two permits should have been used together");
        assert_eq!(
            semaphore
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .available,
            2,
            "all permits given back"
        );
    }

    #[test]
    fn permit_is_released_when_holder_panics() {
        let semaphore = Arc::new(Semaphore::new(1));
        let s = semaphore.clone();
        let result = std::thread::spawn(move || {
            let _permit = s.acquire();
            panic!("boom");
        })
        .join();
        assert!(result.is_err());
        // Would block forever if the permit had leaked.
        let _permit = semaphore.acquire();
    }

    #[test]
    fn default_capacity_is_cpu_count() {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        assert_eq!(PasswordHasher::default().max_concurrent(), cpus);
        assert_eq!(PasswordHasher::new(0).max_concurrent(), 1);
    }

    #[test]
    fn policy() {
        assert!(check_password_policy("onze-caract").is_err()); // 11
        assert!(check_password_policy("douze-caract").is_ok()); // 12
                                                                // 12 characters but more bytes: counted as characters.
        assert!(check_password_policy("éééééééééééé").is_ok());
        // 11 characters, 22 bytes: refused.
        let err = check_password_policy("ééééééééééé").unwrap_err_or_panic();
        assert!(err.contains("au moins 12 caractères"), "{err}");
        assert!(check_password_policy(&"a".repeat(128)).is_ok());
        let err = check_password_policy(&"a".repeat(129)).unwrap_err_or_panic();
        assert!(err.contains("au plus 128 caractères"), "{err}");
        let err = check_password_policy("              ").unwrap_err_or_panic();
        assert!(err.contains("espaces"), "{err}");
        // Spaces inside a passphrase are fine.
        assert!(check_password_policy("le chat dort au soleil").is_ok());
    }

    trait UnwrapErrOrPanic {
        fn unwrap_err_or_panic(self) -> String;
    }

    impl UnwrapErrOrPanic for Result<(), String> {
        fn unwrap_err_or_panic(self) -> String {
            match self {
                Ok(()) => panic!("expected a policy error"),
                Err(e) => e,
            }
        }
    }
}
