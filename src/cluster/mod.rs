//! Cluster mode over Redis: several nodes, one leader.
//!
//! - **Membership.** Every node heartbeats into the sorted set `fl:members` (score: when its
//!   membership lapses, `lease` after the beat). A node missing its beats for a lease is gone.
//! - **Leadership and ownership.** One node holds the lease `fl:leader` (`SET NX PX`, renewed
//!   by a compare-and-renew script every `tick`). The leader runs the core: every conversation
//!   actor, the supervisor, the deadline scheduler and the webhook deliverer. Each new leadership
//!   takes a number from `fl:epoch` (`INCR`): the fencing token the store's commit script checks,
//!   so a leader that lost its lease (paused, partitioned) can no longer write, and its actors
//!   drop themselves on the refusal. A leader that cannot renew for a lease steps down on its own.
//! - **Calls.** A node that does not lead forwards what its door is asked ([`Call`]) to the
//!   leader over pub/sub (`fl:rpc:<node>`, answers on `fl:reply:<node>`), with a deadline.
//! - **Fan-out.** Every notice the leader's hub sends also goes out on `fl:notices`, published
//!   in the order the hub sent it (one connection, one task), and every other node delivers it to
//!   its own sockets.
//! - **Sockets.** Operators' sockets on every node are announced to the leader, tagged with the
//!   node. When a node's membership lapses, the leader closes its sockets (their presence grace
//!   starts); when the leader changes (a new term: leader and epoch), every node announces its
//!   sockets to the new one, within the grace every operator gets when a core starts, and then
//!   welcomes each of its sockets again: notices lost while the lead changed hands (Redis away,
//!   a leader killed between its commit and its publish) are in the new welcome.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use redis::aio::ConnectionManager;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};

use crate::actors::hub::Relayed;
use crate::node::{Answer, Call, Node, Remote};

/// The leader lease.
pub const LEADER_KEY: &str = "fl:leader";
/// The fencing counter: one number per leadership.
pub const EPOCH_KEY: &str = "fl:epoch";
/// Live nodes and when their membership lapses (ms since the epoch).
pub const MEMBERS_KEY: &str = "fl:members";
/// Notices for every node's sockets.
pub const NOTICES_CHANNEL: &str = "fl:notices";

fn rpc_channel(node: &str) -> String {
    format!("fl:rpc:{node}")
}

fn reply_channel(node: &str) -> String {
    format!("fl:reply:{node}")
}

/// How a node takes part in a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The Redis URL.
    pub url: String,
    /// This node's id (unique in the cluster).
    pub node_id: String,
    /// How long a lease or a membership lasts without renewal.
    pub lease: Duration,
    /// How often the lease and membership are renewed (a third of `lease` or less).
    pub tick: Duration,
    /// How long a forwarded call may wait for the leader's answer.
    pub call_timeout: Duration,
}

impl ClusterOptions {
    /// Defaults: a 2 s lease renewed every 400 ms, calls answered within 5 s.
    pub fn new(url: &str, node_id: &str) -> Self {
        Self {
            url: url.to_string(),
            node_id: node_id.to_string(),
            lease: Duration::from_secs(2),
            tick: Duration::from_millis(400),
            call_timeout: Duration::from_secs(5),
        }
    }
}

/// A call on its way to the leader.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    id: u64,
    from: String,
    call: Call,
}

/// The leader's answer on its way back.
#[derive(Debug, Serialize, Deserialize)]
struct Response {
    id: u64,
    answer: Answer,
}

/// A relayed notice with the node it came from.
#[derive(Debug, Serialize, Deserialize)]
struct Broadcast {
    origin: String,
    relayed: Relayed,
}

/// Who leads, and under which epoch: a node that loses the lease and takes it again leads a
/// new term (and runs a new core).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    node: String,
    epoch: u64,
}

/// This node's membership of a cluster.
pub struct Cluster {
    options: ClusterOptions,
    client: redis::Client,
    conn: ConnectionManager,
    /// The leader and its epoch as last read from Redis.
    leader: watch::Sender<Option<Term>>,
    /// Whether this node leads, and with which epoch.
    epoch: watch::Sender<Option<u64>>,
    pending: DashMap<u64, oneshot::Sender<Answer>>,
    next: AtomicU64,
    /// Live members as the leader last saw them.
    members: Mutex<BTreeSet<String>>,
}

impl Cluster {
    /// Connects to Redis (failing if it cannot be reached now).
    pub async fn connect(options: ClusterOptions) -> Result<Arc<Cluster>, redis::RedisError> {
        let client = redis::Client::open(options.url.as_str())?;
        let conn = ConnectionManager::new(client.clone()).await?;
        Ok(Arc::new(Cluster {
            options,
            client,
            conn,
            leader: watch::Sender::new(None),
            epoch: watch::Sender::new(None),
            pending: DashMap::new(),
            next: AtomicU64::new(0),
            members: Mutex::new(BTreeSet::new()),
        }))
    }

    /// A connection to the cluster's Redis (reconnecting by itself).
    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.options.node_id
    }

    /// The leader as last seen (`None`: no leader now, or Redis cannot be reached).
    pub fn leader(&self) -> Option<String> {
        self.leader.borrow().as_ref().map(|term| term.node.clone())
    }

    /// The epoch of this node's leadership, while it leads.
    pub fn epoch(&self) -> Option<u64> {
        *self.epoch.borrow()
    }

    /// Changes of this node's leadership (`Some(epoch)` while it leads).
    pub fn leadership(&self) -> watch::Receiver<Option<u64>> {
        self.epoch.subscribe()
    }

    /// Runs the node's part in the cluster until the process ends: the lease and membership
    /// loop, the pub/sub listener (calls, answers, notices) and the notice publisher. `fence`
    /// is told each new epoch before the core starts (the store's writes carry it).
    pub fn run(self: &Arc<Self>, node: Arc<Node>, fence: Arc<dyn Fn(u64) + Send + Sync>) {
        let (relay, relayed) = mpsc::unbounded_channel();
        node.hub_relay(relay);
        let _ = node.set_remote(Arc::new(Forwarder(self.clone())));
        actix::spawn(self.clone().lease_loop(node.clone(), fence));
        actix::spawn(self.clone().listen(node.clone()));
        tokio::spawn(self.clone().publish_notices(relayed));
        actix::spawn(self.clone().follow_leader(node));
    }

    /// Renews membership and the lease (or tries to take it) every tick.
    async fn lease_loop(self: Arc<Self>, node: Arc<Node>, fence: Arc<dyn Fn(u64) + Send + Sync>) {
        let me = self.options.node_id.clone();
        let lease_ms = i64::try_from(self.options.lease.as_millis()).unwrap_or(i64::MAX);
        let renew = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then \
               redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 \
             else return 0 end",
        );
        let mut conn = self.conn.clone();
        let mut renewed_at = Instant::now();
        loop {
            let now = crate::clock::SystemClock::now().millis();
            let beat: redis::RedisResult<()> = conn.zadd(MEMBERS_KEY, &me, now + lease_ms).await;
            if let Err(e) = beat {
                tracing::warn!(error = %e, "cluster: cannot renew membership");
            }
            if self.epoch().is_some() {
                let kept: redis::RedisResult<i64> =
                    renew.key(LEADER_KEY).arg(&me).arg(lease_ms).invoke_async(&mut conn).await;
                match kept {
                    Ok(1) => renewed_at = Instant::now(),
                    Ok(_) => self.step_down(&node, "another node holds the lease"),
                    Err(e) if renewed_at.elapsed() + self.options.tick >= self.options.lease => {
                        self.step_down(&node, &format!("cannot renew the lease: {e}"));
                    }
                    Err(e) => tracing::warn!(error = %e, "cluster: lease renewal failed; retrying"),
                }
            } else {
                let taken: redis::RedisResult<Option<String>> = redis::cmd("SET")
                    .arg(LEADER_KEY)
                    .arg(&me)
                    .arg("NX")
                    .arg("PX")
                    .arg(lease_ms)
                    .query_async(&mut conn)
                    .await;
                if let Ok(Some(_)) = taken {
                    match conn.incr::<_, _, u64>(EPOCH_KEY, 1).await {
                        Ok(epoch) => {
                            renewed_at = Instant::now();
                            fence(epoch);
                            self.lead(&node, epoch).await;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cluster: took the lease but cannot number it");
                            let _: redis::RedisResult<i64> = conn.del(LEADER_KEY).await;
                        }
                    }
                }
            }
            let term: redis::RedisResult<(Option<String>, Option<u64>)> =
                redis::cmd("MGET").arg(LEADER_KEY).arg(EPOCH_KEY).query_async(&mut conn).await;
            self.leader.send_if_modified(|seen| {
                let now = match &term {
                    Ok((Some(node), epoch)) => Some(Term { node: node.clone(), epoch: epoch.unwrap_or(0) }),
                    _ => None,
                };
                let changed = *seen != now;
                *seen = now;
                changed
            });
            if self.epoch().is_some() {
                self.watch_members(&mut conn, &node, now).await;
            }
            tokio::time::sleep(self.options.tick).await;
        }
    }

    async fn lead(&self, node: &Arc<Node>, epoch: u64) {
        tracing::info!(node = %self.options.node_id, epoch, "cluster: this node leads; starting the core");
        match node.lead().await {
            Ok(()) => {
                self.epoch.send_replace(Some(epoch));
                *self.lock_members() = BTreeSet::new();
            }
            Err(e) => {
                tracing::error!(error = %e, "cluster: cannot start the core; giving the lease back");
                let mut conn = self.conn.clone();
                let _: redis::RedisResult<i64> = conn.del(LEADER_KEY).await;
            }
        }
    }

    fn step_down(&self, node: &Node, why: &str) {
        tracing::warn!(node = %self.options.node_id, %why, "cluster: this node no longer leads; stopping the core");
        self.epoch.send_replace(None);
        node.follow();
    }

    fn lock_members(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.members.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The leader notices nodes whose membership lapsed: their sockets close.
    async fn watch_members(&self, conn: &mut ConnectionManager, node: &Node, now: i64) {
        let live: redis::RedisResult<Vec<String>> = conn.zrangebyscore(MEMBERS_KEY, now, "+inf").await;
        let Ok(live) = live else { return };
        let live: BTreeSet<String> = live.into_iter().collect();
        let gone: Vec<String> = {
            let mut known = self.lock_members();
            let gone = known.difference(&live).cloned().collect();
            *known = live;
            gone
        };
        for dead in gone {
            tracing::warn!(node = %dead, "cluster: a node is gone; its operator sockets are closed");
            node.node_gone(&dead);
        }
        let _: redis::RedisResult<i64> = conn.zrembyscore(MEMBERS_KEY, "-inf", now - 1).await;
    }

    /// When the leader changes, this node announces its operator sockets to the new one, until
    /// it has them (the lease is visible before the new leader's core has started: early
    /// announcements are refused and made again); and every few seconds anyway. Once the new
    /// leader has them, every socket of this node is welcomed again: notices may have been lost
    /// while the lead changed hands, and a welcome is the whole truth.
    async fn follow_leader(self: Arc<Self>, node: Arc<Node>) {
        let mut leader = self.leader.subscribe();
        let mut epoch = self.epoch.subscribe();
        // Besides every change, the whole set again every few seconds: it replaces what the
        // leader knows of this node, so any announcement lost in a change of leader heals.
        let mut again = tokio::time::interval(Duration::from_secs(3));
        let mut resynced: Option<Term> = None;
        loop {
            tokio::select! {
                changed = leader.changed() => if changed.is_err() { return },
                changed = epoch.changed() => if changed.is_err() { return },
                _ = again.tick() => {}
            }
            let term = leader.borrow_and_update().clone();
            let _ = epoch.borrow_and_update();
            let Some(term) = term else { continue };
            loop {
                if let Answer::Done(Ok(())) = node.announce_sockets().await {
                    if resynced.as_ref() != Some(&term) {
                        node.resync_sockets();
                        resynced = Some(term);
                    }
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                if leader.has_changed().unwrap_or(true) || epoch.has_changed().unwrap_or(true) {
                    break; // a newer leader: the outer loop announces to it
                }
            }
        }
    }

    /// Listens to this node's calls and answers and to every node's notices, reconnecting
    /// (with a short back-off) whenever Redis goes away.
    async fn listen(self: Arc<Self>, node: Arc<Node>) {
        let me = self.options.node_id.clone();
        let (calls, answers) = (rpc_channel(&me), reply_channel(&me));
        loop {
            let subscribed = async {
                let mut pubsub = self.client.get_async_pubsub().await?;
                pubsub.subscribe(&[calls.as_str(), answers.as_str(), NOTICES_CHANNEL]).await?;
                Ok::<_, redis::RedisError>(pubsub)
            };
            let mut pubsub = match subscribed.await {
                Ok(pubsub) => pubsub,
                Err(e) => {
                    tracing::warn!(error = %e, "cluster: cannot subscribe; retrying");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
            };
            let mut messages = pubsub.on_message();
            let mut check = tokio::time::interval(Duration::from_secs(1));
            check.tick().await;
            loop {
                let message = tokio::select! {
                    message = messages.next() => match message {
                        Some(message) => message,
                        None => break,
                    },
                    _ = check.tick() => {
                        // A subscription can die without its stream ending (Redis restarted):
                        // if Redis no longer counts this node's subscriber, subscribe again.
                        let mut conn = self.conn.clone();
                        let counted: redis::RedisResult<Vec<(String, i64)>> =
                            redis::cmd("PUBSUB").arg("NUMSUB").arg(&calls).query_async(&mut conn).await;
                        match counted {
                            Ok(counts) if counts.iter().any(|(_, n)| *n > 0) => continue,
                            Ok(_) => break,
                            Err(_) => continue,
                        }
                    }
                };
                let channel = message.get_channel_name().to_string();
                let payload = message.get_payload_bytes();
                if channel == NOTICES_CHANNEL {
                    match serde_json::from_slice::<Broadcast>(payload) {
                        Ok(b) if b.origin != me => node.deliver(&b.relayed),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "cluster: unreadable notice"),
                    }
                } else if channel == answers {
                    match serde_json::from_slice::<Response>(payload) {
                        Ok(r) => {
                            if let Some((_, waiting)) = self.pending.remove(&r.id) {
                                let _ = waiting.send(r.answer);
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "cluster: unreadable answer"),
                    }
                } else if channel == calls {
                    match serde_json::from_slice::<Request>(payload) {
                        Ok(request) => {
                            let node = node.clone();
                            let mut conn = self.conn.clone();
                            actix::spawn(async move {
                                let answer = node.serve(request.call).await;
                                let response = Response { id: request.id, answer };
                                match serde_json::to_string(&response) {
                                    Ok(text) => {
                                        let sent: redis::RedisResult<i64> =
                                            conn.publish(reply_channel(&request.from), text).await;
                                        if let Err(e) = sent {
                                            tracing::warn!(error = %e, "cluster: cannot answer a call");
                                        }
                                    }
                                    Err(e) => tracing::error!(error = %e, "cluster: cannot encode an answer"),
                                }
                            });
                        }
                        Err(e) => tracing::warn!(error = %e, "cluster: unreadable call"),
                    }
                }
            }
            tracing::warn!("cluster: the subscription ended (Redis went away?); resubscribing");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Publishes the notices this node's hub sends, in order: whatever is waiting goes out in
    /// one pipeline (one round trip however many notices a burst made).
    async fn publish_notices(self: Arc<Self>, mut relayed: mpsc::UnboundedReceiver<Relayed>) {
        let mut conn = self.conn.clone();
        let origin = self.options.node_id.clone();
        let mut batch = Vec::new();
        while relayed.recv_many(&mut batch, 512).await > 0 {
            let mut pipe = redis::pipe();
            for relayed in batch.drain(..) {
                match serde_json::to_string(&Broadcast { origin: origin.clone(), relayed }) {
                    Ok(text) => {
                        pipe.publish(NOTICES_CHANNEL, text).ignore();
                    }
                    Err(e) => tracing::error!(error = %e, "cluster: cannot encode a notice"),
                }
            }
            let sent: redis::RedisResult<()> = pipe.query_async(&mut conn).await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "cluster: notices did not reach the other nodes");
            }
        }
    }

    /// Forwards a call to the leader and waits for its answer.
    async fn forward(self: Arc<Self>, call: Call) -> Answer {
        let Some(leader) = self.leader() else {
            return Answer::Unavailable("no node leads the cluster now".into());
        };
        if leader == self.options.node_id {
            return Answer::Unavailable("this node is taking over the lead; try again".into());
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (answered, answer) = oneshot::channel();
        self.pending.insert(id, answered);
        let request = Request { id, from: self.options.node_id.clone(), call };
        let text = match serde_json::to_string(&request) {
            Ok(text) => text,
            Err(e) => {
                self.pending.remove(&id);
                return Answer::Unavailable(format!("cannot encode the call: {e}"));
            }
        };
        let mut conn = self.conn.clone();
        let listeners: redis::RedisResult<i64> = conn.publish(rpc_channel(&leader), text).await;
        match listeners {
            Ok(0) => {
                self.pending.remove(&id);
                return Answer::Unavailable(format!("the leader {leader} is not listening"));
            }
            Ok(_) => {}
            Err(e) => {
                self.pending.remove(&id);
                return Answer::Unavailable(format!("cannot reach Redis: {e}"));
            }
        }
        match tokio::time::timeout(self.options.call_timeout, answer).await {
            Ok(Ok(answer)) => answer,
            _ => {
                self.pending.remove(&id);
                Answer::Unavailable(format!("the leader {leader} did not answer in time"))
            }
        }
    }
}

/// The door's way to the leader.
struct Forwarder(Arc<Cluster>);

impl Remote for Forwarder {
    fn call(&self, call: Call) -> BoxFuture<'static, Answer> {
        self.0.clone().forward(call).boxed()
    }

    fn leader(&self) -> Option<String> {
        self.0.leader()
    }
}
