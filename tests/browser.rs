//! The pages in a real browser: headless Chromium (the system's `chromium` and `chromedriver`)
//! driven through WebDriver against an in-process server. The story: a client writes in the
//! widget, the agent console shows the offer, accepts and replies, the widget shows the reply,
//! the agent finishes `closed` with a vote request, the widget shows the vote buttons, votes
//! and gets the thanks; then the supervisor's dialog list. On failure each page's screenshot is
//! saved under `target/screenshots/` (`<test>-<page>.png`); the story's pages at its end are
//! saved there too (`story-done-<page>.png`).
//!
//! Needs `chromium` and `chromedriver` on the PATH (`apt-get install chromium chromium-driver`;
//! `deploy/test.sh` installs them); without them the test fails saying so.

// Tests panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// How long one step may take in the browser.
const STEP: Duration = Duration::from_secs(30);

/// A `chromedriver` on a free port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}

const INSTALL: &str = "install Chromium and its WebDriver: apt-get install chromium chromium-driver \
                       (deploy/test.sh does this when run as root)";

fn start_driver() -> Driver {
    let driver =
        on_path("chromedriver").unwrap_or_else(|| panic!("chromedriver is not on the PATH: {INSTALL}"));
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start chromedriver ({e}): {INSTALL}"));
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen on port {port} within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, url }
}

async fn browser(driver: &Driver, downloads: &std::path::Path) -> Client {
    browser_in(driver, downloads, "en-US").await
}

/// A browser whose language is `lang` (`en-US`, `ru-RU`, ...).
async fn browser_in(driver: &Driver, downloads: &std::path::Path, lang: &str) -> Client {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| on_path(name))
        .unwrap_or_else(|| panic!("chromium is not on the PATH: {INSTALL}"));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", format!("--lang={lang}")],
            "prefs": {
                "intl.accept_languages": lang,
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
            },
        }),
    );
    // chromedriver speaks plain HTTP on loopback: no TLS connector.
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("chromedriver cannot start a browser ({e}): {INSTALL}"))
}

type Step = Result<(), String>;

/// Waits until an element matching `css` has `text` in its text, or says what it saw.
async fn wait_text(page: &Client, css: &str, text: &str) -> Step {
    wait_text_for(page, css, text, STEP).await
}

/// [`wait_text`] for up to `limit`.
async fn wait_text_for(page: &Client, css: &str, text: &str, limit: Duration) -> Step {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        seen.clear();
        // The pages re-render: an element found may be gone when read (stale); look again.
        for element in page.find_all(Locator::Css(css)).await.unwrap_or_default() {
            let got = element.text().await.unwrap_or_default();
            if got.contains(text) {
                return Ok(());
            }
            seen.push(got);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("no {css} with {text:?} within {limit:?}; saw {seen:?}"))
}

/// Waits for a displayed element matching `css` and clicks it.
async fn click(page: &Client, css: &str) -> Step {
    let deadline = Instant::now() + STEP;
    while Instant::now() < deadline {
        if let Ok(element) = page.find(Locator::Css(css)).await {
            if element.is_displayed().await.unwrap_or(false) && element.click().await.is_ok() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("nothing to click at {css} within {STEP:?}"))
}

async fn type_into(page: &Client, css: &str, text: &str) -> Step {
    let element =
        page.wait().at_most(STEP).for_element(Locator::Css(css)).await.map_err(|e| format!("{css}: {e}"))?;
    element.send_keys(text).await.map_err(|e| format!("typing into {css}: {e}"))
}

/// Runs `story` for at most 120 s (`what` names it when it takes longer). When it fails, saves
/// a screenshot of each of `pages` under `name`, closes them and panics with the problem.
async fn within_120_s(
    name: &str,
    what: &str,
    pages: &[(&str, &Client)],
    story: impl std::future::Future<Output = Step>,
) {
    let outcome = tokio::time::timeout(Duration::from_secs(120), story)
        .await
        .unwrap_or_else(|_| Err(format!("{what} took more than 120 s")));
    if let Err(problem) = outcome {
        let saved = screenshots(name, pages).await;
        for (_, page) in pages {
            let _ = Client::clone(page).close().await;
        }
        panic!("{problem}\nscreenshots: {saved:?}");
    }
}

/// Saves a screenshot of each page as `target/screenshots/<test>-<page>.png`.
async fn screenshots(test: &str, pages: &[(&str, &Client)]) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    let mut saved = Vec::new();
    for (name, page) in pages {
        if let Ok(png) = page.screenshot().await {
            let path = dir.join(format!("{test}-{name}.png"));
            if std::fs::write(&path, png).is_ok() {
                saved.push(path);
            }
        }
    }
    saved
}

async fn story(server: &TestServer, agent: &Client, widget: &Client) -> Step {
    let e = |what: &'static str| move |err: fantoccini::error::CmdError| format!("{what}: {err}");
    // The agent signs in with a pasted token and goes online.
    agent.goto(&format!("{}/", server.url)).await.map_err(e("opening the console"))?;
    type_into(agent, "#token", &token("alice", "operator")).await?;
    click(agent, "#signin").await?;
    wait_text(agent, "#state.open", "connected").await?;
    wait_text(agent, "#tab-my", "My (0)").await?;

    // 1. A client writes in the widget.
    widget.goto(&format!("{}/widget?name=Ann", server.url)).await.map_err(e("opening the widget"))?;
    type_into(widget, "#text", "Hello, my order is late").await?;
    click(widget, "#send").await?;
    wait_text(widget, ".msg.mine .text", "Hello, my order is late").await?;

    // 2. The agent sees the offer, accepts it and replies.
    wait_text(agent, ".offer .name", "Ann").await?;
    wait_text(agent, ".offer .countdown", "expires in").await?;
    let rings = agent
        .execute("return document.body.dataset.rings || '0'", vec![])
        .await
        .map_err(|e| format!("cannot read the ring count: {e}"))?;
    if rings.as_str().unwrap_or("0") == "0" {
        return Err("the offer did not ring".into());
    }
    click(agent, ".offer button.accept").await?;
    wait_text(agent, "#tab-my", "My (1)").await?;
    wait_text(agent, "#messages .msg.client .text", "Hello, my order is late").await?;
    type_into(agent, "#reply", "Hi Ann, it ships today.").await?;
    click(agent, "#send").await?;
    wait_text(agent, "#messages .msg.operator .text", "Hi Ann, it ships today.").await?;

    // 3. The widget shows the reply.
    wait_text(widget, ".msg.operator .text", "Hi Ann, it ships today.").await?;

    // 4. The agent finishes `closed` with a vote request; the client votes.
    let status = agent.find(Locator::Css("#finish-status")).await.map_err(e("the finish status"))?;
    status.select_by_value("closed").await.map_err(e("choosing closed"))?;
    let vote = agent.find(Locator::Css("#finish-vote")).await.map_err(e("the vote box"))?;
    if !vote.is_selected().await.map_err(e("the vote box"))? {
        vote.click().await.map_err(e("ticking the vote box"))?;
    }
    let rating = agent.find(Locator::Css("#operator-rating")).await.map_err(e("the operator's rating"))?;
    rating.select_by_value("2").await.map_err(e("rating the client"))?;
    click(agent, "#finish").await?;
    wait_text(widget, "#vote", "How did we do?").await?;
    wait_text(widget, "#vote button[data-score=\"3\"]", "Excellent").await?;
    click(widget, "#vote button[data-score=\"3\"]").await?;
    wait_text(widget, "#vote .thanks", "Thank you").await?;
    wait_text(agent, "#error", "voted").await?;
    wait_text(agent, "#tab-my", "My (0)").await?;
    Ok(())
}

/// The rows of the dialog list: each row's `data-chat` (an error while it re-renders).
async fn rows(page: &Client) -> Result<Vec<String>, fantoccini::error::CmdError> {
    let mut out = Vec::new();
    for row in page.find_all(Locator::Css("#chats tbody tr[data-chat]")).await? {
        out.push(row.attr("data-chat").await?.unwrap_or_default());
    }
    Ok(out)
}

/// Waits until the dialog list shows exactly `want` (chat ids, in order).
async fn wait_rows(page: &Client, want: &[u64]) -> Step {
    let want: Vec<String> = want.iter().map(u64::to_string).collect();
    let deadline = Instant::now() + STEP;
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(now) = rows(page).await {
            seen = now;
            if seen == want {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("the dialog list shows {seen:?}, not {want:?}"))
}

/// The supervisor's part: the voted chat with its rating, a word search, sorting by a header,
/// CSV of the chosen columns, and a bulk finish of another chat.
async fn supervisor_story(
    server: &TestServer,
    page: &Client,
    downloads: &std::path::Path,
    voted: u64,
    other: u64,
) -> Step {
    let e = |what: &'static str| move |err: fantoccini::error::CmdError| format!("{what}: {err}");
    page.goto(&format!("{}/supervisor", server.url)).await.map_err(e("opening the dialog list"))?;
    type_into(page, "#token", &token("sam", "supervisor")).await?;
    click(page, "#signin").await?;
    // Newest first by default: the mail chat, then the voted one with its rating.
    wait_rows(page, &[other, voted]).await?;
    wait_text(page, &format!("tr[data-chat=\"{voted}\"] td[data-column=\"client_rating\"]"), "3").await?;
    wait_text(page, "#lines", "line1").await?;
    wait_text(page, "#operators", "alice").await?;

    // Search by words of the messages.
    type_into(page, "#filters input[name=q]", "parcel").await?;
    click(page, "#apply").await?;
    wait_rows(page, &[other]).await?;
    page.find(Locator::Css("#filters input[name=q]"))
        .await
        .map_err(e("the search box"))?
        .clear()
        .await
        .map_err(e("clearing"))?;
    click(page, "#apply").await?;
    wait_rows(page, &[other, voted]).await?;

    // Any filter of the list: the channel; a bad value is refused in plain words.
    click(page, "#more-filters").await?;
    type_into(page, "#filters input[name=channel]", "mail").await?;
    click(page, "#apply").await?;
    wait_rows(page, &[other]).await?;
    type_into(page, "#filters input[name=client_rating]", "9").await?;
    click(page, "#apply").await?;
    wait_text(page, "#error", "The request was not understood: ").await?;
    wait_text(page, "#error", "client_rating").await?;
    for name in ["channel", "client_rating"] {
        let input =
            page.find(Locator::Css(&format!("#filters input[name={name}]"))).await.map_err(e("a filter"))?;
        input.clear().await.map_err(e("clearing a filter"))?;
    }
    click(page, "#apply").await?;
    wait_rows(page, &[other, voted]).await?;

    // Sort by id: descending on the first click, ascending on the second.
    click(page, "th[data-column=\"id\"]").await?;
    wait_rows(page, &[other, voted]).await?;
    click(page, "th[data-column=\"id\"]").await?;
    wait_rows(page, &[voted, other]).await?;

    // Drop a column, then export: the CSV has the chosen columns, in order.
    click(page, "#columns-toggle").await?;
    click(page, "#columns input[data-column=\"duration\"]").await?;
    click(page, "#csv").await?;
    let file = downloads.join("chats.csv");
    let deadline = Instant::now() + STEP;
    let csv = loop {
        if let Ok(text) = std::fs::read_to_string(&file) {
            if text.lines().count() >= 3 {
                break text;
            }
        }
        if Instant::now() > deadline {
            return Err(format!("no chats.csv downloaded into {}", downloads.display()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let header = csv.lines().next().unwrap_or_default();
    let want = "id,client_name,line,responsible,status,detailed_status,client_rating,supervisor_rating,created_at,wait_first_response";
    if header != want {
        return Err(format!("the CSV header is {header:?}, not {want:?}"));
    }
    if !csv.lines().nth(1).is_some_and(|row| row.starts_with(&format!("{voted},Ann,"))) {
        return Err(format!("the CSV's first row is not chat {voted} of Ann (sorted by id): {csv}"));
    }

    // The voted chat's detail: its messages; the supervisor rates it and comments.
    click(page, &format!("tr[data-chat=\"{voted}\"] td[data-column=\"line\"]")).await?;
    wait_text(page, "#detail .log", "Hi Ann, it ships today.").await?;
    page.find(Locator::Css("#sup-rating"))
        .await
        .map_err(e("the supervisor's rating"))?
        .select_by_value("5")
        .await
        .map_err(e("rating 5"))?;
    type_into(page, "#sup-comment", "Quick and kind.").await?;
    click(page, "#sup-save").await?;
    wait_text(page, "#sup-saved", "Saved").await?;
    wait_text(page, &format!("tr[data-chat=\"{voted}\"] td[data-column=\"supervisor_rating\"]"), "5").await?;
    click(page, "#detail-close").await?;
    let (_, read) = get(server, &format!("/api/v1/chats/{voted}"), &token("sam", "supervisor")).await;
    if (read["supervisor_rating"].as_u64(), read["supervisor_comment"].as_str())
        != (Some(5), Some("Quick and kind."))
    {
        return Err(format!("the supervisor's rating is not stored: {read}"));
    }

    // The reports per line over the last week: line1 with both chats.
    page.find(Locator::Css("#report-form select[name=group]"))
        .await
        .map_err(e("the report's grouping"))?
        .select_by_value("line")
        .await
        .map_err(e("group by line"))?;
    click(page, "#report-go").await?;
    wait_text(page, "#report tbody tr", "line1").await?;
    wait_text(page, "#report tbody tr", "line1 2").await?;

    // Select the other chat and finish it in bulk.
    click(page, &format!("tr[data-chat=\"{other}\"] input[type=checkbox]")).await?;
    wait_text(page, "#selected", "1 selected").await?;
    page.find(Locator::Css("#bulk-kind"))
        .await
        .map_err(e("the forward kind"))?
        .select_by_value("to_operator")
        .await
        .map_err(e("to an operator"))?;
    type_into(page, "#bulk-line", "bob").await?;
    click(page, "#bulk-forward").await?;
    wait_text(page, "#bulk-result", "1 done, 0 failed").await?;
    wait_text(page, &format!("tr[data-chat=\"{other}\"] td[data-column=\"responsible\"]"), "bob").await?;
    // The list was read again: select the chat once more, and finish it.
    click(page, &format!("tr[data-chat=\"{other}\"] input[type=checkbox]")).await?;
    wait_text(page, "#selected", "1 selected").await?;
    click(page, "#bulk-finish").await?;
    wait_text(page, "#bulk-result", "1 done, 0 failed").await?;
    wait_text(page, &format!("tr[data-chat=\"{other}\"] td[data-column=\"status\"]"), "closed").await?;
    Ok(())
}

#[actix_web::test]
async fn a_client_and_an_agent_talk_through_the_pages_and_the_client_votes() {
    let driver = start_driver();
    let server = TestServer::start(&base_config());
    let downloads = tempfile::tempdir().unwrap();
    let agent = browser(&driver, downloads.path()).await;
    let widget = browser(&driver, downloads.path()).await;
    widget.set_window_size(390, 844).await.unwrap(); // a phone
    within_120_s(
        "story",
        "the story",
        &[("agent", &agent), ("widget", &widget)],
        story(&server, &agent, &widget),
    )
    .await;
    // The rating is stored: the chat reads it back over the API.
    let (status, list) = get(&server, "/api/v1/chats", &token("sam", "supervisor")).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"][0]["client_rating"], 3, "{list}");
    assert_eq!(list["items"][0]["operator_rating"], 2, "{list}");
    let voted = list["items"][0]["id"].as_u64().unwrap();
    screenshots("story-done", &[("agent", &agent), ("widget", &widget)]).await;
    let _ = agent.close().await;
    let _ = widget.close().await;

    // Another chat, by mail, for the supervisor to find and finish in bulk.
    let other = inbound(
        &server,
        "mail",
        json!({"client_id": "mia@example.com", "name": "Mia", "text": "Where is my parcel?"}),
    )
    .await["chat"]
        .as_u64()
        .unwrap();
    let supervisor = browser(&driver, downloads.path()).await;
    let outcome = tokio::time::timeout(
        Duration::from_secs(120),
        supervisor_story(&server, &supervisor, downloads.path(), voted, other),
    )
    .await
    .unwrap_or_else(|_| Err("the supervisor's part took more than 120 s".into()));
    if let Err(problem) = outcome {
        let saved = screenshots("story", &[("supervisor", &supervisor)]).await;
        let _ = supervisor.close().await;
        panic!("{problem}\nscreenshots: {saved:?}");
    }
    let (_, chat) = get(&server, &format!("/api/v1/chats/{other}"), &token("sam", "supervisor")).await;
    assert_eq!(
        (chat["phase"].as_str(), chat["status"].as_str()),
        (Some("finished"), Some("closed")),
        "{chat}"
    );
    screenshots("story-done", &[("supervisor", &supervisor)]).await;
    let _ = supervisor.close().await;
}

/// The console loses its socket (the server is killed), reconnects with back-off once it is
/// back, and shows the same tabs and the open chat again from the new welcome.
async fn reconnect_story(server: &mut TestServer, agent: &Client) -> Step {
    let e = |what: &'static str| move |err: fantoccini::error::CmdError| format!("{what}: {err}");
    agent.goto(&format!("{}/", server.url)).await.map_err(e("opening the console"))?;
    type_into(agent, "#token", &token("alice", "operator")).await?;
    click(agent, "#signin").await?;
    wait_text(agent, "#state.open", "connected").await?;
    let mut ann = client(server, "ann").await;
    let ack = ann.request(json!({"type": "send", "text": "Still there?", "client_msg_id": "m1"})).await;
    let chat = ack["chat"].as_u64().ok_or(format!("no chat in {ack}"))?;
    click(agent, ".offer button.accept").await?;
    wait_text(agent, "#tab-my", "My (1)").await?;
    wait_text(agent, "#messages .msg.client .text", "Still there?").await?;

    server.kill();
    wait_text(agent, "#state.closed", "disconnected").await?;
    server.restart();
    wait_text_for(agent, "#state.open", "connected", Duration::from_secs(40)).await?;
    wait_text(agent, "#tab-my", "My (1)").await?;
    wait_text(agent, &format!("#list li[data-chat=\"{chat}\"]"), "ann").await?;
    wait_text(agent, "#messages .msg.client .text", "Still there?").await?;
    // And it works again: a reply reaches the client.
    type_into(agent, "#reply", "Yes, back again.").await?;
    click(agent, "#send").await?;
    wait_text(agent, "#messages .msg.operator .text", "Yes, back again.").await?;
    // The console shows a reply only once it is acknowledged, so it is stored.
    let (_, messages) =
        get(server, &format!("/api/v1/chats/{chat}/messages"), &token("alice", "operator")).await;
    let texts: Vec<&str> =
        messages["items"].as_array().into_iter().flatten().filter_map(|m| m["text"].as_str()).collect();
    if texts != ["Still there?", "Yes, back again."] {
        return Err(format!("the chat holds {texts:?}"));
    }

    // Invite bob, then forward the chat to line 2: it leaves alice's tabs.
    type_into(agent, "#invite", "bob").await?;
    click(agent, "#invite-go").await?;
    let sam = token("sam", "supervisor");
    let deadline = Instant::now() + STEP;
    loop {
        let (_, read) = get(server, &format!("/api/v1/chats/{chat}"), &sam).await;
        if read["participants"] == json!(["bob"]) {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("bob was not invited: {read}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    agent
        .find(Locator::Css("#forward-kind"))
        .await
        .map_err(e("the forward kind"))?
        .select_by_value("to_line")
        .await
        .map_err(e("forward to a line"))?;
    type_into(agent, "#forward-to", "line2").await?;
    click(agent, "#forward-go").await?;
    wait_text(agent, "#tab-my", "My (0)").await?;
    let (_, read) = get(server, &format!("/api/v1/chats/{chat}"), &sam).await;
    if read["line"] != "line2" {
        return Err(format!("the chat was not forwarded to line2: {read}"));
    }
    wait_text(agent, "#error", &format!("Chat #{chat} left your tabs: moved to another line")).await?;
    // A refused action is shown in plain words: the chat is no longer alice's to forward.
    type_into(agent, "#forward-to", "line1").await?;
    click(agent, "#forward-go").await?;
    wait_text(agent, "#error", "You may not do that").await?;
    Ok(())
}

#[actix_web::test]
async fn the_pages_speak_the_browsers_language() {
    let driver = start_driver();
    let server = TestServer::start(&base_config());
    let downloads = tempfile::tempdir().unwrap();
    for (lang, widget_title, sign_in, send) in [
        ("ru-RU", "Напишите нам", "Вход", "Отправить"),
        ("uk-UA", "Напишіть нам", "Вхід", "Надіслати"),
        ("en-GB", "Chat with us", "Sign in", "Send"),
    ] {
        let page = browser_in(&driver, downloads.path(), lang).await;
        let outcome = async {
            page.goto(&format!("{}/widget", server.url)).await.map_err(|e| e.to_string())?;
            wait_text(&page, "header strong", widget_title).await?;
            wait_text(&page, "#send", send).await?;
            page.goto(&format!("{}/", server.url)).await.map_err(|e| e.to_string())?;
            wait_text(&page, ".signin h1", sign_in).await
        }
        .await;
        if let Err(problem) = outcome {
            let saved = screenshots(&format!("language-{lang}"), &[("page", &page)]).await;
            let _ = page.close().await;
            panic!("{lang}: {problem}\nscreenshots: {saved:?}");
        }
        let _ = page.close().await;
    }
}

#[actix_web::test]
async fn the_console_reconnects_after_the_server_restarts_and_shows_the_same_tabs() {
    let driver = start_driver();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // A fixed port, so the restarted server is where the page left it.
    let config = config_with(|t| set(t, "listen", format!("127.0.0.1:{port}").into()));
    let mut server = TestServer::start_process(&config);
    let downloads = tempfile::tempdir().unwrap();
    let agent = browser(&driver, downloads.path()).await;
    within_120_s("reconnect", "the reconnect", &[("agent", &agent)], reconnect_story(&mut server, &agent))
        .await;
    let _ = agent.close().await;
}

/// Split and merge from the console: a new question after a pending finish is split off into
/// its own chat; a chat opened by mistake after a close is merged back.
async fn split_merge_story(server: &TestServer, agent: &Client) -> Step {
    let e = |what: &'static str| move |err: fantoccini::error::CmdError| format!("{what}: {err}");
    let sam = token("sam", "supervisor");
    agent.goto(&format!("{}/", server.url)).await.map_err(e("opening the console"))?;
    type_into(agent, "#token", &token("alice", "operator")).await?;
    click(agent, "#signin").await?;
    wait_text(agent, "#state.open", "connected").await?;
    let mut ann = client(server, "ann").await;
    let first = ann.request(json!({"type": "send", "text": "My order is late", "client_msg_id": "m1"})).await;
    let first = first["chat"].as_u64().ok_or(format!("no chat in {first}"))?;
    click(agent, ".offer button.accept").await?;
    // The chat's subject (pinning would keep the chat with alice and change the story below).
    type_into(agent, "#subject", "Late order").await?;
    click(agent, "#update-go").await?;
    let deadline = Instant::now() + STEP;
    loop {
        let (_, read) = get(server, &format!("/api/v1/chats/{first}"), &sam).await;
        if read["subject"] == "Late order" && read["pinned"] == false {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the subject was not saved: {read}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    type_into(agent, "#reply", "Done for now").await?;
    click(agent, "#send").await?;
    wait_text(agent, "#messages .msg.operator .text", "Done for now").await?;
    agent
        .find(Locator::Css("#finish-status"))
        .await
        .map_err(e("finish"))?
        .select_by_value("pending")
        .await
        .map_err(e("pending"))?;
    click(agent, "#finish").await?;
    wait_text(agent, "#tab-my", "My (0)").await?;

    // The client asks something else: the same chat comes back, and alice splits it.
    ann.request(json!({"type": "send", "text": "A different question", "client_msg_id": "m2"})).await;
    click(agent, ".offer button.accept").await?;
    wait_text(agent, "#messages .msg.client .text", "A different question").await?;
    click(agent, "#split").await?;
    let deadline = Instant::now() + STEP;
    let second = loop {
        let (_, read) = get(server, &format!("/api/v1/chats/{first}"), &sam).await;
        if let Some(next) = read["next_chat"].as_u64() {
            break next;
        }
        if Instant::now() > deadline {
            return Err(format!("chat {first} was not split: {read}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    wait_text(agent, ".chat-head .name", &format!("#{second} ")).await?;
    wait_text(agent, "#messages .msg.client .text", "A different question").await?;

    // Closed by mistake: the next message opens a third chat, merged back into the second.
    agent.find(Locator::Css("#finish-vote")).await.map_err(e("vote"))?.click().await.map_err(e("no vote"))?;
    click(agent, "#finish").await?;
    wait_text(agent, "#tab-my", "My (0)").await?;
    let third =
        ann.request(json!({"type": "send", "text": "Wait, it is not solved", "client_msg_id": "m3"})).await;
    let third = third["chat"].as_u64().ok_or(format!("no chat in {third}"))?;
    click(agent, ".offer button.accept").await?;
    wait_text(agent, ".chat-head .name", &format!("#{third} ")).await?;
    click(agent, "#merge").await?;
    wait_text(agent, ".chat-head .name", &format!("#{second} ")).await?;
    wait_text(agent, "#messages .msg.client .text", "Wait, it is not solved").await?;
    let (_, read) = get(server, &format!("/api/v1/chats/{third}"), &sam).await;
    if read["merged_into"] != second {
        return Err(format!("chat {third} was not merged into {second}: {read}"));
    }
    Ok(())
}

#[actix_web::test]
async fn the_console_splits_off_a_new_question_and_merges_a_chat_back() {
    let driver = start_driver();
    let server = TestServer::start(&base_config());
    let downloads = tempfile::tempdir().unwrap();
    let agent = browser(&driver, downloads.path()).await;
    within_120_s("split-merge", "split and merge", &[("agent", &agent)], split_merge_story(&server, &agent))
        .await;
    let _ = agent.close().await;
}

/// Sign-in: a refused token brings the form back saying so; on the local demo one click signs
/// in as a demo operator (and the dialog list takes the supervisor the same way).
async fn sign_in_story(configured: &TestServer, demo: &TestServer, page: &Client) -> Step {
    let e = |what: &'static str| move |err: fantoccini::error::CmdError| format!("{what}: {err}");
    page.goto(&format!("{}/", configured.url)).await.map_err(e("opening the console"))?;
    if page.find(Locator::Css(".demo-operator")).await.is_ok() {
        return Err("a configured server offers the demo sign-in".into());
    }
    type_into(page, "#token", "not.a.token").await?;
    click(page, "#signin").await?;
    wait_text(page, ".signin .error", "The token was refused").await?;

    page.goto(&format!("{}/", demo.url)).await.map_err(e("opening the demo's console"))?;
    click(page, ".demo-operator[data-operator=\"alice\"]").await?;
    wait_text(page, "#state.open", "connected").await?;
    wait_text(page, "#me", "Alice (alice)").await?;
    click(page, "#signout").await?;
    page.goto(&format!("{}/supervisor", demo.url)).await.map_err(e("opening the demo's dialog list"))?;
    click(page, ".demo-operator[data-operator=\"sam\"]").await?;
    wait_text(page, "#operators", "Xena (xena)").await?;
    Ok(())
}

#[actix_web::test]
async fn a_refused_token_is_said_and_the_demo_signs_in_with_one_click() {
    let driver = start_driver();
    let configured = TestServer::start(&base_config());
    let demo = TestServer::start_demo("127.0.0.1:0");
    let downloads = tempfile::tempdir().unwrap();
    let page = browser(&driver, downloads.path()).await;
    within_120_s("sign-in", "signing in", &[("page", &page)], sign_in_story(&configured, &demo, &page)).await;
    let _ = page.close().await;
}

/// The New tab: a chat queued on a broadcast line shows there with its count; taking it moves it
/// to My.
async fn new_tab_story(server: &TestServer, page: &Client) -> Step {
    let e = |what: &'static str| move |err: fantoccini::error::CmdError| format!("{what}: {err}");
    page.goto(&format!("{}/", server.url)).await.map_err(e("opening the console"))?;
    type_into(page, "#token", &token("xena", "operator")).await?;
    click(page, "#signin").await?;
    wait_text(page, "#state.open", "connected").await?;
    let mut zoe = client_query(server, "channel=tg&client_id=zoe&name=Zoe").await;
    let ack =
        zoe.request(json!({"type": "send", "text": "Anyone on line two?", "client_msg_id": "z1"})).await;
    let chat = ack["chat"].as_u64().ok_or(format!("no chat in {ack}"))?;
    wait_text(page, "#tab-new", "New (1)").await?;
    click(page, "#tab-new").await?;
    click(page, &format!("#list li[data-chat=\"{chat}\"]")).await?;
    wait_text(page, "#messages .msg.client .text", "Anyone on line two?").await?;
    click(page, "#take").await?;
    wait_text(page, "#tab-my", "My (1)").await?;
    wait_text(page, "#tab-new", "New (0)").await?;
    wait_text(page, "#chat-status", "xena").await?;
    // Pin it.
    click(page, "#pinned").await?;
    click(page, "#update-go").await?;
    let deadline = Instant::now() + STEP;
    loop {
        let (_, read) = get(server, &format!("/api/v1/chats/{chat}"), &token("sam", "supervisor")).await;
        if read["pinned"] == true {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the chat was not pinned: {read}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

#[actix_web::test]
async fn the_new_tab_counts_a_queued_chat_and_take_moves_it_to_my() {
    let driver = start_driver();
    let config = config_with(|t| push(t, "channels", "id = \"tg\"\nkind = \"realtime\"\nline = \"line2\""));
    let server = TestServer::start(&config);
    let downloads = tempfile::tempdir().unwrap();
    let page = browser(&driver, downloads.path()).await;
    within_120_s("new-tab", "the New tab story", &[("page", &page)], new_tab_story(&server, &page)).await;
    let _ = page.close().await;
}

/// The widget comes back to its conversation (client id and token kept by the browser) and
/// reads further back than the welcome's latest 50 messages.
async fn widget_history_story(server: &TestServer, page: &Client) -> Step {
    let e = |what: &'static str| move |err: fantoccini::error::CmdError| format!("{what}: {err}");
    let mut lots = client(server, "lots").await;
    for i in 0..60 {
        lots.request(json!({"type": "send", "text": format!("line {i}"), "client_msg_id": format!("k{i}")}))
            .await;
    }
    let token =
        server.client_tokens.lock().unwrap().get("web:lots").cloned().ok_or("no conversation token")?;
    page.goto(&format!("{}/widget", server.url)).await.map_err(e("opening the widget"))?;
    let stored = json!({"client_id": "lots", "token": token}).to_string();
    page.execute("localStorage.setItem('frontline.widget.web', arguments[0])", vec![json!(stored)])
        .await
        .map_err(e("storing the conversation"))?;
    page.refresh().await.map_err(e("reloading"))?;
    wait_text(page, ".msg.mine .text", "line 59").await?;
    let first = page.find(Locator::Css(".msg .text")).await.map_err(e("the first message"))?;
    let first = first.text().await.map_err(e("its text"))?;
    if first != "line 10" {
        return Err(format!("the welcome's first message is {first:?}, not \"line 10\""));
    }
    let older = page.find(Locator::Css("#older")).await.map_err(e("the button"))?;
    if !older.is_displayed().await.map_err(e("the button"))? {
        return Err("no button for earlier messages above a full welcome".into());
    }
    // Scrolling up to the top reads the page before (as the button there would).
    page.execute("document.getElementById('log').scrollTop = 0", vec![]).await.map_err(e("scrolling up"))?;
    wait_text(page, ".msg.mine .text", "line 0").await?;
    let count = page.find_all(Locator::Css(".msg")).await.map_err(e("the messages"))?.len();
    if count != 60 {
        return Err(format!("{count} messages shown, not 60"));
    }
    let older = page.find(Locator::Css("#older")).await.map_err(e("the button"))?;
    if older.is_displayed().await.map_err(e("the button"))? {
        return Err("the button for earlier messages stays after the first message".into());
    }
    Ok(())
}

#[actix_web::test]
async fn the_widget_keeps_its_conversation_and_reads_back_past_the_welcome() {
    let driver = start_driver();
    let config = config_with(|t| set(t, "limits.messages_per_second", 1000.into()));
    let server = TestServer::start(&config);
    let downloads = tempfile::tempdir().unwrap();
    let page = browser(&driver, downloads.path()).await;
    page.set_window_size(390, 844).await.unwrap();
    within_120_s(
        "widget-history",
        "the widget's history",
        &[("widget", &page)],
        widget_history_story(&server, &page),
    )
    .await;
    let _ = page.close().await;
}

/// Another site: `html` served at `http://localhost:PORT/` (a different origin from the
/// server's `127.0.0.1`), answered on a thread for as long as the test runs.
fn other_site(html: &str) -> String {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
        html.len()
    );
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    format!("http://localhost:{port}/")
}

/// `/widget.js` on another site's page: a chat button that opens the widget in a frame, where
/// the client writes.
async fn embed_story(server: &TestServer, page: &Client) -> Step {
    let e = |what: &'static str| move |err: fantoccini::error::CmdError| format!("{what}: {err}");
    let site = other_site(&format!(
        "<!doctype html><title>shop</title><script src=\"{}/widget.js\" data-channel=\"web\" defer></script><p>A shop</p>",
        server.url
    ));
    page.goto(&site).await.map_err(e("opening the other site"))?;
    click(page, "#frontline-chat").await?;
    let frame = page.find(Locator::Css("#frontline-widget")).await.map_err(e("the widget's frame"))?;
    if !frame.is_displayed().await.map_err(e("the frame"))? {
        return Err("the chat button did not open the widget".into());
    }
    frame.enter_frame().await.map_err(e("entering the frame"))?;
    wait_text(page, "header strong", "Chat with us").await?;
    type_into(page, "#text", "Hello from the shop").await?;
    click(page, "#send").await?;
    wait_text(page, ".msg.mine .text", "Hello from the shop").await?;
    Ok(())
}

#[actix_web::test]
async fn the_embed_script_opens_the_widget_on_another_site() {
    let driver = start_driver();
    let server = TestServer::start(&base_config());
    let downloads = tempfile::tempdir().unwrap();
    let page = browser(&driver, downloads.path()).await;
    within_120_s("embed", "the embedded widget", &[("site", &page)], embed_story(&server, &page)).await;
    let _ = page.close().await;
    let (_, list) = get(&server, "/api/v1/chats", &token("sam", "supervisor")).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}
