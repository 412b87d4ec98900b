//! The server: binds its address first (a taken port is reported before anything is created),
//! then opens the store, starts the node and serves the HTTP API and the WebSocket endpoints
//! (with the access log) on it. Startup is a value: [`Server::build`] gives a running server and
//! its address, and [`Server::run`] serves until the shutdown future resolves, then shuts down in
//! order: sockets are told to close (close code 1001), the listener stops, then every accepted
//! write is flushed. The binary waits for SIGTERM/SIGINT; tests start servers in-process on
//! port 0 and stop them with a future of their own.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use tracing::info;

use crate::access_log;
use crate::api;
use crate::clock::{Clock, SystemClock};
use crate::cluster::{Cluster, ClusterOptions};
use crate::config::mask_password;
use crate::config::{plain_io_error, Config};
use crate::edge::{AppState, EdgeError};
use crate::metrics::Metrics;
use crate::node::{Node, NodeOptions, NodeParts};
use crate::presence::{MemoryPresence, PresenceStore, RedisPresence};
use crate::store::redis::RedisStore;
use crate::store::{JournalStore, Store};
use crate::ws;

/// What must hold before anything is logged, created or opened: the address bound. A failure is
/// one plain line, e.g. `cannot listen on 127.0.0.1:8080: address already in use`, and leaves
/// no trace.
pub fn bind(config: &Config) -> anyhow::Result<std::net::TcpListener> {
    listen_on(&config.listen)
}

/// How long shutdown waits for sockets to close after telling them to.
const CLOSING_GRACE: Duration = Duration::from_millis(200);

/// A built server: its node running and its listener serving, until [`Server::run`]'s shutdown.
pub struct Server {
    addr: SocketAddr,
    node: Arc<Node>,
    http: actix_web::dev::Server,
}

impl Server {
    /// Opens the store, starts the node and serves on `listener` (from [`bind`]) with the wall
    /// clock. Must be called inside an actix system.
    pub async fn build(config: Config, listener: std::net::TcpListener) -> anyhow::Result<Server> {
        Self::build_with_clock(config, listener, Arc::new(SystemClock)).await
    }

    /// [`Server::build`] with the node's actors on `clock` (tests move a manual one).
    pub async fn build_with_clock(
        config: Config,
        listener: std::net::TcpListener,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Server> {
        let config = Arc::new(config);
        raise_open_file_limit();
        let node_id = config.node_id.clone().unwrap_or_else(|| "n1".into());
        let metrics = Arc::new(Metrics::new());
        let (store, presence, cluster): (Arc<dyn Store>, Arc<dyn PresenceStore>, _) = match &config.redis_url
        {
            None => {
                let store = JournalStore::open(&config.data_dir)
                    .with_context(|| format!("cannot open the store in {}", config.data_dir.display()))?;
                for collector in store.metrics() {
                    metrics.register(collector);
                }
                (Arc::new(store), Arc::new(MemoryPresence::default()), None)
            }
            Some(url) => {
                let projection = config.data_dir.join("projection");
                let store = RedisStore::open_node(url, &projection, &node_id)
                    .await
                    .with_context(|| format!("cannot open the Redis store at {}", mask_password(url)))?;
                let cluster = Cluster::connect(ClusterOptions::new(url, &node_id))
                    .await
                    .with_context(|| format!("cannot join the cluster at {}", mask_password(url)))?;
                let epoch = store.epoch();
                let fence: Arc<dyn Fn(u64) + Send + Sync> =
                    Arc::new(move |e| epoch.store(e, Ordering::Release));
                let presence = Arc::new(RedisPresence::new(cluster.connection()));
                (Arc::new(store), presence, Some((cluster, fence)))
            }
        };
        let options = NodeOptions {
            node_id: node_id.clone(),
            conversation_messages_per_second: config.limits.conversation_messages_per_second,
            webhook_backoff: config.webhooks.retry_backoff.to_std(),
            webhook_max_attempts: config.webhooks.max_attempts,
            webhook_max_age: config.webhooks.max_age.to_std(),
            ..NodeOptions::default()
        };
        let parts = NodeParts { settings: config.settings.clone(), store, presence, metrics, clock };
        let node = match cluster {
            None => Arc::new(Node::start(parts, options).await.context("cannot start the node")?),
            Some((cluster, fence)) => {
                // The core starts on whichever node takes the lease (this one, or another).
                let node = Arc::new(Node::idle(parts, options));
                cluster.run(node.clone(), fence);
                node
            }
        };
        let state = web::Data::new(AppState::new(config.clone(), node.clone()));
        let access_log = config.access_log;
        let http = HttpServer::new(move || {
            App::new()
                .wrap(Condition::new(access_log, from_fn(access_log::requests)))
                .app_data(state.clone())
                .app_data(web::JsonConfig::default().limit(1 << 20).error_handler(|e, _| {
                    actix_web::Error::from(EdgeError::bad_request(format!("invalid JSON body: {e}")))
                }))
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    actix_web::Error::from(EdgeError::bad_request(format!("invalid query: {e}")))
                }))
                .app_data(web::PathConfig::default().error_handler(|e, _| {
                    actix_web::Error::from(EdgeError::bad_request(format!("invalid path: {e}")))
                }))
                .configure(crate::web::configure)
                .configure(api::configure)
                .configure(ws::configure)
        })
        .on_connect(drop_stalled_connections(config.limits.heartbeat_timeout.to_std()))
        // Frames are small and must leave at once: with Nagle's algorithm on, an ack written
        // while an earlier frame is unacknowledged waits for the peer's delayed ACK (~40 ms).
        .tcp_nodelay(true)
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)
        .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = http.addrs().first().copied().context("the listener has no address")?;
        let http = http.run();
        info!(%addr, "frontline is ready");
        Ok(Server { addr, node, http })
    }

    /// The address it serves on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` resolves, then shuts down in order: sockets closed with 1001,
    /// the listener stopped, every accepted write flushed.
    pub async fn run(self, shutdown: impl Future<Output = ()> + 'static) -> anyhow::Result<()> {
        let Server { node, http, .. } = self;
        let handle = http.handle();
        let closing = node.clone();
        actix_web::rt::spawn(async move {
            shutdown.await;
            info!("shutting down: closing sockets, stopping the listener, flushing the journal");
            closing.close_all_sockets();
            // Let the sessions close (their close frames go out as their streams end) before
            // the listener stops the workers; a session that does not stop in time is left to
            // the graceful stop's own timeout.
            let deadline = Instant::now() + CLOSING_GRACE;
            while closing.open_sockets() > 0 && Instant::now() < deadline {
                actix_web::rt::time::sleep(Duration::from_millis(5)).await;
            }
            handle.stop(true).await;
        });
        http.await.context("the HTTP server failed")?;
        node.shutdown().await.context("flushing the journal failed")?;
        info!("stopped");
        Ok(())
    }
}

/// Runs the router on `listener` (from [`bind`]) until SIGTERM/SIGINT: prints `listening on
/// http://HOST:PORT` once ready (and, for the demo, its tour). Must be called inside an actix
/// system.
pub async fn run(config: Config, listener: std::net::TcpListener) -> anyhow::Result<()> {
    let tour = config.demo.then(|| config.clone());
    let server = Server::build(config, listener).await?;
    println!("listening on http://{}", server.addr());
    if let Some(config) = tour {
        println!("{}", crate::tour::demo_tour(&config, &server.addr().to_string()));
    }
    server.run(wait_for_signal()).await
}

/// Binds `listen` as actix-web would (address reuse, a backlog of 1024); the error is one plain
/// line.
fn listen_on(listen: &str) -> anyhow::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let cannot = |e: std::io::Error| anyhow::anyhow!("cannot listen on {listen}: {}", plain_io_error(&e));
    // Validated by the configuration (IP:PORT, `localhost` already resolved).
    let addr: std::net::SocketAddr = listen.parse().with_context(|| format!("cannot listen on {listen}"))?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(cannot)?;
    #[cfg(unix)]
    socket.set_reuse_address(true).map_err(cannot)?;
    socket.bind(&addr.into()).map_err(cannot)?;
    socket.listen(1024).map_err(cannot)?;
    Ok(socket.into())
}

/// Sets `TCP_USER_TIMEOUT` on every accepted connection: the kernel drops a connection whose peer
/// stopped taking data for `timeout`. A WebSocket session is not polled while its peer does not
/// read, so this is what frees such connections.
fn drop_stalled_connections(
    timeout: Duration,
) -> impl Fn(&dyn std::any::Any, &mut actix_web::dev::Extensions) + Send + Sync + Clone + 'static {
    move |connection, _| {
        if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
            #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
            if let Err(e) = socket2::SockRef::from(tcp).set_tcp_user_timeout(Some(timeout)) {
                tracing::debug!(error = %e, "cannot set TCP_USER_TIMEOUT");
            }
            #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
            let _ = (tcp, timeout);
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Raises the soft limit of open files to the hard one: every socket is a file, and the usual
/// soft default (1024) would cap a contact centre at about a thousand connections.
fn raise_open_file_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    let before = limit.current;
    if before == limit.maximum {
        tracing::info!(open_files = ?before, "open file limit");
        return;
    }
    limit.current = limit.maximum;
    match setrlimit(Resource::Nofile, limit) {
        Ok(()) => tracing::info!(from = ?before, to = ?limit.maximum, "open file limit raised"),
        Err(e) => tracing::warn!(error = %e, open_files = ?before, "cannot raise the open file limit"),
    }
}
