//! Packaging: `docker-compose.yml` validated against the Compose specification's JSON schema
//! and its wiring checked (no docker engine runs here), the deploy/ configs, the Dockerfile and
//! `.env.example`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(path: &str) -> String {
    let path = repo().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(path: &str) -> Value {
    serde_yaml_ng::from_str(&text(path)).unwrap_or_else(|e| panic!("{path}: invalid YAML: {e}"))
}

fn compose() -> Value {
    yaml("docker-compose.yml")
}

fn env_of<'a>(service: &'a Value, name: &str) -> &'a str {
    service["environment"][name]
        .as_str()
        .unwrap_or_else(|| panic!("environment variable {name} missing in {service}"))
}

/// `${NAME...}` references in a string.
fn references(value: &str) -> Vec<String> {
    value
        .split("${")
        .skip(1)
        .filter_map(|rest| {
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            Some(rest[..end].to_owned())
        })
        .collect()
}

#[test]
fn compose_file_follows_the_compose_specification() {
    let schema_path = repo().join("../shared/data/compose-spec.json");
    let schema_text = std::fs::read_to_string(&schema_path).unwrap_or_else(|e| {
        panic!(
            "the Compose JSON schema is expected at {} ({e}); it ships in shared/data beside the repo",
            schema_path.display()
        )
    });
    let mut schema: Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    // It names its meta-schema by an https URL the validator would fetch; the draft is known.
    assert_eq!(schema["$schema"], "https://json-schema.org/draft-07/schema");
    if let Some(root) = schema.as_object_mut() {
        root.remove("$schema");
    }
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    let doc = compose();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "docker-compose.yml:\n{}",
        errors.join("\n")
    );

    // The validator does reject what the specification forbids.
    let mut broken = doc.clone();
    broken["services"]["modelgate"]["restart"] = Value::from(42);
    broken["services"]["modelgate"]["no_such_key"] = Value::from(true);
    assert!(!validator.is_valid(&broken));
}

#[test]
fn lobechat_reaches_modelgate_as_the_readme_says() {
    let doc = compose();
    let services = doc["services"].as_object().expect("services");
    let modelgate = &services["modelgate"];
    let lobe = &services["lobe-chat"];
    assert!(
        lobe["image"]
            .as_str()
            .is_some_and(|i| i.starts_with("lobehub/lobe-chat")),
        "{lobe}"
    );

    let proxy = env_of(lobe, "OPENAI_PROXY_URL");
    assert_eq!(proxy, "http://modelgate:8001/v1");
    let url = reqwest::Url::parse(proxy).expect("URL");
    assert!(services.contains_key(url.host_str().expect("host")));
    assert!(url.path().ends_with("/v1"));
    let http_addr = env_of(modelgate, "MODELGATE_HTTP_ADDR");
    assert_eq!(
        http_addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok()),
        url.port(),
        "LobeChat calls the port modelgate listens on"
    );
    let published: Vec<&str> = modelgate["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(published.contains(&"8001:8001"), "{published:?}");
    assert!(published.contains(&"50051:50051"), "{published:?}");
    assert!(env_of(modelgate, "MODELGATE_GRPC_ADDR").ends_with(":50051"));

    for name in [
        "OPENAI_API_KEY",
        "OPENAI_MODEL_LIST",
        "DEFAULT_AGENT_CONFIG",
        "SYSTEM_AGENT",
        "ACCESS_CODE",
    ] {
        assert!(!env_of(lobe, name).is_empty(), "{name}");
    }
    // LobeChat's key is a modelgate client key: the same variable feeds both.
    assert_eq!(
        references(env_of(lobe, "OPENAI_API_KEY")),
        references(env_of(modelgate, "MODELGATE_API_KEYS"))
    );
    assert!(
        env_of(lobe, "SYSTEM_AGENT").contains("openai/openai/"),
        "provider/model after the provider id"
    );
    assert_eq!(
        lobe["depends_on"]["modelgate"]["condition"], "service_healthy",
        "LobeChat waits for a healthy gateway"
    );
}

#[test]
fn env_example_defines_every_required_variable() {
    let compose_text = text("docker-compose.yml");
    let example = text(".env.example");
    let defined: BTreeSet<&str> = example
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    for name in references(&compose_text) {
        assert!(
            defined.contains(name.as_str()),
            "{name} not in .env.example"
        );
    }
    for provider_key in ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"] {
        assert!(defined.contains(provider_key), "{provider_key}");
    }
    let modelgate = &compose()["services"]["modelgate"];
    assert_eq!(modelgate["env_file"][0]["path"], ".env");
    // The variables modelgate is given are ones it reads.
    let cli = text("cli/src/cli.rs") + &text("core/src/config/from_env.rs");
    for name in modelgate["environment"].as_object().expect("env").keys() {
        assert!(
            cli.contains(&format!("\"{name}\"")),
            "{name} is not read by modelgate"
        );
    }
    let traces = text("telemetry/src/traces.rs");
    assert!(traces.contains("\"OTEL_EXPORTER_OTLP_ENDPOINT\""));
    let endpoint = example
        .lines()
        .find_map(|l| {
            l.trim_start_matches("# ")
                .strip_prefix("OTEL_EXPORTER_OTLP_ENDPOINT=")
        })
        .expect("OTEL endpoint documented");
    assert_eq!(endpoint, "http://otel-collector:4318");
}

#[test]
fn observability_profile_collects_traces_and_scrapes_metrics() {
    let doc = compose();
    let services = doc["services"].as_object().expect("services");
    for name in ["otel-collector", "jaeger", "prometheus"] {
        assert_eq!(
            services[name]["profiles"],
            serde_json::json!(["observability"]),
            "{name} runs only with --profile observability"
        );
    }
    for name in ["modelgate", "lobe-chat"] {
        assert!(
            services[name].get("profiles").is_none(),
            "{name} always runs"
        );
    }

    let prometheus = yaml("deploy/prometheus.yml");
    let job = &prometheus["scrape_configs"][0];
    assert_eq!(job["metrics_path"], "/metrics");
    assert_eq!(job["static_configs"][0]["targets"][0], "modelgate:8001");
    let mounted = |service: &str, file: &str| {
        services[service]["volumes"]
            .as_array()
            .expect("volumes")
            .iter()
            .filter_map(Value::as_str)
            .any(|v| v.starts_with(&format!("./{file}:")))
    };
    assert!(mounted("prometheus", "deploy/prometheus.yml"));
    assert!(mounted("otel-collector", "deploy/otel-collector.yaml"));

    let collector = yaml("deploy/otel-collector.yaml");
    assert_eq!(
        collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"],
        "0.0.0.0:4318"
    );
    let exporter = collector["exporters"]["otlp/jaeger"]["endpoint"]
        .as_str()
        .expect("jaeger exporter");
    assert!(services.contains_key(exporter.split(':').next().expect("host")));
    assert_eq!(
        services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"],
        "true"
    );
    assert_eq!(
        collector["service"]["pipelines"]["traces"]["exporters"],
        serde_json::json!(["otlp/jaeger"])
    );
}

#[test]
fn dockerfile_builds_small_runs_unprivileged_and_checks_health() {
    let dockerfile = text("Dockerfile");
    let lines: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let froms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    assert!(froms.len() >= 2, "multi-stage: {froms:?}");
    assert!(froms[0].contains(" AS build"), "{froms:?}");
    assert!(
        froms
            .last()
            .is_some_and(|f| f.contains("distroless") || f.contains("-slim")),
        "small runtime image: {froms:?}"
    );
    assert!(dockerfile.contains("cargo build --release --locked --bin modelgate"));
    let user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("USER");
    assert!(user != "root" && user != "0", "runs as {user}");
    let exposed: BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("EXPOSE "))
        .flat_map(str::split_whitespace)
        .collect();
    assert_eq!(exposed, BTreeSet::from(["8001", "50051"]));
    let healthcheck = dockerfile
        .split("HEALTHCHECK")
        .nth(1)
        .expect("HEALTHCHECK")
        .replace("\\\n", " ");
    assert!(
        healthcheck.contains(r#"CMD ["/usr/local/bin/modelgate", "healthcheck", "--url", "http://127.0.0.1:8001/health"]"#),
        "{healthcheck}"
    );
    // The compose health check is the image's.
    let compose_check = &compose()["services"]["modelgate"]["healthcheck"]["test"];
    assert_eq!(
        compose_check,
        &serde_json::json!([
            "CMD",
            "/usr/local/bin/modelgate",
            "healthcheck",
            "--url",
            "http://127.0.0.1:8001/health"
        ])
    );
    // The subcommand exists.
    assert!(text("cli/src/cli.rs").contains("Healthcheck"));
}

#[test]
fn dockerignore_keeps_the_build_inputs() {
    let ignore = text(".dockerignore");
    let patterns: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "proto",
        "src",
        "core",
        "facade",
        "cli",
        "mock-upstream",
        "telemetry",
    ] {
        assert!(
            Path::new(&repo()).join(needed).exists(),
            "{needed} missing from the repo"
        );
        assert!(
            !patterns.contains(&needed),
            "{needed} is excluded from the build context"
        );
    }
    for secret_or_bulk in [".env", "target", ".git"] {
        assert!(
            patterns.contains(&secret_or_bulk),
            "{secret_or_bulk} is sent to the build"
        );
    }
}

#[test]
fn compose_gives_modelgate_more_time_to_stop_than_its_grace_period() {
    // Docker sends SIGKILL after `stop_grace_period`; modelgate needs its whole
    // `shutdown_grace_seconds` (30 s by default) plus the drain before that.
    let doc = compose();
    let period = doc["services"]["modelgate"]["stop_grace_period"]
        .as_str()
        .expect("stop_grace_period set on the modelgate service");
    let seconds: u64 = period
        .strip_suffix('s')
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("stop_grace_period in seconds, got {period:?}"));
    assert!(
        seconds > 30,
        "stop_grace_period {seconds}s leaves no time beyond the 30 s grace period"
    );
    assert!(
        text("README.md").contains(&format!("stop_grace_period: {seconds}s")),
        "the README names the compose file's stop_grace_period"
    );
}
