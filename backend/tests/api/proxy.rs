//! A TCP proxy for fault tests: it can cut every connection through it (new ones still pass),
//! stop passing connections altogether, and be pointed at a restarted server's new address.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

pub struct Proxy {
    pub port: u16,
    upstream: Arc<Mutex<String>>,
    down: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let upstream = Arc::new(Mutex::new(upstream.to_owned()));
        let down = Arc::new(AtomicBool::new(false));
        let cut = Arc::new(Notify::new());
        let (upstream2, down2, cut2) = (upstream.clone(), down.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if down2.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let cut = cut2.clone();
                let target = upstream2.lock().unwrap().clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Proxy { port, upstream, down, cut }
    }

    /// The proxy's address, `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Drops every connection through the proxy now (with no close handshake, as a network
    /// failure would); new connections still pass.
    pub fn cut(&self) {
        self.cut.notify_waiters();
    }

    /// With `true`, cuts every connection and refuses new ones until set back.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            self.cut();
        }
    }

    /// Passes new connections to `upstream` (a restarted server's address).
    pub fn retarget(&self, upstream: &str) {
        *self.upstream.lock().unwrap() = upstream.to_owned();
    }
}
