//! Reading a `/metrics` page as Prometheus does: fetched as text, parsed, series summed.
#![allow(dead_code)]

use prometheus_parse::{Scrape, Value};

/// The body of a GET on `url`, which must answer 200 with a `text/plain` body.
pub async fn metrics_text(url: &str) -> String {
    let resp = reqwest::get(url).await.expect("metrics answer");
    assert_eq!(resp.status(), 200, "{url}");
    let content_type = resp.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    resp.text().await.expect("body")
}

/// `text` parsed as the Prometheus text format.
pub fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text parses")
}

/// [`metrics_text`] of `url`, parsed.
pub async fn scrape(url: &str) -> Scrape {
    parse(&metrics_text(url).await)
}

/// Sum of the samples of `name` whose labels include all of `labels` (a histogram counts its
/// observations).
pub fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets
                .iter()
                .find(|b| b.less_than.is_infinite())
                .map_or(0.0, |b| b.count),
            Value::Summary(_) => 0.0,
        })
        .sum()
}

/// Whether any sample of `name` is on the page.
pub fn has(scrape: &Scrape, name: &str) -> bool {
    scrape.samples.iter().any(|s| s.metric == name)
}
