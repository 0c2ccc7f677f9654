//! The screening tests, one module per area, in one test binary.

mod common;

mod accuracy;
mod batch_rows;
mod hot_reload;
mod parser_counts;
mod report_snapshot;
mod uk_fcdo;
mod update_local;
