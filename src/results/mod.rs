//! Machine-readable results of `verify` and `dev check`: one documented JSON schema
//! ([`schema`]), JUnit XML for CI test reports, and GitHub Classroom's autograding result.
//!
//! A machine format owns stdout; the human table and messages go to stderr, so
//! `asynclings verify --format junit > report.xml` still shows the table in a CI log.

pub mod classroom;
mod junit;
pub mod schema;

use clap::{Args, ValueEnum};

pub use schema::{Document, Entry, Finding, Role, Selection, Severity};

/// `--format` of `dev check`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: tables and verdicts on stdout
    #[default]
    Human,
    /// The results document of docs/results.md on stdout
    Json,
    /// JUnit XML on stdout, for CI test reports (GitHub Actions, GitLab, Jenkins)
    Junit,
}

/// `--format` of `verify`: the formats of `dev check`, and GitHub Classroom's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// For people: tables and verdicts on stdout
    #[default]
    Human,
    /// The results document of docs/results.md on stdout
    Json,
    /// JUnit XML on stdout, for CI test reports (GitHub Actions, GitLab, Jenkins)
    Junit,
    /// The base64 result GitHub Classroom's autograding reporter reads (docs/classroom.md)
    Classroom,
}

/// `verify`'s output options.
#[derive(Debug, Clone, Copy, Args)]
pub struct VerifyOutput {
    /// Output format; a machine format goes to stdout, and the table to stderr
    #[arg(long, value_enum, default_value_t)]
    pub format: VerifyFormat,
    #[command(flatten)]
    pub points: classroom::Points,
}

impl Format {
    pub fn is_human(self) -> bool {
        self == Self::Human
    }

    /// The document in this format; `None` for human output.
    pub fn render(self, document: &Document) -> Option<String> {
        match self {
            Self::Human => None,
            Self::Json => Some(json(document)),
            Self::Junit => Some(junit::render(document)),
        }
    }
}

impl VerifyOutput {
    pub fn is_human(&self) -> bool {
        self.format == VerifyFormat::Human
    }

    /// Options that only make sense together, as a usage error.
    pub fn validate(&self) -> Result<(), crate::exit::UsageError> {
        if self.points.is_set() && self.format != VerifyFormat::Classroom {
            return Err(crate::exit::UsageError(
                "--points-per-exercise and --points-per-chapter go with --format classroom".into(),
            ));
        }
        Ok(())
    }

    /// The document in the chosen format; `None` for human output.
    pub fn render(&self, document: &Document) -> Option<String> {
        match self.format {
            VerifyFormat::Human => None,
            VerifyFormat::Json => Some(json(document)),
            VerifyFormat::Junit => Some(junit::render(document)),
            VerifyFormat::Classroom => Some(classroom::render(document, self.points) + "\n"),
        }
    }
}

fn json(document: &Document) -> String {
    serde_json::to_string_pretty(document).expect("the results document serializes") + "\n"
}

/// Text meant for people: on stdout normally, on stderr when stdout carries a machine format.
pub fn human(machine_format: bool, text: &str) {
    if machine_format {
        eprint!("{text}");
    } else {
        out!("{text}");
    }
}
