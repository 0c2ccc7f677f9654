//! The `kycd lists …` / `kycd screen …` commands without the rest of the `kycd` binary (no
//! server, OCR or face models to build): the same clap layer and functions
//! ([`kycd_aml::cli::run_lists`], [`kycd_aml::cli::run_screen`]), with the data dir as a flag.
//! Used by the scripts in `bench/aml/`.
//!
//! ```text
//! cargo run --release -p kycd-aml --example aml_cli -- --data-dir /tmp/aml lists import --format un-xml consolidated.xml
//! cargo run --release -p kycd-aml --example aml_cli -- --data-dir /tmp/aml lists status
//! cargo run --release -p kycd-aml --example aml_cli -- --data-dir /tmp/aml screen --name "Vladimir Putin" --dob 1952-10-07
//! cargo run --release -p kycd-aml --example aml_cli -- --data-dir /tmp/aml screen --batch negatives.csv --json
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kycd_aml::cli::{ListsCommand, ScreenArgs, run_lists, run_screen};

#[derive(Parser)]
#[command(name = "aml_cli", about = "kycd AML screening (library example)")]
struct Cli {
    /// Data directory (lists are stored in <data-dir>/lists/).
    #[arg(long, default_value = "./data")]
    data_dir: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Manage sanctions / PEP lists.
    Lists {
        #[command(subcommand)]
        cmd: ListsCommand,
    },
    /// Screen a name or a CSV batch.
    Screen(ScreenArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    let res = match cli.cmd {
        Cmd::Lists { cmd } => run_lists(&cli.data_dir, cmd, &mut out, &mut std::io::stderr()),
        Cmd::Screen(a) => run_screen(&cli.data_dir, a, &mut out),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
