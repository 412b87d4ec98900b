//! The guided tour the built-in demo prints once it listens: three terminals, copy-paste
//! commands that work verbatim on a fresh clone and after a restart (the client gets a new
//! conversation each time, operators use the console, the supervisor's token reads the list).
//! Text only; the server prints it.

use crate::auth;
use crate::config::Config;
use crate::domain::Role;

/// The tour for a demo listening on `addr` (`HOST:PORT`).
pub fn demo_tour(config: &Config, addr: &str) -> String {
    let ttl = (24 * 3600).min(config.auth.max_token_ttl);
    let token = |who: &str, role: Role| {
        auth::issue(&config.auth.jwt_secret, who, role, auth::now_secs(), ttl)
            .unwrap_or_else(|e| format!("(cannot issue a token: {e})"))
    };
    let (alice, sam) = (token("alice", Role::Operator), token("sam", Role::Supervisor));
    format!(
        "
frontline demo (built in; not for production): lines line1 and line2; operators alice and bob
(line 1), xena (line 2), sam (supervisor); channel web. Data in {data}.

In a browser: http://{addr}/ is the agent console (one click signs in as a demo operator),
http://{addr}/widget a client's chat, http://{addr}/supervisor the dialog list (sign in as sam).

Or a tour in three terminals, from this directory (this one is terminal 1: leave the router running).

  Terminal 2 - alice's console (she answers line 1):
    cargo run -q --release -- agent --operator alice --url ws://{addr}

  Terminal 3 - a client (websocat: `cargo install websocat`, or any WebSocket client):
    websocat 'ws://{addr}/ws/client?channel=web&name=Ann'
    {{\"type\":\"send\",\"text\":\"Hello, my order is late\"}}
  (Its welcome carries a \"token\": add &client_id=...&token=... to come back to the same
  conversation later. Without them, every connect is a new client.)

  Back in terminal 2, alice sees \"offer #N Ann ...\". She takes it and answers:
    /accept N
    Hi Ann, it ships today.
    /finish N closed
  The client gets the reply, then a vote request. In terminal 3 it votes:
    {{\"type\":\"vote\",\"chat\":N,\"score\":3}}

  The dialog list as sam, the supervisor (any terminal):
    curl -H 'Authorization: Bearer {sam}' 'http://{addr}/api/v1/chats?sort=-created_at'

Tokens (24 h): alice {alice}
Other operators' tokens: cargo run -q --release -- token --operator bob
",
        data = config.data_dir.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Overrides};

    #[test]
    fn the_tour_names_the_address_the_console_and_a_supervisor_token() {
        let config = Config::demo(&Overrides::default()).unwrap();
        let tour = demo_tour(&config, "127.0.0.1:9999");
        assert!(tour.contains("agent --operator alice --url ws://127.0.0.1:9999"), "{tour}");
        assert!(tour.contains("ws://127.0.0.1:9999/ws/client?channel=web&name=Ann"), "{tour}");
        assert!(tour.contains("http://127.0.0.1:9999/ is the agent console"), "{tour}");
        assert!(!tour.contains("client_id=c1"), "a fixed client id would need its token after a restart");
        assert!(!tour.contains("\"chat\":1"), "no chat number is hard-coded");
        let sam = tour.split("Bearer ").nth(1).and_then(|rest| rest.split('\'').next()).unwrap();
        let me = auth::verify(&config.auth, &config.settings, sam, auth::now_secs()).unwrap();
        assert_eq!(
            (me.operator.as_str(), me.role),
            ("sam", Role::Supervisor),
            "the list uses the supervisor"
        );
    }
}
