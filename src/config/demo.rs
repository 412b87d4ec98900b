//! The built-in demo configuration (PROTOCOL 1: `frontline` without a config file). It is TOML
//! parsed and validated by the same code as any file, so it cannot drift out of the format.

/// The demo's `auth.jwt_secret`, published here on purpose (a test keeps it the one in
/// [`DEMO_TOML`]): a file using it is warned about.
pub(super) const DEMO_JWT_SECRET: &str = "frontline-demo-secret-NOT-FOR-PRODUCTION";

/// The demo configuration: lines `line1` (round_robin) and `line2` (broadcast), operators alice,
/// bob, xena and sam, channel `web`, and PROTOCOL 2's example rule. Its JWT secret is public:
/// never run a reachable server on it.
pub const DEMO_TOML: &str = r#"# frontline built-in DEMO configuration (used when no --config is given).
listen = "127.0.0.1:8080"
data_dir = "./frontline-data"

[auth]
# DEMO ONLY: this secret is published in the source code. Use your own in a config file.
jwt_secret = "frontline-demo-secret-NOT-FOR-PRODUCTION"

[[channels]]
id = "web"
kind = "realtime"
line = "line1"

[[lines]]
id = "line1"
strategy = "round_robin"

[[lines]]
id = "line2"
strategy = "broadcast"

[[operators]]
id = "alice"
name = "Alice"
lines = ["line1"]
capacity = 5
role = "operator"

[[operators]]
id = "bob"
name = "Bob"
lines = ["line1"]
capacity = 5
role = "operator"

[[operators]]
id = "xena"
name = "Xena"
lines = ["line2"]
capacity = 5
role = "operator"

[[operators]]
id = "sam"
name = "Sam"
lines = ["line1", "line2"]
capacity = 10
role = "supervisor"

[[rules]]
name = "line 2 hands back to line 1"
on = "changed"
when = { author = "operator", responsible_line = "line2", status_before = ["open", "pending"] }
then = [ { finish = "pending" }, { assign_line = "line1" }, { stop = true } ]
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_secret_constant_is_the_demo_file_one() {
        let demo = super::super::Config::demo(&super::super::Overrides::default());
        assert_eq!(demo.map(|c| c.auth.jwt_secret).ok().as_deref(), Some(super::DEMO_JWT_SECRET));
    }
}
