//! The `frontline` binary: parse the command line, load the configuration, run.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use frontline::cli::{Cli, Command, ServeArgs};
use frontline::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Serve(args)) => serve(&args),
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

fn load(args: &ServeArgs) -> anyhow::Result<Config> {
    let source = match &args.config {
        Some(path) => format!("in {}", path.display()),
        None => "(built-in demo)".to_string(),
    };
    Config::load(args.config.as_deref(), &args.overrides())
        .with_context(|| format!("invalid configuration {source}"))
}

fn check(args: &ServeArgs) -> anyhow::Result<()> {
    let config = load(args)?;
    println!("{}", config.summary());
    println!("configuration is valid");
    Ok(())
}

fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let config = load(args)?;
    println!("{}", config.summary());
    anyhow::bail!("this build validates the configuration only: the router's network server is not built yet")
}
