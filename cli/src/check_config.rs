//! `modelgate check-config FILE`: what a valid file resolves to, without any secret.

use std::fmt::Write as _;

use modelgate_core::config::Config;

/// The summary printed for a valid config.
pub fn summary(config: &Config) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_summary(&mut out, config);
    out
}

fn write_summary(out: &mut String, config: &Config) -> std::fmt::Result {
    let server = &config.server;
    writeln!(out, "config: {} is valid", config.source)?;
    writeln!(out, "server:")?;
    writeln!(out, "  http: {}", server.http)?;
    writeln!(out, "  grpc: {}", server.grpc)?;
    writeln!(
        out,
        "  body limit: {} MiB",
        server.body_limit_bytes / (1024 * 1024)
    )?;
    writeln!(
        out,
        "  shutdown grace: {} s",
        server.shutdown_grace.as_secs()
    )?;
    let limits = &server.connections;
    writeln!(
        out,
        "  connections: header timeout {} s, body timeout {} s, idle timeout {} s, {} streams each, at most {} per port",
        limits.header_timeout.as_secs(),
        server.body_timeout.as_secs(),
        limits.idle_timeout.as_secs(),
        limits.max_concurrent_streams,
        limits.max_connections
    )?;
    match &server.tls {
        Some(tls) => writeln!(
            out,
            "  tls: cert {} key {}",
            tls.cert.display(),
            tls.key.display()
        )?,
        None => writeln!(out, "  tls: off")?,
    }
    if config.cors.allow_origins.is_empty() {
        writeln!(out, "cors: off")?;
    } else {
        writeln!(out, "cors: {}", config.cors.allow_origins.join(", "))?;
    }
    if config.auth.keys.is_empty() {
        writeln!(
            out,
            "client keys: none (only a loopback address may be served without keys)"
        )?;
    } else {
        writeln!(out, "client keys:")?;
        for key in &config.auth.keys {
            let models = match &key.models {
                None => "all models".to_owned(),
                Some(list) if list.iter().any(|m| m == "*") => "all models".to_owned(),
                Some(list) => list.join(", "),
            };
            writeln!(out, "  {}: {models}", key.name)?;
        }
    }
    if config.providers.is_empty() {
        writeln!(out, "providers: none")?;
    } else {
        writeln!(out, "providers:")?;
    }
    for (name, p) in &config.providers {
        let models = match &p.models {
            Some(list) => list.join(", "),
            None => "discovered from the upstream".to_owned(),
        };
        let key = if p.api_key.is_some() { "set" } else { "none" };
        writeln!(out, "  {name}:")?;
        writeln!(out, "    kind: {}", p.kind.as_str())?;
        writeln!(out, "    api_base: {}", redacted(&p.api_base))?;
        writeln!(out, "    api_key: {key}")?;
        writeln!(out, "    models: {models}")?;
    }
    if config.model_list.is_empty() {
        writeln!(out, "model_list: none")?;
    } else {
        writeln!(out, "model_list:")?;
    }
    for d in &config.model_list {
        writeln!(
            out,
            "  {} -> {}/{} ({})",
            d.model_name,
            d.provider.name,
            d.upstream_model,
            redacted(&d.provider.api_base)
        )?;
    }
    let images = &config.image_fetch;
    if images.enabled {
        let allow: Vec<String> = images.allow.iter().map(ToString::to_string).collect();
        let allow = if allow.is_empty() {
            "none".to_owned()
        } else {
            allow.join(", ")
        };
        writeln!(out, "image_fetch: on (public addresses on ports 80/443)")?;
        writeln!(out, "  allow: {allow}")?;
        writeln!(
            out,
            "  per request: {} images, {} MiB in all, {} MiB each, {} at a time",
            images.max_images,
            images.max_total_bytes / (1024 * 1024),
            images.max_image_bytes / (1024 * 1024),
            images.max_concurrent
        )?;
    } else {
        writeln!(
            out,
            "image_fetch: off (image URLs refused; data: URIs work)"
        )?;
    }
    for notice in &config.notices {
        writeln!(out, "warning: {notice}")?;
    }
    Ok(())
}

/// The URL without a password or query, which may hold credentials.
fn redacted(url: &str) -> String {
    let without_query = url.split_once('?').map_or(url, |(base, _)| base);
    match without_query.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host)) => format!("{scheme}://REDACTED@{host}"),
            None => without_query.to_owned(),
        },
        None => without_query.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn urls_lose_credentials() {
        assert_eq!(
            redacted("https://u:p@h.example/v1?key=x"),
            "https://REDACTED@h.example/v1"
        );
        assert_eq!(redacted("http://localhost:11434"), "http://localhost:11434");
    }
}
