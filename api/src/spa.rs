//! Which build of the SPA serves which page.
//!
//! The SPA ships as three bundles, each a superset of the previous one, so that a visitor
//! reading a referential, or a student on a phone, downloads only the pages they can open:
//!
//! - [`Bundle::Public`]: referentials, search, sign-in, invitations, the account page;
//! - [`Bundle::Student`]: the above, plus the portfolio, its fiches, progress and results;
//! - [`Bundle::Staff`]: every page (classes, exercises, coverage, reviews, juries, admin).
//!
//! The server answers a page's address with the bundle [`Bundle::for_path`] names; a
//! bundle asked to show a page it lacks reloads the address, which the server then
//! answers with the right bundle. Server and SPA both decide here, so they cannot
//! disagree (a disagreement would reload forever).

/// One build of the SPA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bundle {
    Public,
    Student,
    Staff,
}

impl Bundle {
    pub const ALL: [Bundle; 3] = [Bundle::Public, Bundle::Student, Bundle::Staff];

    /// The smallest bundle holding the page at `path` (an address of the SPA, without
    /// query string). Unknown addresses are the public bundle's « page introuvable ».
    pub fn for_path(path: &str) -> Bundle {
        let first = path
            .trim_start_matches('/')
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        match first {
            "ma-classe" | "portfolio" | "fiches" | "eleves" | "mes-resultats" => Bundle::Student,
            "admin" | "classes" | "exercices" | "relectures" | "examens" | "candidats"
            | "grilles" => Bundle::Staff,
            _ => Bundle::Public,
        }
    }

    /// Whether this bundle holds the pages of `other`.
    pub fn serves(self, other: Bundle) -> bool {
        self >= other
    }

    /// Its name in its binary's (`passerelle-<name>`) and so in its files' names.
    pub fn name(self) -> &'static str {
        match self {
            Bundle::Public => "public",
            Bundle::Student => "student",
            Bundle::Staff => "staff",
        }
    }

    /// The page the server sends for this bundle, in the built SPA's directory.
    pub fn html_file(self) -> &'static str {
        match self {
            Bundle::Public => "index.html",
            Bundle::Student => "student.html",
            Bundle::Staff => "staff.html",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bundle;

    #[test]
    fn pages_go_to_the_smallest_bundle_holding_them() {
        assert_eq!(Bundle::for_path("/"), Bundle::Public);
        assert_eq!(Bundle::for_path("/referentiels/bts-gpme"), Bundle::Public);
        assert_eq!(Bundle::for_path("/recherche"), Bundle::Public);
        assert_eq!(Bundle::for_path("/compte"), Bundle::Public);
        assert_eq!(Bundle::for_path("/n-importe-quoi"), Bundle::Public);
        assert_eq!(Bundle::for_path("/portfolio/nouvelle"), Bundle::Student);
        assert_eq!(Bundle::for_path("/fiches/3"), Bundle::Student);
        assert_eq!(Bundle::for_path("/eleves/9/suivi"), Bundle::Student);
        assert_eq!(Bundle::for_path("/classes/3/couverture"), Bundle::Staff);
        assert_eq!(Bundle::for_path("/admin/comptes"), Bundle::Staff);
        assert_eq!(Bundle::for_path("/examens"), Bundle::Staff);
        // A prefix is not a page of the bundle.
        assert_eq!(Bundle::for_path("/classesx"), Bundle::Public);
    }

    #[test]
    fn each_bundle_holds_the_smaller_ones() {
        assert!(Bundle::Staff.serves(Bundle::Student));
        assert!(Bundle::Student.serves(Bundle::Public));
        assert!(!Bundle::Student.serves(Bundle::Staff));
        assert!(!Bundle::Public.serves(Bundle::Student));
    }
}
