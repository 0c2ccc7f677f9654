//! The HTTP contract tests against the in-process app, one module per area, in one test binary (a binary per file
//! would link the service again for each). `oversized_chunked_rss` stays a binary of its own: it measures the
//! process's memory.

mod common;
mod raw_http;

mod idenfy_parity;
mod openapi;
mod oversized_bodies;
mod partner_defaults;
mod process_contract;
mod readiness;
mod secret_rotation;
