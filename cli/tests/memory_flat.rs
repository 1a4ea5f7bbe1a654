//! Memory stays flat under sustained traffic when nothing scrapes `/metrics`: the real
//! binary (`serve`) answers hundreds of thousands of chat requests from the mock upstream
//! while its RSS is sampled, and the slope of RSS against requests served, fitted over every
//! sample after warm-up, must stay under a few bytes per request.
//!
//! It keeps every core busy for a minute or more, so it runs alone: no other test's gateway runs
//! meanwhile (their timing would suffer, not this test's measure).

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::{Gateway, Mode, alone, config_file, mock};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const KEY: &str = "sk-memory-flat";
/// Concurrent callers, each on its own keep-alive connection.
const CALLERS: usize = 32;
/// Requests before measuring: pools, caches and allocator arenas fill up first.
const WARM_UP: u64 = 30_000;
/// Requests measured after warm-up; `MEMORY_FLAT_MEASURED` overrides it for a quicker look
/// (the test's claim is the default).
const MEASURED: u64 = 200_000;
/// Most RSS growth allowed per million requests.
const MAX_GROWTH_PER_MILLION: f64 = 5.0 * 1024.0 * 1024.0;
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_stays_flat_without_scrapes() {
    let _alone = alone();
    let mock = mock().await;
    let (_dir, file) = config_file(&format!(
        "auth:\n  keys:\n    - {{ name: soak, key: {KEY} }}\nproviders:\n  mock: {{ kind: openai, api_base: \"{}\", api_key: sk-up, models: [text] }}\n",
        mock.base_url()
    ));
    let gw = Gateway::start(Mode::Serve, &file, &[("RUST_LOG", "warn")]).await;
    let body = br#"{"model":"mock/text","messages":[{"role":"user","content":"hi"}]}"#.as_slice();

    let measured = std::env::var("MEMORY_FLAT_MEASURED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MEASURED);
    let warm_up = WARM_UP.min(measured / 4);
    let total = warm_up + measured;
    let claimed = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let request = Arc::new(raw_request(gw.http_addr(), body));
    // The first thing that went wrong, for the failure message.
    let first_failure = Arc::new(std::sync::Mutex::new(None::<String>));
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let (claimed, done, ok) = (claimed.clone(), done.clone(), ok.clone());
            let first_failure = first_failure.clone();
            let (addr, request) = (gw.http_addr().to_owned(), request.clone());
            tokio::spawn(async move {
                let mut conn = Conn::open(&addr).await;
                while claimed.fetch_add(1, Ordering::Relaxed) < total {
                    let failure = match conn.exchange(&request).await {
                        Ok(200) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            None
                        }
                        Ok(status) => Some(format!("status {status}")),
                        // A closed connection: count the request as failed, reconnect.
                        Err(e) => {
                            conn = Conn::open(&addr).await;
                            Some(e.to_string())
                        }
                    };
                    if let Some(failure) = failure
                        && let Ok(mut first) = first_failure.lock()
                    {
                        first.get_or_insert(failure);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    // (requests done, RSS in bytes) after warm-up.
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let deadline = started + Duration::from_secs(600);
    let mut next_report = Instant::now();
    loop {
        let n = done.load(Ordering::Relaxed);
        if n >= total {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {n} of {total} requests in 10 minutes"
        );
        let rss = gw.core.rss_kib();
        if n >= warm_up {
            samples.push((n as f64, rss as f64 * 1024.0));
        }
        if Instant::now() >= next_report {
            eprintln!(
                "memory_flat: {n} requests after {:.0} s, RSS {:.1} MiB",
                started.elapsed().as_secs_f64(),
                rss as f64 / 1024.0
            );
            next_report += Duration::from_secs(10);
        }
        // The mock keeps every request it got; this test reads none of them.
        mock.clear();
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
    for caller in callers {
        caller.await.expect("caller");
    }
    let elapsed = started.elapsed();
    samples.push((
        done.load(Ordering::Relaxed) as f64,
        gw.core.rss_kib() as f64 * 1024.0,
    ));

    assert_eq!(
        ok.load(Ordering::Relaxed),
        total,
        "every request answered 200 (first failure: {:?}); log:\n{}",
        first_failure.lock().map(|f| f.clone()).unwrap_or_default(),
        gw.log()
    );
    assert!(
        samples.len() >= 20,
        "{} samples after warm-up: too few to fit a slope",
        samples.len()
    );
    let slope = slope(&samples);
    let per_million = slope * 1e6;
    let (first, last) = (samples[0].1, samples[samples.len() - 1].1);
    eprintln!(
        "memory_flat: {total} requests in {:.1} s ({:.0}/s); {} samples; RSS {:.1} -> {:.1} MiB; \
         slope {:.1} bytes/request = {:.2} MiB per million requests",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        samples.len(),
        first / 1048576.0,
        last / 1048576.0,
        slope,
        per_million / 1048576.0,
    );
    assert!(
        per_million <= MAX_GROWTH_PER_MILLION,
        "RSS grows {:.2} MiB per million requests (limit {:.0}): {:.1} bytes per request",
        per_million / 1048576.0,
        MAX_GROWTH_PER_MILLION / 1048576.0,
        slope
    );
}

/// Least-squares slope of `y` against `x`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut cov, mut var) = (0.0, 0.0);
    for (x, y) in points {
        cov += (x - mean_x) * (y - mean_y);
        var += (x - mean_x) * (x - mean_x);
    }
    cov / var
}

/// The chat request as bytes on the wire, written as is for every call: the load must cost
/// the test far less than the gateway (a full HTTP client in a debug build costs about as
/// much per request as the gateway itself).
fn raw_request(host: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {KEY}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connects");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream: BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        }
    }

    /// Sends `request`, reads the whole response; its status.
    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<u16> {
        self.stream.get_mut().write_all(request).await?;
        let mut status = None;
        let mut length = None;
        let mut chunked = false;
        loop {
            let line = self.read_line().await?.trim_end();
            if line.is_empty() {
                break;
            }
            if status.is_none() {
                status = line.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok());
            } else if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            } else if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("transfer-encoding")
            {
                chunked = value.trim().eq_ignore_ascii_case("chunked");
            }
        }
        let Some(status) = status else {
            return Err(std::io::Error::other("no status line"));
        };
        match (length, chunked) {
            (Some(length), _) => self.read_body(length).await?,
            (None, true) => loop {
                let size = self.read_line().await?;
                let size = usize::from_str_radix(size.trim(), 16).map_err(std::io::Error::other)?;
                // Each chunk ends with CRLF; the last (empty) one with the trailer's CRLF.
                self.read_body(size + 2).await?;
                if size == 0 {
                    break;
                }
            },
            (None, false) => return Err(std::io::Error::other("neither length nor chunked")),
        }
        Ok(status)
    }

    async fn read_line(&mut self) -> std::io::Result<&str> {
        self.line.clear();
        if self.stream.read_line(&mut self.line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(&self.line)
    }

    async fn read_body(&mut self, length: usize) -> std::io::Result<()> {
        self.body.resize(length, 0);
        self.stream.read_exact(&mut self.body).await?;
        Ok(())
    }
}
