//! The command line (PROTOCOL 1). Flags override environment variables, which override the
//! configuration file; clap reads both, `config` applies them over the file.
//!
//! `--config` and the options of `serve` are global: they mean the same before or after the
//! subcommand (`frontline --config x.toml check` = `frontline check --config x.toml`). A flag
//! written for a command it means nothing to (`frontline token --data-dir d`) is refused, never
//! silently ignored; the same value from the environment is left alone, since the environment
//! is shared by every command run in it.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::Overrides;

/// frontline: a real-time chat router for contact centres.
#[derive(Debug, Parser)]
#[command(name = "frontline", version, about)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// TOML configuration file; without one the built-in demo setup (for `init`: where to
    /// write the new file).
    #[arg(long, global = true, env = "FRONTLINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Options of `serve` and `check` (some apply to `agent` and `init`).
    #[command(flatten)]
    pub serve: ServeArgs,
    /// How each value was given: set by [`Cli::try_parse_args`].
    #[arg(skip)]
    matches: ArgMatches,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the router (the default).
    Serve,
    /// Load and validate the configuration, print what it sets up and any warnings, and exit.
    Check,
    /// Print an operator JWT (HS256, signed with `auth.jwt_secret`).
    Token(TokenArgs),
    /// An interactive operator console over `/ws/agent`: events live, commands from stdin.
    Agent(AgentArgs),
    /// Write a commented starting configuration with a fresh random `jwt_secret`.
    Init(InitArgs),
}

/// Options of `agent`.
#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// The router's address; `/ws/agent` is appended (http:// and https:// are accepted too).
    /// Default: the configuration's `listen` (after --listen/FRONTLINE_LISTEN), reached over
    /// loopback when it is 0.0.0.0 or `[::]`.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The operator JWT.
    #[arg(long, env = "FRONTLINE_TOKEN", value_name = "JWT", hide_env_values = true)]
    pub token: Option<String>,
    /// Issue a token for this operator locally, from the configuration's `auth.jwt_secret`
    /// (wins over `--token`/`FRONTLINE_TOKEN`).
    #[arg(long, value_name = "ID")]
    pub operator: Option<String>,
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
}

/// Options of `init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The file to write; default `--config`/`FRONTLINE_CONFIG`, else `frontline.toml`.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Where the configuration comes from and what overrides it.
#[derive(Debug, Clone, Default, Args)]
#[command(
    next_help_heading = "Options of serve and check (agent takes --listen, init --listen and --data-dir)"
)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 or localhost:8080 (port 0 picks a free port).
    #[arg(long, global = true, env = "FRONTLINE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Directory of the embedded durable store.
    #[arg(long, global = true, env = "FRONTLINE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Redis URL: nodes sharing one Redis form a cluster.
    #[arg(long, global = true, env = "FRONTLINE_REDIS_URL", value_name = "URL")]
    pub redis: Option<String>,
    /// This node's id in a cluster.
    #[arg(long, global = true, env = "FRONTLINE_NODE_ID", value_name = "ID")]
    pub node_id: Option<String>,
    /// Let the built-in demo (whose JWT secret is public) listen on a non-loopback address
    /// (environment: 1/0, true/false, yes/no, on/off).
    #[arg(
        long,
        global = true,
        env = "FRONTLINE_ALLOW_PUBLIC_DEMO",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub allow_public_demo: bool,
    /// No access log (one line per HTTP request and per WebSocket open and close); the
    /// environment's FRONTLINE_ACCESS_LOG=0 does the same.
    #[arg(
        long = "no-access-log",
        global = true,
        env = "FRONTLINE_ACCESS_LOG",
        action = clap::ArgAction::SetFalse,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub access_log: bool,
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
            no_access_log: !self.access_log,
        }
    }
}

/// How a value reached the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    /// Not given (or only its default).
    No,
    /// On the command line.
    Flag,
    /// From its environment variable.
    Environment,
}

/// The global options of `serve` (argument id, flag) and the commands other than `serve` and
/// `check` they apply to: `agent` finds the server at its `listen`, `init` writes `listen` and
/// `data_dir` into the new file.
const SERVE_FLAGS: [(&str, &str, &[&str]); 6] = [
    ("listen", "--listen", &["agent", "init"]),
    ("data_dir", "--data-dir", &["init"]),
    ("redis", "--redis", &[]),
    ("node_id", "--node-id", &[]),
    ("allow_public_demo", "--allow-public-demo", &[]),
    ("access_log", "--no-access-log", &[]),
];

/// Why the command line asks for something it would ignore: a `serve` option written (not
/// taken from the environment) for a command it does not apply to.
fn misplaced(matches: &ArgMatches) -> Option<String> {
    let (name, sub) = matches.subcommand()?;
    if matches!(name, "serve" | "check") {
        return None;
    }
    SERVE_FLAGS.iter().find_map(|(id, flag, applies_to)| {
        let written = sub.value_source(id) == Some(ValueSource::CommandLine);
        (written && !applies_to.contains(&name)).then(|| {
            format!("{flag} does not apply to `frontline {name}` (it is an option of serve and check)")
        })
    })
}

impl Cli {
    /// Parses the process's arguments; on a usage error prints clap's message and exits 2.
    pub fn parse_args() -> Cli {
        Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args` (the program name first), refusing a flag written for a command it does not
    /// apply to.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut command = Cli::command();
        let matches = command.try_get_matches_from_mut(args)?;
        let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
        if let Some(message) = misplaced(&matches) {
            return Err(command.error(ErrorKind::ArgumentConflict, message));
        }
        cli.matches = matches;
        Ok(cli)
    }

    /// How the argument `id` (a field name: `config`, `listen`, `token`, ...) of the command
    /// that runs was given.
    pub fn given(&self, id: &str) -> Given {
        let matches = self.matches.subcommand().map_or(&self.matches, |(_, sub)| sub);
        // An id the command does not have was not given.
        let known = matches.try_get_raw(id).is_ok();
        match known.then(|| matches.value_source(id)).flatten() {
            Some(ValueSource::CommandLine) => Given::Flag,
            Some(ValueSource::EnvVariable) => Given::Environment,
            _ => Given::No,
        }
    }
}

/// The address `frontline agent` reaches a server listening on `listen` at: an unspecified
/// address (`0.0.0.0`, `[::]`) is reached over loopback; port 0 cannot be known in advance.
pub fn server_url_for_listen(listen: &str) -> Result<String, String> {
    let mut addr: std::net::SocketAddr =
        listen.parse().map_err(|_| format!("{listen:?} is not an address to connect to"))?;
    if addr.port() == 0 {
        return Err(format!(
            "the configuration listens on {listen}: port 0 is a free port the server picks when it \
             starts, so the console cannot guess it; pass --url with the address from the server's \
             `listening on` line"
        ));
    }
    match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into()),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => addr.set_ip(std::net::Ipv6Addr::LOCALHOST.into()),
        _ => {}
    }
    Ok(format!("ws://{addr}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_args(std::iter::once("frontline").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_mean_the_same_before_and_after_the_subcommand() {
        for args in [
            &["--config", "a.toml", "check"][..],
            &["check", "--config", "a.toml"],
            &["--config", "a.toml", "serve"],
            &["--config", "a.toml", "token", "--operator", "x"],
            &["token", "--operator", "x", "--config", "a.toml"],
            &["--config", "a.toml"],
        ] {
            let cli = parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert_eq!(cli.config, Some(PathBuf::from("a.toml")), "{args:?}");
            assert_eq!(cli.given("config"), Given::Flag, "{args:?}");
        }
        for args in [&["--listen", "127.0.0.1:1", "check"][..], &["check", "--listen", "127.0.0.1:1"]] {
            let cli = parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert_eq!(cli.serve.listen.as_deref(), Some("127.0.0.1:1"), "{args:?}");
        }
        let cli = parse(&["--no-access-log", "serve"]).unwrap_or_else(|e| panic!("{e}"));
        assert!(cli.serve.overrides().no_access_log);
        let cli = parse(&["serve"]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!cli.serve.overrides().no_access_log, "on by default");
    }

    #[test]
    fn a_serve_flag_written_for_a_command_it_does_not_apply_to_is_refused() {
        for (args, flag) in [
            (&["--data-dir", "d", "token", "--operator", "x"][..], "--data-dir"),
            (&["token", "--operator", "x", "--listen", "127.0.0.1:1"], "--listen"),
            (&["agent", "--redis", "redis://x"], "--redis"),
            (&["--no-access-log", "init"], "--no-access-log"),
            (&["init", "--node-id", "n2"], "--node-id"),
        ] {
            let err = parse(args).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(&format!("{flag} does not apply to")), "{args:?}: {err:?}");
        }
        for args in [
            &["agent", "--listen", "127.0.0.1:1"][..],
            &["init", "--listen", "0.0.0.0:80", "--data-dir", "/var/lib/frontline"],
            &["check", "--data-dir", "d", "--no-access-log", "--allow-public-demo"],
        ] {
            assert!(parse(args).is_ok(), "{args:?}");
        }
    }

    #[test]
    fn given_tells_flags_from_absent_values() {
        let cli = parse(&["agent", "--token", "t"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.given("token"), Given::Flag);
        assert_eq!(cli.given("operator"), Given::No);
        assert_eq!(cli.given("no_such_argument"), Given::No);
    }

    #[test]
    fn the_console_reaches_a_listen_address_over_loopback_when_unspecified() {
        for (listen, url) in [
            ("127.0.0.1:8091", "ws://127.0.0.1:8091"),
            ("0.0.0.0:8091", "ws://127.0.0.1:8091"),
            ("[::]:8091", "ws://[::1]:8091"),
            ("10.1.2.3:80", "ws://10.1.2.3:80"),
        ] {
            assert_eq!(server_url_for_listen(listen).as_deref(), Ok(url), "{listen}");
        }
        let port_zero = server_url_for_listen("127.0.0.1:0").unwrap_err();
        assert!(port_zero.contains("port 0") && port_zero.contains("--url"), "{port_zero}");
    }
}
