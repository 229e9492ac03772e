//! People: establishments, classes, accounts and the class lists schools bring in.
//!
//! `import` parses and validates class-list spreadsheets (.xlsx, .ods, .csv) into rows and
//! row errors, refusing hostile files before they can exhaust time or memory.

pub mod import;
