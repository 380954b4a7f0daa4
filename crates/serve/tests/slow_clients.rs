//! Issue 16: clients that connect and send nothing, or send their headers a
//! byte at a time, must not stop the server answering everyone else. Time
//! is paused: tokio moves it forward whenever every task waits.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use understudy_serve::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS, serve};

async fn server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback works");
    let addr = listener.local_addr().expect("loopback works");
    let app = Router::new().route("/", get(|| async { "ok" }));
    tokio::spawn(serve(listener, app));
    addr
}

async fn get_root(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.expect("loopback works");
    s.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .expect("loopback works");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("loopback works");
    out
}

#[tokio::test(start_paused = true)]
async fn issue_16_a_silent_connection_is_closed_after_the_header_timeout() {
    let addr = server().await;
    let mut silent = TcpStream::connect(addr).await.expect("loopback works");
    let started = tokio::time::Instant::now();
    let mut seen = Vec::new();
    // The server closes it (perhaps with a 408 first); a server without the
    // timeout would keep it open for good.
    let closed = tokio::time::timeout(HEADER_READ_TIMEOUT * 4, silent.read_to_end(&mut seen))
        .await
        .expect("the server closed the silent connection");
    assert!(closed.is_ok() || seen.is_empty(), "{closed:?}");
    assert!(started.elapsed() >= HEADER_READ_TIMEOUT);
}

#[tokio::test(start_paused = true)]
async fn issue_16_more_idle_connections_than_slots_do_not_stop_a_real_request() {
    let addr = server().await;
    let mut idle = Vec::new();
    for _ in 0..MAX_CONNECTIONS + 100 {
        idle.push(TcpStream::connect(addr).await.expect("loopback works"));
    }
    // A slow client: one header byte every 10 s.
    let slow = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.expect("loopback works");
        for b in b"GET / HTTP/1.1\r\nhost: x\r\n".iter().cycle().take(200) {
            if s.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
    });
    let answer = tokio::time::timeout(HEADER_READ_TIMEOUT * 4, get_root(addr))
        .await
        .expect("answered while idle and slow clients wait");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
    slow.abort();
}

#[tokio::test(start_paused = true)]
async fn issue_16_a_client_that_stops_reading_is_cut_off() {
    const ANSWER: usize = 256 << 20;
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("loopback works");
    let addr = listener.local_addr().expect("loopback works");
    let app = Router::new().route(
        "/big",
        get(|| async {
            let chunk = axum::body::Bytes::from(vec![b'x'; 1 << 20]);
            let chunks = std::iter::repeat_n(chunk, ANSWER >> 20).map(Ok::<_, std::io::Error>);
            axum::body::Body::from_stream(futures_util::stream::iter(chunks))
        }),
    );
    tokio::spawn(serve(listener, app));
    let mut s = TcpStream::connect(addr).await.expect("loopback works");
    s.write_all(b"GET /big HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("loopback works");
    // Read nothing for longer than the write timeout...
    tokio::time::sleep(understudy_serve::WRITE_TIMEOUT * 2).await;
    // ...then the server has given up: what arrives is what the socket
    // buffers held, far less than the answer, and then the end.
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let end = tokio::time::timeout(HEADER_READ_TIMEOUT, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got += n,
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the connection was closed");
    assert!(got < ANSWER / 2, "{got} of {ANSWER} bytes arrived");
}
