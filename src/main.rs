//! The `frontline` binary: parse the command line, load the configuration, init logging (stderr),
//! run.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use frontline::cli::{AgentArgs, Cli, Command, ServeArgs, TokenArgs};
use frontline::config::{Config, Overrides};
use frontline::domain::{OperatorId, Role};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Serve(args)) => serve(&args),
        Some(Command::Token(args)) => token(&args),
        Some(Command::Agent(args)) => agent(&args),
        None => serve(&cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, the whole cause chain: "invalid configuration in x.toml: timeouts.inactivty: ..."
            eprintln!("frontline: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(config: Option<&std::path::Path>, overrides: &Overrides) -> anyhow::Result<Config> {
    let source = match config {
        Some(path) => format!("in {}", path.display()),
        None => "(built-in demo)".to_string(),
    };
    Config::load(config, overrides).with_context(|| format!("invalid configuration {source}"))
}

fn check(args: &ServeArgs) -> anyhow::Result<()> {
    let config = load(args.config.as_deref(), &args.overrides())?;
    println!("{}", config.summary());
    println!("configuration is valid");
    Ok(())
}

fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let config = load(args.config.as_deref(), &args.overrides())?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .init();
    tracing::info!(summary = %config.summary().replace('\n', "; "), "starting");
    actix_web::rt::System::new().block_on(frontline::server::run(config))
}

/// Default validity of `frontline token`: a day.
const TOKEN_TTL: u64 = 24 * 3600;

fn token(args: &TokenArgs) -> anyhow::Result<()> {
    let config = load(args.config.as_deref(), &Overrides::default())?;
    let max = config.auth.max_token_ttl;
    let ttl = match args.ttl {
        Some(ttl) if ttl > max => anyhow::bail!(
            "--ttl {ttl} is over auth.max_token_ttl ({max} s): the server would refuse the token"
        ),
        Some(0) => anyhow::bail!("--ttl must be at least 1 second"),
        Some(ttl) => ttl,
        None => TOKEN_TTL.min(max),
    };
    println!("{}", issue(&config, &args.operator, args.role.as_deref(), ttl)?);
    Ok(())
}

/// A token for a configured `operator`, with `role` or their configured one.
fn issue(config: &Config, operator: &str, role: Option<&str>, ttl: u64) -> anyhow::Result<String> {
    let operator = OperatorId::from(operator);
    let configured =
        config.settings.operator(&operator).with_context(|| format!("unknown operator {operator}"))?;
    let role = match role {
        None => configured.role,
        Some("operator") => Role::Operator,
        Some("supervisor") => Role::Supervisor,
        Some(_) => Role::Admin,
    };
    if role != configured.role {
        anyhow::bail!(
            "operator {operator} has role {}; a token claiming role {} would be refused",
            configured.role.as_str(),
            role.as_str()
        );
    }
    let now = frontline::auth::now_secs();
    Ok(frontline::auth::issue(&config.auth.jwt_secret, operator.as_str(), role, now, ttl)?)
}

fn agent(args: &AgentArgs) -> anyhow::Result<()> {
    let token = match (&args.operator, &args.token) {
        (Some(operator), _) => {
            let config = load(args.config.as_deref(), &Overrides::default())?;
            // A working day (within the cap): the console is interactive, the token never leaves
            // the process.
            let ttl = (12 * 3600).min(config.auth.max_token_ttl);
            issue(&config, operator, None, ttl)?
        }
        (None, Some(token)) => token.clone(),
        (None, None) => anyhow::bail!("no token: pass --token JWT, set FRONTLINE_TOKEN, or --operator ID"),
    };
    actix_web::rt::System::new().block_on(frontline::agent::run(&args.url, &token))?;
    Ok(())
}
