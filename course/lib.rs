//! Dependency set of the course (see Cargo.toml).
