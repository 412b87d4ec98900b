//! A local webhook receiver: a tiny actix-web server on 127.0.0.1:0 in its own thread that
//! records every request (any method, any path) and answers as the test says.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;

/// How long a receiver waits for requests a test expects.
const PATIENCE: Duration = Duration::from_secs(10);

/// What a receiver answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 204.
    Accept,
    /// 500.
    Fail,
    /// This status with `Location` set to the URL.
    Redirect(u16, String),
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The method.
    pub method: String,
    /// The body.
    pub body: String,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Default)]
pub struct State {
    answer: Mutex<Option<Answer>>,
    hits: Mutex<Vec<Hit>>,
}

/// A local webhook receiver.
pub struct Receiver {
    /// `http://127.0.0.1:PORT/hook`.
    pub url: String,
    pub state: Arc<State>,
    server: actix_web::dev::ServerHandle,
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let hit = Hit { method: req.method().to_string(), body: String::from_utf8_lossy(&body).into_owned() };
    state.hits.lock().unwrap().push(hit);
    let answer = state.answer.lock().unwrap().clone().unwrap_or(Answer::Accept);
    match answer {
        Answer::Accept => HttpResponse::NoContent().finish(),
        Answer::Fail => HttpResponse::InternalServerError().finish(),
        Answer::Redirect(status, location) => HttpResponse::build(StatusCode::from_u16(status).unwrap())
            .insert_header(("Location", location))
            .finish(),
    }
}

impl Receiver {
    /// A receiver answering `answer` to every request, in its own thread and actix system.
    pub fn start(answer: Answer) -> Receiver {
        let state = web::Data::new(State { answer: Mutex::new(Some(answer)), hits: Mutex::default() });
        let data = state.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new().app_data(data.clone()).default_service(web::to(receive))
                })
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .unwrap();
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).unwrap();
                server.await.unwrap();
            })
        });
        let (addr, server) = rx.recv().unwrap();
        Receiver { url: format!("http://{addr}/hook"), state: state.into_inner(), server }
    }

    pub fn answer(&self, answer: Answer) {
        *self.state.answer.lock().unwrap() = Some(answer);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }

    /// The texts of the bot messages posted to it, in arrival order.
    pub fn texts(&self) -> Vec<String> {
        self.hits().iter().filter_map(|h| h.json()["text"].as_str().map(str::to_owned)).collect()
    }

    /// Waits until it got at least `n` requests.
    pub async fn wait_hits(&self, n: usize) -> Vec<Hit> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            assert!(Instant::now() < deadline, "{n} requests expected; got {hits:?}");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}
