//! The `frontline` binary: parse the command line, load the configuration, init logging (stderr),
//! run the command. What the person at the terminal reads when something is wrong is worded
//! here: one line naming what failed and where its inputs came from.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};

use frontline::agent::AgentError;
use frontline::cli::{server_url_for_listen, AgentArgs, Cli, Command, Given, InitArgs, TokenArgs};
use frontline::config::{plain_io_error, warnings, Config, ConfigError, Overrides, Starter};
use frontline::domain::{OperatorId, Role};

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    let result = match &cli.command {
        Some(Command::Check) => check(&cli),
        Some(Command::Serve) | None => serve(&cli),
        Some(Command::Token(args)) => token(&cli, args),
        Some(Command::Agent(args)) => agent(&cli, args),
        Some(Command::Init(args)) => init(&cli, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The whole cause chain: "invalid configuration in x.toml: timeouts.inactivty: ..."
            eprintln!("frontline: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// What the configuration is called in messages: its file, or the built-in demo.
fn source(cli: &Cli) -> String {
    cli.config.as_deref().map_or_else(|| "the built-in demo".to_owned(), |path| path.display().to_string())
}

/// The configuration `--config`/`FRONTLINE_CONFIG` names (the demo without one), with `overrides`.
fn load(cli: &Cli, overrides: &Overrides) -> anyhow::Result<Config> {
    Config::load(cli.config.as_deref(), overrides).map_err(|e| match (&e, cli.config.as_deref()) {
        (ConfigError::Read { .. }, _) => anyhow!(e),
        (_, Some(path)) => anyhow!("invalid configuration in {}: {e}", path.display()),
        (_, None) => anyhow!("invalid configuration (built-in demo): {e}"),
    })
}

fn check(cli: &Cli) -> anyhow::Result<()> {
    let config = load(cli, &cli.serve.overrides())?;
    println!("{}", config.summary());
    let found = warnings(&config);
    for warning in &found {
        eprintln!("frontline: warning: {warning}");
    }
    match found.len() {
        0 => println!("configuration is valid"),
        1 => println!("configuration is valid, with 1 warning (on stderr)"),
        n => println!("configuration is valid, with {n} warnings (on stderr)"),
    }
    Ok(())
}

fn serve(cli: &Cli) -> anyhow::Result<()> {
    let config = load(cli, &cli.serve.overrides())?;
    // Before the first log line: a taken port is the one line printed, and nothing is created.
    let listener = frontline::server::bind(&config)?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .init();
    tracing::info!(summary = %config.summary().replace('\n', "; "), "starting");
    for warning in warnings(&config) {
        tracing::warn!(key = %warning.key, "{}", warning.message);
    }
    actix_web::rt::System::new().block_on(frontline::server::run(config, listener))
}

/// Default validity of `frontline token`: a day.
const TOKEN_TTL: u64 = 24 * 3600;

fn token(cli: &Cli, args: &TokenArgs) -> anyhow::Result<()> {
    let config = load(cli, &Overrides::default())?;
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

/// Where the address the console connects to came from, for messages.
fn listen_origin(cli: &Cli) -> String {
    match cli.given("listen") {
        Given::Flag => "--listen".to_owned(),
        Given::Environment => "FRONTLINE_LISTEN".to_owned(),
        Given::No => match cli.config.as_deref() {
            Some(path) => format!("listen in {}", path.display()),
            None => "the built-in demo's listen".to_owned(),
        },
    }
}

fn agent(cli: &Cli, args: &AgentArgs) -> anyhow::Result<()> {
    // The console serves nothing: a public `listen` of the demo is only where to find it.
    let overrides =
        Overrides { listen: cli.serve.listen.clone(), allow_public_demo: true, ..Overrides::default() };
    let needs_config = args.operator.is_some() || args.url.is_none();
    let config = needs_config.then(|| load(cli, &overrides)).transpose()?;
    let (url, url_from) = match (&args.url, &config) {
        (Some(url), _) => (url.clone(), "--url".to_owned()),
        (None, Some(config)) => {
            (server_url_for_listen(&config.listen).map_err(anyhow::Error::msg)?, listen_origin(cli))
        }
        // Without --url the configuration is loaded above.
        (None, None) => bail!("no server address: pass --url"),
    };
    let (token, token_from) = match (&args.operator, &config, &args.token) {
        (Some(operator), Some(config), _) => {
            // A working day (within the cap): the console is interactive, the token never leaves
            // the process.
            let ttl = (12 * 3600).min(config.auth.max_token_ttl);
            let token = issue(config, operator, None, ttl)?;
            (token, TokenFrom::Issued { operator: operator.clone(), source: source(cli) })
        }
        (None, _, Some(token)) => {
            let flag = if cli.given("token") == Given::Environment { "FRONTLINE_TOKEN" } else { "--token" };
            (token.clone(), TokenFrom::Given(flag))
        }
        _ => bail!(
            "no token: pass --operator ID (issued here from the configuration's secret), --token JWT, \
             or set FRONTLINE_TOKEN"
        ),
    };
    let result = actix_web::rt::System::new().block_on(frontline::agent::run(&url, &token));
    match result {
        Ok(()) => Ok(()),
        Err(AgentError::Unauthorized { url }) => Err(anyhow!("{}", refused(&url, &url_from, &token_from))),
        Err(AgentError::Connect { url, reason }) => {
            Err(anyhow!("cannot connect to {url} (from {url_from}): {reason}; is the server running there?"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Where the console's token came from.
enum TokenFrom {
    /// Issued here for `operator` from the secret of `source`.
    Issued { operator: String, source: String },
    /// Given with this flag or environment variable.
    Given(&'static str),
}

/// The one line explaining a 401: which server, where its address and the token came from, and
/// what to look at.
fn refused(url: &str, url_from: &str, token: &TokenFrom) -> String {
    match token {
        TokenFrom::Issued { operator, source } => format!(
            "the server at {url} (from {url_from}) refused the token issued here for operator {operator} \
             with the auth.jwt_secret of {source} (HTTP 401): the server listening there does not run \
             with that configuration (its secret differs, or it has no operator {operator} with that \
             role); start it with the same configuration, or pass --url with the address of the one \
             that does"
        ),
        TokenFrom::Given(flag) => format!(
            "the server at {url} (from {url_from}) refused the token from {flag} (HTTP 401): it is \
             expired, not signed with that server's auth.jwt_secret, or names an operator or role the \
             server does not have; `frontline agent --operator ID --config FILE` with the server's \
             file issues one that fits"
        ),
    }
}

/// Random bytes as lower-case hex.
fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| anyhow!("cannot get random bytes from the system: {e}"))?;
    Ok(hex::encode(buffer))
}

fn init(cli: &Cli, args: &InitArgs) -> anyhow::Result<()> {
    let path: PathBuf = match (&args.path, &cli.config) {
        (Some(path), Some(config)) if path != config && cli.given("config") == Given::Flag => {
            bail!("two files to write: {} and --config {}; give one", path.display(), config.display())
        }
        (Some(path), _) | (None, Some(path)) => path.clone(),
        (None, None) => PathBuf::from("frontline.toml"),
    };
    let listen = cli.serve.listen.as_deref().unwrap_or(frontline::config::raw::DEFAULT_LISTEN);
    let data_dir = cli
        .serve
        .data_dir
        .as_deref()
        .unwrap_or(Path::new(frontline::config::raw::DEFAULT_DATA_DIR))
        .to_string_lossy()
        .into_owned();
    // 32 random bytes: as long as HS256's output, the most a secret adds.
    let (jwt_secret, email_token) = (random_hex(32)?, random_hex(16)?);
    let text =
        Starter { jwt_secret: &jwt_secret, email_token: &email_token, listen, data_dir: &data_dir }.render();
    // Written only if `check` would accept it (a bad --listen fails here, not at the first start).
    Config::from_toml_str(&text, &Overrides::default()).map_err(|e| anyhow!("invalid configuration: {e}"))?;
    write_new(&path, &text, args.force)?;
    let shown = path.display();
    println!("wrote {shown}: lines line1 and line2, operators alice, bob, xena and sam (supervisor),");
    println!("channels web and email, two rules, and a fresh random jwt_secret (keep the file private).");
    println!("next:");
    println!("  frontline check --config {shown}");
    println!("  frontline serve --config {shown}");
    println!("  frontline agent --config {shown} --operator alice");
    Ok(())
}

/// Writes `text` to a new file at `path` (readable by its owner only: it holds secrets);
/// an existing file is refused unless `force`.
fn write_new(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            anyhow!("{} already exists; pass --force to overwrite it", path.display())
        }
        _ => anyhow!("cannot write {}: {}", path.display(), plain_io_error(&e)),
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| anyhow!("cannot write {}: {}", path.display(), plain_io_error(&e)))
}
