//! `kycd operator …`: the people who use the review console (separate from partners, which are API clients).

use crate::config::Config;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use kycd_store::{AuditAction, NewAuditEntry, OperatorRole, Store};

/// `kycd operator …`.
#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Creates an operator and prints a one-time password (or reads one from stdin).
    Create {
        /// Login e-mail.
        #[arg(long)]
        email: String,
        /// `viewer` (reads), `reviewer` (also decides, replays, blocklists) or `admin` (also erases, audit log).
        #[arg(long, value_parser = ["viewer", "reviewer", "admin"])]
        role: String,
        /// Restricts the operator to one partner's verifications (name or API key); without it the operator
        /// sees all partners, which only an admin may.
        #[arg(long)]
        partner: Option<String>,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Lists operators.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Disables an operator: no more logins, open sessions end.
    Disable {
        /// Login e-mail.
        email: String,
    },
    /// Enables a disabled operator again.
    Enable {
        /// Login e-mail.
        email: String,
    },
    /// Sets a new password (printed once, or read from stdin), clears a lockout and ends the operator's sessions.
    ResetPassword {
        /// Login e-mail.
        email: String,
        #[command(flatten)]
        password: PasswordSource,
    },
}

/// Where a password comes from.
#[derive(Debug, Args)]
pub struct PasswordSource {
    /// Reads the password from the first line of stdin instead of generating one.
    #[arg(long)]
    password_stdin: bool,
}

impl PasswordSource {
    /// The password to set and whether it was generated (and must be printed).
    fn read(&self) -> Result<(String, bool)> {
        if !self.password_stdin {
            return Ok((kycd_console::generate_password(), true));
        }
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        Ok((line.trim_end_matches(['\r', '\n']).to_string(), false))
    }
}

fn hash(password: &str) -> Result<String> {
    kycd_console::hash_password(password).map_err(|e| anyhow::anyhow!("{e}"))
}

fn normalise_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        bail!("not an e-mail address: {email}");
    }
    Ok(e)
}

async fn audit(store: &Store, action: AuditAction, detail: String) -> Result<()> {
    store
        .audit(&NewAuditEntry {
            operator: None,
            actor: "cli",
            action,
            partner_id: None,
            scan_ref: None,
            detail: Some(detail),
            note: None,
            source_ip: None,
        })
        .await?;
    Ok(())
}

/// Runs `kycd operator`.
pub async fn run(cfg: Config, cmd: OperatorCommand) -> Result<()> {
    let store = crate::serve::open_store(&cfg).await?;
    let r = command(&store, cmd).await;
    store.close().await;
    r
}

async fn command(store: &Store, cmd: OperatorCommand) -> Result<()> {
    match cmd {
        OperatorCommand::Create {
            email,
            role,
            partner,
            password,
        } => {
            let email = normalise_email(&email)?;
            let role: OperatorRole = role.parse()?;
            let partner = match partner {
                Some(p) => Some(
                    store
                        .partner_by_key_or_name(&p)
                        .await?
                        .with_context(|| format!("no partner named {p}"))?
                        .id,
                ),
                None => None,
            };
            if partner.is_none() && role != OperatorRole::Admin {
                bail!(
                    "a {role} must be bound to a partner (--partner NAME); only an admin may see all partners"
                );
            }
            let (pw, generated) = password.read()?;
            let op = store
                .create_operator(&email, &hash(&pw)?, role, partner)
                .await
                .map_err(|e| match e {
                    kycd_store::StoreError::Conflict(_) => {
                        anyhow::anyhow!("an operator {email} already exists")
                    }
                    e => e.into(),
                })?;
            audit(
                store,
                AuditAction::OperatorCreate,
                format!("{} ({role})", op.email),
            )
            .await?;
            println!("operator {} created ({role})", op.email);
            if generated {
                println!("one-time password: {pw}");
                println!("(shown once; log in at /console/login)");
            }
        }
        OperatorCommand::List { json } => {
            let ops = store.list_operators().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&ops)?);
            } else {
                for o in &ops {
                    println!(
                        "{}  {}  partner {}  {}{}",
                        o.email,
                        o.role,
                        o.partner_id.map_or("all".to_string(), |p| p.0.to_string()),
                        if o.disabled { "disabled" } else { "active" },
                        if o.locked_until.is_some_and(|t| t > kycd_store::now_ms()) {
                            " (locked)"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        OperatorCommand::Disable { email } => {
            let email = normalise_email(&email)?;
            if !store.set_operator_disabled(&email, true).await? {
                bail!("no operator {email}");
            }
            audit(store, AuditAction::OperatorDisable, email.clone()).await?;
            println!("operator {email} disabled; their sessions ended");
        }
        OperatorCommand::Enable { email } => {
            let email = normalise_email(&email)?;
            if !store.set_operator_disabled(&email, false).await? {
                bail!("no operator {email}");
            }
            audit(store, AuditAction::OperatorEnable, email.clone()).await?;
            println!("operator {email} enabled");
        }
        OperatorCommand::ResetPassword { email, password } => {
            let email = normalise_email(&email)?;
            let (pw, generated) = password.read()?;
            if !store.set_operator_password(&email, &hash(&pw)?).await? {
                bail!("no operator {email}");
            }
            audit(store, AuditAction::OperatorResetPassword, email.clone()).await?;
            println!("password of {email} reset; their sessions ended");
            if generated {
                println!("one-time password: {pw}");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::normalise_email;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalise_email(" Ana@Bank.EXAMPLE ").unwrap(),
            "ana@bank.example"
        );
        for bad in ["", "ana", "@bank.example", "ana@bank", "a na@bank.example"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }
}
