//! Passerelle server library: everything the `passerelle` binary runs, split in vertical
//! slices (one module per feature: its handlers, queries and types together).

pub mod audit;
pub mod auth;
pub mod client_addr;
pub mod config;
pub mod db;
pub mod demo;
pub mod encoding;
pub mod error;
pub mod exercises;
pub mod fold;
pub mod juries;
pub mod people;
pub mod portfolio;
pub mod referentials;
pub mod schema;
pub mod security_headers;
pub mod server;
pub mod sniff;
pub mod spa;
pub mod text;
pub mod upload;
