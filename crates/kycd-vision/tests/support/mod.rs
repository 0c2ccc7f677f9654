pub mod manifest;
pub mod tools;
