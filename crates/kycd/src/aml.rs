//! `kycd lists import|update|status` and `kycd screen`: the clap layer and the commands live in
//! `kycd_aml::cli` (shared with the crate's `aml_cli` example); this module only supplies the
//! data dir from the configuration.

use crate::config::Config;
use anyhow::Result;
pub use kycd_aml::cli::{ListsCommand, ScreenArgs};

/// Runs a lists command.
pub fn lists(cfg: &Config, cmd: ListsCommand) -> Result<()> {
    let mut out = std::io::stdout().lock();
    kycd_aml::cli::run_lists(&cfg.data_dir, cmd, &mut out, &mut std::io::stderr())?;
    Ok(())
}

/// Runs `kycd screen`: one name, or a batch file with exactly one output line per data row.
pub fn screen(cfg: &Config, args: ScreenArgs) -> Result<()> {
    let mut out = std::io::stdout().lock();
    kycd_aml::cli::run_screen(&cfg.data_dir, args, &mut out)?;
    Ok(())
}
