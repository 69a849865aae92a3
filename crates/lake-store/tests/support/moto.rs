//! A real S3 API server (moto, from PyPI, installed by scripts/test) on loopback, started
//! once per test binary; shared by the integration tests and lake-store's unit tests
//! (`#[path]`-included, so each binary has its own server).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The server runs under a shell that kills it when our end of its stdin closes, which
/// happens when this test process exits, however it exits.
struct Moto {
    _child: Child,
}

fn moto_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        return p.into();
    }
    let candidates = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("moto_server"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    candidates
        .into_iter()
        .chain([home.join(".cache/lake-venv/bin/moto_server")])
        .find(|p| p.is_file())
        .expect("moto_server not found: run scripts/test, which installs it (or set MOTO_SERVER)")
}

pub fn http(endpoint: &str, request: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let addr = endpoint.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(request.as_bytes())?;
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    Ok(out)
}

/// Starts one moto server for the whole test binary and points the AWS variables at it.
pub fn moto() -> &'static str {
    static SERVER: OnceLock<std::sync::Mutex<Moto>> = OnceLock::new();
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = format!(
            "'{}' -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; read _; kill $pid",
            moto_binary().display()
        );
        let child = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto_server");
        let endpoint = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while http(&endpoint, "GET / HTTP/1.0\r\n\r\n").is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Safety of set_var: done once, before any S3 client reads the environment.
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
        let _ = SERVER.set(std::sync::Mutex::new(Moto { _child: child }));
        endpoint
    })
}

pub fn create_bucket(name: &str) {
    let endpoint = moto();
    let host = endpoint.trim_start_matches("http://");
    let resp = http(endpoint, &format!("PUT /{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")).unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.0 200"),
        "{resp}"
    );
}
