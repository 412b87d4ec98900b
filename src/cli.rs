//! The command line (PROTOCOL 1). Flags override environment variables, which override the
//! configuration file; clap reads both, `config` applies them over the file.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;

/// frontline: a real-time chat router for contact centres.
#[derive(Debug, Parser)]
#[command(name = "frontline", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, accepted without the subcommand too.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the router (the default).
    Serve(ServeArgs),
    /// Load and validate the configuration, print what it sets up, and exit.
    Check(ServeArgs),
    /// Print an operator JWT (HS256, signed with `auth.jwt_secret`).
    Token(TokenArgs),
    /// An interactive operator console over `/ws/agent`: events live, commands from stdin.
    Agent(AgentArgs),
}

/// Options of `agent`.
#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// The router's address; `/ws/agent` is appended (http:// and https:// are accepted too).
    #[arg(long, value_name = "URL", default_value = "ws://127.0.0.1:8080")]
    pub url: String,
    /// The operator JWT.
    #[arg(long, env = "FRONTLINE_TOKEN", value_name = "JWT", hide_env_values = true)]
    pub token: Option<String>,
    /// Issue a token for this operator locally, from the configuration's `auth.jwt_secret`
    /// (wins over `--token`/`FRONTLINE_TOKEN`).
    #[arg(long, value_name = "ID")]
    pub operator: Option<String>,
    /// TOML configuration file for `--operator`; without one the built-in demo setup.
    #[arg(long, env = "FRONTLINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options of `token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The operator (`sub`).
    #[arg(long, value_name = "ID")]
    pub operator: String,
    /// The role; defaults to the operator's configured role (a token with another role is refused).
    #[arg(long, value_parser = ["operator", "supervisor", "admin"])]
    pub role: Option<String>,
    /// Validity in seconds (default 86400, or `auth.max_token_ttl` when that is shorter); more
    /// than `auth.max_token_ttl` is refused, since the server would refuse such a token.
    #[arg(long, value_name = "SECONDS")]
    pub ttl: Option<u64>,
    /// TOML configuration file; without one the built-in demo setup.
    #[arg(long, env = "FRONTLINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Where the configuration comes from and what overrides it.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// TOML configuration file; without one the built-in demo setup runs.
    #[arg(long, env = "FRONTLINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, env = "FRONTLINE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Directory of the embedded durable store.
    #[arg(long, env = "FRONTLINE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Redis URL: nodes sharing one Redis form a cluster.
    #[arg(long, env = "FRONTLINE_REDIS_URL", value_name = "URL")]
    pub redis: Option<String>,
    /// This node's id in a cluster.
    #[arg(long, env = "FRONTLINE_NODE_ID", value_name = "ID")]
    pub node_id: Option<String>,
    /// Let the built-in demo (whose JWT secret is public) listen on a non-loopback address
    /// (environment: 1/0, true/false, yes/no, on/off).
    #[arg(
        long,
        env = "FRONTLINE_ALLOW_PUBLIC_DEMO",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_public_demo: bool,
}

impl ServeArgs {
    /// The values that override the configuration file.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen.clone(),
            data_dir: self.data_dir.clone(),
            redis_url: self.redis.clone(),
            node_id: self.node_id.clone(),
            allow_public_demo: self.allow_public_demo,
        }
    }
}
