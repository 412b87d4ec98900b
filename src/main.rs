//! The `frontline` binary: parse the command line, load the configuration, run.

use anyhow::Context;
use clap::Parser;

use frontline::cli::{Cli, Command, ServeArgs};
use frontline::config::Config;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check(args)) => check(&args),
        Some(Command::Serve(args)) => serve(&args),
        None => serve(&cli.serve),
    }
}

fn load(args: &ServeArgs) -> anyhow::Result<Config> {
    let config = Config::load(args.config.as_deref(), &args.overrides());
    config.context("invalid configuration")
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
