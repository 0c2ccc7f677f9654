//! The store tests on SQLite and PostgreSQL, one module per area, in one test binary.

#[macro_use]
mod common;

mod backup;
mod leases;
mod monitoring;
mod rotation;
mod suite;
