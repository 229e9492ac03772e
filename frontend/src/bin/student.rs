//! The student bundle of the SPA (see `passerelle_api::spa::Bundle`).

fn main() {
    passerelle_frontend::run(passerelle_frontend::route::student_pages);
}
