//! The deployment files in `deploy/`: the Kubernetes manifests and the compose file parse and
//! hold what a rollout needs (probes on `/readyz` and `/healthz`, a `preStop` within the grace
//! period, the node id from the pod name, no session affinity, Redis with `appendfsync always`,
//! three nodes on one configuration file, HAProxy with a tunnel timeout and a `/readyz` check),
//! and the configurations they ship pass `frontline check`; the Grafana dashboard asks only for
//! metrics a node really exports; `deploy/local-cluster.sh` starts Redis, three nodes and
//! HAProxy on loopback, a client and an operator chat through HAProxy, and the chat goes on
//! after a node is killed.
//!
//! The YAML files are read with `python3` and PyYAML (there is no YAML crate here); the local
//! cluster needs `redis-server`, `haproxy` and `curl`. `deploy/test.sh` installs them; without
//! them the tests fail saying what to install.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

/// `deploy/<path>` in this repository.
fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Runs the binary with `args` and none of the caller's `FRONTLINE_*` variables.
fn frontline(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frontline"));
    cmd.args(args).stdin(Stdio::null());
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("FRONTLINE_")) {
        cmd.env_remove(key);
    }
    cmd.output().expect("the binary runs")
}

/// Asserts that `frontline check` accepts the configuration file at `path`.
fn check_accepts(path: &Path, what: &str) {
    let out = frontline(&["check", "--config", &path.to_string_lossy()]);
    assert!(
        out.status.success(),
        "{what}: `frontline check` refuses it:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh directory under the system's temp dir (the caller removes it).
fn scratch_dir(prefix: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// --- YAML through python3 + PyYAML ----------------------------------------------------------

const YAML_TO_JSON: &str = "import json, sys, yaml\n\
    print(json.dumps([list(yaml.safe_load_all(open(p))) for p in sys.argv[1:]], default=str))";

/// A Python that has PyYAML: `python3` on the PATH, else the system's.
fn python_with_yaml() -> &'static str {
    for candidate in ["python3", "/usr/bin/python3"] {
        let ok = Command::new(candidate)
            .args(["-c", "import yaml"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return candidate;
        }
    }
    panic!(
        "reading the YAML files needs python3 with PyYAML: install it \
         (e.g. `apt-get install python3-yaml`; deploy/test.sh does this when run as root)"
    );
}

/// The documents of each YAML file, as JSON (empty documents left out).
fn yaml_documents(files: &[PathBuf]) -> Vec<Vec<Value>> {
    let out = Command::new(python_with_yaml()).arg("-c").arg(YAML_TO_JSON).args(files).output().unwrap();
    assert!(
        out.status.success(),
        "a YAML file does not parse ({files:?}):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Vec<Vec<Value>> = serde_json::from_slice(&out.stdout).unwrap();
    parsed.into_iter().map(|docs| docs.into_iter().filter(|d| !d.is_null()).collect()).collect()
}

/// The entry named `name` of a list of `{name: ...}` objects (containers' env, volumes...).
fn named<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|item| item["name"] == name)
}

/// True when every label of the non-empty `selector` is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector.as_object().is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

// --- (a) the manifests and the compose file -------------------------------------------------

#[test]
fn the_kubernetes_manifests_hold_what_a_rollout_needs() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy("k8s"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let docs: Vec<Value> = yaml_documents(&files).into_iter().flatten().collect();
    for doc in &docs {
        assert!(doc["apiVersion"].is_string() && doc["kind"].is_string(), "not a Kubernetes object: {doc}");
        assert!(doc["metadata"]["name"].is_string(), "an object without a name: {doc}");
    }
    let of_kind = |kind: &str| -> &Value {
        docs.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind} in deploy/k8s/*.yaml"))
    };
    let (deployment, service, pdb, config_map) =
        (of_kind("Deployment"), of_kind("Service"), of_kind("PodDisruptionBudget"), of_kind("ConfigMap"));

    // The Deployment: probes, drain, node id, Redis, the configuration file.
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert!(selects(&deployment["spec"]["selector"]["matchLabels"], pod_labels), "{deployment}");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = pod["containers"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["image"].as_str().is_some_and(|i| i.contains("frontline"))))
        .unwrap_or_else(|| panic!("no frontline container: {pod}"));
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz", "{container}");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz", "{container}");
    let pre_stop = &container["lifecycle"]["preStop"];
    assert!(pre_stop.as_object().is_some_and(|p| !p.is_empty()), "no preStop: {container}");
    // The preStop sleep (exec sleep N, or the sleep action) fits in the grace period with time
    // left for the node to close its sockets and flush.
    let sleep = pre_stop["sleep"]["seconds"].as_u64().or_else(|| {
        pre_stop["exec"]["command"].as_array()?.iter().filter_map(Value::as_str).find_map(|w| w.parse().ok())
    });
    let sleep = sleep.unwrap_or_else(|| panic!("the preStop does not sleep: {pre_stop}"));
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
    assert!(sleep > 0 && sleep + 10 <= grace, "preStop sleeps {sleep} s of a {grace} s grace period");
    let env = &container["env"];
    let node_id = named(env, "FRONTLINE_NODE_ID").unwrap_or_else(|| panic!("no FRONTLINE_NODE_ID: {env}"));
    assert_eq!(node_id["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name", "the node id is the pod name");
    let redis = named(env, "FRONTLINE_REDIS_URL").unwrap_or_else(|| panic!("no FRONTLINE_REDIS_URL: {env}"));
    assert!(redis["value"].is_string() || redis["valueFrom"].is_object(), "{redis}");

    // FRONTLINE_CONFIG names a file of the ConfigMap, mounted from it.
    let config_path = named(env, "FRONTLINE_CONFIG").and_then(|e| e["value"].as_str()).unwrap_or("");
    let (mount_dir, file) = config_path.rsplit_once('/').unwrap_or_else(|| panic!("FRONTLINE_CONFIG: {env}"));
    let mount = container["volumeMounts"]
        .as_array()
        .and_then(|m| {
            m.iter().find(|m| m["mountPath"].as_str().map(|p| p.trim_end_matches('/')) == Some(mount_dir))
        })
        .unwrap_or_else(|| panic!("nothing is mounted at {mount_dir}: {container}"));
    let volume = named(&pod["volumes"], mount["name"].as_str().unwrap())
        .unwrap_or_else(|| panic!("no volume {}: {pod}", mount["name"]));
    assert_eq!(volume["configMap"]["name"], config_map["metadata"]["name"], "{volume}");
    let text = config_map["data"][file].as_str().unwrap_or_else(|| panic!("the ConfigMap has no {file}"));
    let dir = scratch_dir("frontline-deploy-k8s");
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    check_accepts(&path, "the ConfigMap's configuration");
    let _ = std::fs::remove_dir_all(&dir);

    // The Service spreads connections with no affinity; the budget covers the same pods.
    assert!(selects(&service["spec"]["selector"], pod_labels), "{service}");
    assert_ne!(service["spec"]["sessionAffinity"], "ClientIP", "any node serves any socket: {service}");
    assert!(selects(&pdb["spec"]["selector"]["matchLabels"], pod_labels), "{pdb}");
    assert!(
        pdb["spec"]["minAvailable"].is_number()
            || pdb["spec"]["minAvailable"].is_string()
            || pdb["spec"]["maxUnavailable"].is_number()
            || pdb["spec"]["maxUnavailable"].is_string(),
        "{pdb}"
    );
}

/// A compose `environment` (a map or a list of `KEY=VALUE`) as a map.
fn environment(service: &Value) -> BTreeMap<String, String> {
    match &service["environment"] {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect(),
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// A compose service's volumes in short form (`source:target[:mode]`), as `(source, target)`.
fn mounts(service: &Value) -> Vec<(String, String)> {
    let list = service["volumes"].as_array().cloned().unwrap_or_default();
    list.iter()
        .filter_map(|v| match v {
            Value::String(s) => {
                let mut parts = s.split(':');
                Some((parts.next()?.to_string(), parts.next()?.to_string()))
            }
            Value::Object(_) => Some((v["source"].as_str()?.to_string(), v["target"].as_str()?.to_string())),
            _ => None,
        })
        .collect()
}

/// A compose `command` (a list or a string) as one string.
fn command_line(service: &Value) -> String {
    match &service["command"] {
        Value::Array(words) => words
            .iter()
            .map(|w| w.as_str().map_or_else(|| w.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(" "),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

#[test]
fn the_compose_file_runs_redis_with_aof_three_nodes_on_one_config_and_haproxy() {
    let compose = yaml_documents(&[deploy("compose.yaml")]).remove(0).remove(0);
    let services = compose["services"].as_object().unwrap_or_else(|| panic!("no services: {compose}"));

    // Redis: every write on disk before it answers.
    let redis = services
        .values()
        .find(|s| s["image"].as_str().is_some_and(|i| i.starts_with("redis")))
        .unwrap_or_else(|| panic!("no Redis service"));
    let redis_command = command_line(redis);
    for setting in ["appendonly yes", "appendfsync always"] {
        assert!(redis_command.contains(setting), "Redis without `{setting}`: {redis_command}");
    }

    // Three nodes: distinct ids, the same configuration file, a data volume each.
    let nodes: Vec<(&String, &Value)> =
        services.iter().filter(|(_, s)| environment(s).contains_key("FRONTLINE_NODE_ID")).collect();
    assert_eq!(nodes.len(), 3, "three frontline nodes expected: {:?}", services.keys().collect::<Vec<_>>());
    let ids: BTreeSet<String> =
        nodes.iter().map(|(_, s)| environment(s)["FRONTLINE_NODE_ID"].clone()).collect();
    assert_eq!(ids.len(), 3, "node ids must differ: {ids:?}");
    let mut config_sources = BTreeSet::new();
    let mut data_volumes = BTreeSet::new();
    for (name, node) in &nodes {
        let env = environment(node);
        assert!(env.get("FRONTLINE_REDIS_URL").is_some_and(|u| u.starts_with("redis")), "{name}: {env:?}");
        let config = env.get("FRONTLINE_CONFIG").unwrap_or_else(|| panic!("{name}: no FRONTLINE_CONFIG"));
        let data_dir =
            env.get("FRONTLINE_DATA_DIR").unwrap_or_else(|| panic!("{name}: no FRONTLINE_DATA_DIR"));
        let mounts = mounts(node);
        let source = mounts
            .iter()
            .find(|(_, target)| target == config)
            .unwrap_or_else(|| panic!("{name}: {config} is not mounted: {mounts:?}"));
        config_sources.insert(source.0.clone());
        let data = mounts
            .iter()
            .find(|(_, target)| target == data_dir)
            .unwrap_or_else(|| panic!("{name}: no volume at {data_dir}: {mounts:?}"));
        assert!(data_volumes.insert(data.0.clone()), "{name} shares its data volume {}", data.0);
    }
    assert_eq!(config_sources.len(), 1, "every node gets the same configuration file: {config_sources:?}");
    let source = config_sources.into_iter().next().unwrap();
    check_accepts(&deploy("").join(&source), "the compose file's configuration");

    // HAProxy in front of the three, WebSockets kept open, no stickiness.
    assert!(
        services.values().any(|s| s["image"].as_str().is_some_and(|i| i.contains("haproxy"))),
        "no HAProxy service"
    );
    let haproxy = read(&deploy("haproxy.cfg"));
    let lines: Vec<&str> = haproxy.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    for wanted in ["mode http", "timeout tunnel", "http-check send meth GET uri /readyz", "option httpchk"] {
        assert!(lines.iter().any(|l| l.starts_with(wanted)), "deploy/haproxy.cfg: no `{wanted}`");
    }
    for (name, _) in &nodes {
        assert!(
            lines.iter().any(|l| l.starts_with("server ") && l.contains(&format!("{name}:"))),
            "deploy/haproxy.cfg has no server for {name}"
        );
    }
    for sticky in ["cookie ", "stick on", "stick match", "balance source"] {
        assert!(!lines.iter().any(|l| l.starts_with(sticky)), "deploy/haproxy.cfg is sticky: `{sticky}`");
    }
}

#[test]
fn the_image_builds_locked_runs_unprivileged_and_checks_readiness() {
    let dockerfile = read(&deploy("Dockerfile"));
    let lines: Vec<&str> = dockerfile.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    assert!(lines.iter().filter(|l| l.starts_with("FROM ")).count() >= 2, "not multi-stage");
    assert!(dockerfile.contains("cargo build --release --locked"), "the build is not --locked");
    let user = lines.iter().rev().find(|l| l.starts_with("USER ")).unwrap_or_else(|| panic!("no USER"));
    assert!(!user.contains("root") && !user.ends_with(" 0") && !user.contains(" 0:"), "{user}");
    assert!(lines.iter().any(|l| l.starts_with("HEALTHCHECK")), "no HEALTHCHECK");
    assert!(dockerfile.contains("/readyz"), "the health check does not ask /readyz");
    for wanted in ["EXPOSE", "VOLUME"] {
        assert!(lines.iter().any(|l| l.starts_with(wanted)), "no {wanted}");
    }
    let ignore = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".dockerignore"));
    for wanted in ["target", ".git"] {
        assert!(
            ignore.lines().any(|l| l.trim().trim_end_matches('/') == wanted),
            ".dockerignore lacks {wanted}"
        );
    }
    check_accepts(&deploy("cluster.toml"), "deploy/cluster.toml");
}

// --- (b) the dashboard ----------------------------------------------------------------------

/// Every string under the keys `expr`, `query` and `definition` anywhere in `value`.
fn queries(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr" | "query" | "definition", Value::String(s)) => out.push(s.clone()),
                    _ => queries(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| queries(v, out)),
        _ => {}
    }
}

/// The `frontline_*` metric names in a PromQL expression.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(at) = expr[i..].find("frontline_") {
        let start = i + at;
        let word_start =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        if word_start {
            names.insert(expr[start..end].to_string());
        }
        i = end;
    }
    names
}

/// The series names in a Prometheus text exposition.
fn exported(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap_or_default().to_string())
        .collect()
}

#[actix_web::test]
async fn the_grafana_dashboard_asks_only_for_metrics_a_node_exports() {
    let dashboard: Value = serde_json::from_str(&read(&deploy("grafana/frontline.json")))
        .unwrap_or_else(|e| panic!("deploy/grafana/frontline.json is not JSON: {e}"));
    assert!(
        dashboard["schemaVersion"].as_u64().is_some_and(|v| v >= 36),
        "schemaVersion {}",
        dashboard["schemaVersion"]
    );
    let datasource_variable = dashboard["templating"]["list"]
        .as_array()
        .is_some_and(|vars| vars.iter().any(|v| v["type"] == "datasource" && v["query"] == "prometheus"));
    let datasource_input = dashboard["__inputs"].as_array().is_some_and(|inputs| {
        inputs.iter().any(|i| i["type"] == "datasource" && i["pluginId"] == "prometheus")
    });
    assert!(datasource_variable || datasource_input, "no Prometheus datasource variable or input");
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.iter().filter(|p| p["targets"].is_array()).count() >= 8, "too few panels");
    let mut exprs = Vec::new();
    queries(&dashboard, &mut exprs);
    let wanted: BTreeSet<String> = exprs.iter().flat_map(|e| metric_names(e)).collect();
    assert!(!wanted.is_empty(), "the dashboard asks for no frontline metric");

    // A node that did a bit of everything: a chat, an error, a webhook delivery, a socket
    // closed by the server.
    let hook = Receiver::start(Answer::Accept);
    let config = config_with(|t| {
        push(
            t,
            "channels",
            &format!(
                "id = \"hooked\"\nkind = \"realtime\"\nline = \"line1\"\nwebhook_url = \"{}\"",
                hook.url
            ),
        );
    });
    let server = TestServer::start_process(&config);
    let mut alice = agent(&server, "alice").await;
    let mut c = client(&server, "c1").await;
    let ack = c.request(json!({"type": "send", "text": "hello"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let id = ack["chat"].as_u64().unwrap();
    alice.wait(|f| f["type"] == "offer" && chat_of(f) == id).await;
    assert_eq!(alice.request(json!({"type": "accept", "chat": id})).await["type"], "ack");
    assert_eq!(alice.request(json!({"type": "send", "chat": id, "text": "hi"})).await["type"], "ack");
    let refused = c.request(json!({"type": "no_such_frame"})).await;
    assert_eq!(refused["type"], "error", "{refused}");
    let path = format!("/api/v1/conversations/{}/automated", encode("hooked:h1"));
    let (status, body) =
        post_json(&server, &path, &token("sam", "supervisor"), &json!({"kind": "bot", "text": "shipped"}))
            .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    hook.wait_hits(1).await;
    let mut bad = client(&server, "c2").await;
    bad.send_fragments(&[br#"{"type":"send","text":"caf"#, b"\xC3\"}"]).await;
    assert_eq!(bad.closed_within(Duration::from_secs(5)).await, Some(1007));

    // Counters with labels show once counted: wait a little for the last ones.
    let deadline = Instant::now() + Duration::from_secs(10);
    let missing = loop {
        let (_, text) = get_text(&server, "/metrics", "").await;
        let have = exported(&text);
        let missing: Vec<&String> = wanted.iter().filter(|name| !have.contains(*name)).collect();
        if missing.is_empty() || Instant::now() >= deadline {
            break missing.into_iter().cloned().collect::<Vec<_>>();
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(missing.is_empty(), "the dashboard uses metrics the node does not export: {missing:?}");
    hook.stop().await;
}

fn chat_of(frame: &Value) -> u64 {
    match &frame["chat"] {
        Value::Object(c) => c["id"].as_u64().unwrap(),
        other => other.as_u64().unwrap(),
    }
}

// --- (c) the local cluster ------------------------------------------------------------------

/// `deploy/local-cluster.sh` running on free loopback ports in its own state directory;
/// `down` (and the directory removed) on drop, whatever happened.
struct LocalCluster {
    dir: PathBuf,
    public: u16,
    env: Vec<(String, String)>,
}

impl LocalCluster {
    fn up() -> LocalCluster {
        for (tool, package) in [("redis-server", "redis-server"), ("haproxy", "haproxy"), ("curl", "curl")] {
            let found = Command::new("sh")
                .args(["-c", &format!("PATH=\"$PATH:/usr/sbin:/sbin\" command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                found,
                "deploy/local-cluster.sh needs {tool}: install it (e.g. `apt-get install {package}`; \
                 deploy/test.sh does this when run as root)"
            );
        }
        // Six distinct free ports, held together so none is handed out twice.
        let listeners: Vec<TcpListener> = (0..6).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
        let ports: Vec<u16> = listeners.iter().map(|l| l.local_addr().unwrap().port()).collect();
        drop(listeners);
        let dir = scratch_dir("frontline-local-cluster");
        let env = vec![
            ("FRONTLINE_BIN".to_string(), env!("CARGO_BIN_EXE_frontline").to_string()),
            ("LOCAL_CLUSTER_CONFIG".to_string(), deploy("cluster.toml").to_string_lossy().into_owned()),
            ("LOCAL_CLUSTER_DIR".to_string(), dir.to_string_lossy().into_owned()),
            ("LOCAL_CLUSTER_PORT".to_string(), ports[0].to_string()),
            ("LOCAL_CLUSTER_STATS_PORT".to_string(), ports[1].to_string()),
            ("LOCAL_CLUSTER_REDIS_PORT".to_string(), ports[2].to_string()),
            ("LOCAL_CLUSTER_NODE_PORTS".to_string(), format!("{},{},{}", ports[3], ports[4], ports[5])),
            ("LOCAL_CLUSTER_TIMEOUT".to_string(), "40".to_string()),
        ];
        let cluster = LocalCluster { dir, public: ports[0], env };
        let out = cluster.script("up");
        assert!(
            out.status.success(),
            "local-cluster.sh up failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains(&format!("http://127.0.0.1:{}/", ports[0])), "up names no public URL:\n{said}");
        cluster
    }

    /// Runs `deploy/local-cluster.sh <command>` with this cluster's environment only.
    fn script(&self, command: &str) -> Output {
        let mut cmd = Command::new("bash");
        cmd.arg(deploy("local-cluster.sh")).arg(command).stdin(Stdio::null());
        for (key, _) in
            std::env::vars().filter(|(k, _)| k.starts_with("FRONTLINE_") || k.starts_with("LOCAL_CLUSTER_"))
        {
            cmd.env_remove(key);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.output().expect("bash runs")
    }

    /// The PID of component `name` (`n1`, `redis`, `haproxy`...).
    fn pid(&self, name: &str) -> String {
        read(&self.dir.join(format!("{name}.pid"))).trim().to_string()
    }

    /// The last lines of every log in the state directory.
    fn logs(&self) -> String {
        let mut all = String::new();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for path in entries.iter().filter(|p| p.extension().is_some_and(|e| e == "log")) {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(20).collect();
            all.push_str(&format!("--- {}\n", path.display()));
            for line in tail.into_iter().rev() {
                all.push_str(line);
                all.push('\n');
            }
        }
        all
    }

    /// `GET path` through HAProxy (HTTP/1.0, one connection): status and JSON body.
    fn get(&self, path: &str, bearer: &str) -> (u16, Value) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.public)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let auth =
            if bearer.is_empty() { String::new() } else { format!("Authorization: Bearer {bearer}\r\n") };
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n{auth}\r\n", self.public).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text.as_str(), ""));
        let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string())))
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("local cluster logs:\n{}", self.logs());
        }
        let out = self.script("down");
        if !out.status.success() {
            eprintln!("local-cluster.sh down failed:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An operator token from the cluster's configuration, as `frontline token` prints it.
fn operator_token(operator: &str) -> String {
    let config = deploy("cluster.toml");
    let out = frontline(&["token", "--config", &config.to_string_lossy(), "--operator", operator]);
    assert!(out.status.success(), "frontline token: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A socket through HAProxy that got its welcome, retried for up to 20 s (a node may be down,
/// the leadership changing).
async fn connect(url: &str) -> Ws {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(ws) = Ws::try_connect(url).await {
            if ws.welcome["type"] == "welcome" {
                return ws;
            }
        }
        assert!(Instant::now() < deadline, "no welcome through HAProxy at {url}");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_local_cluster_behind_haproxy_keeps_a_chat_going_when_a_node_is_killed() {
    let cluster = LocalCluster::up();
    let base = format!("ws://127.0.0.1:{}", cluster.public);
    let (status, health) = cluster.get("/readyz", "");
    assert_eq!(status, 200, "{health}");
    let agent_url = format!("{base}/ws/agent?token={}", operator_token("alice"));
    let sam = operator_token("sam");

    // A client and an operator chat through HAProxy.
    let mut alice = connect(&agent_url).await;
    let mut c = connect(&format!("{base}/ws/client?channel=web&client_id=c1&name=Ann")).await;
    let conversation_token =
        c.welcome["token"].as_str().unwrap_or_else(|| panic!("{}", c.welcome)).to_string();
    let ack = c.request(json!({"type": "send", "text": "hello", "client_msg_id": "m1"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let id = ack["chat"].as_u64().unwrap();
    alice.wait(|f| f["type"] == "offer" && chat_of(f) == id).await;
    let accepted = alice.request(json!({"type": "accept", "chat": id})).await;
    assert_eq!(accepted["type"], "ack", "{accepted}");
    let sent = alice.request(json!({"type": "send", "chat": id, "text": "hi, how can I help?"})).await;
    assert_eq!(sent["type"], "ack", "{sent}");
    let answer = c.wait(|f| f["type"] == "message" && f["message"]["author"]["kind"] == "operator").await;
    assert_eq!(answer["message"]["text"], "hi, how can I help?");

    // kill -9 the leader (the hardest node to lose: the others must take over).
    let (_, health) = cluster.get("/healthz", "");
    let leader = health["leader"].as_str().unwrap_or_else(|| panic!("no leader: {health}")).to_string();
    let killed = Command::new("kill").args(["-KILL", &cluster.pid(&leader)]).status().unwrap();
    assert!(killed.success(), "cannot kill {leader}");
    let at = Instant::now();

    // The client comes back through HAProxy with its conversation token and writes on.
    c.close().await;
    let client_url = format!("{base}/ws/client?channel=web&client_id=c1&name=Ann&token={conversation_token}");
    let mut c = connect(&client_url).await;
    loop {
        match c
            .try_request(
                json!({"type": "send", "text": "still there?", "client_msg_id": "m2"}),
                Duration::from_secs(5),
            )
            .await
        {
            Some(ack) if ack["type"] == "ack" => {
                assert_eq!(ack["chat"], id, "{ack}");
                break;
            }
            Some(refused) => {
                assert_eq!(refused["code"], "unavailable", "{refused}");
                actix_web::rt::time::sleep(Duration::from_millis(100)).await;
            }
            None => c = connect(&client_url).await,
        }
        assert!(
            at.elapsed() < Duration::from_secs(20),
            "the client never wrote again after {leader} was killed"
        );
    }

    // The operator gets it: live, or (her socket was on the killed node, or the new leader
    // welcomed her sockets again) with the chat in her next welcome.
    let in_my =
        |welcome: &Value| welcome["my"].as_array().is_some_and(|my| my.iter().any(|chat| chat["id"] == id));
    let seen = alice
        .wait_for(
            |f| {
                (f["type"] == "message" && f["message"]["text"] == "still there?")
                    || (f["type"] == "welcome" && in_my(f))
            },
            Duration::from_secs(10),
        )
        .await;
    if seen.is_none() {
        assert!(alice.is_closed(), "alice's socket is open but she never heard of the message");
        let again = connect(&agent_url).await;
        assert!(in_my(&again.welcome), "chat {id} is not in alice's welcome: {}", again.welcome);
    }
    // And it is stored once, after what came before, read through HAProxy from any node.
    let (status, body) = cluster.get(&format!("/api/v1/chats/{id}/messages?limit=100"), &sam);
    assert_eq!(status, 200, "{body}");
    let texts: Vec<&str> =
        body["items"].as_array().unwrap().iter().filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(texts, ["hello", "hi, how can I help?", "still there?"], "{body}");
}
