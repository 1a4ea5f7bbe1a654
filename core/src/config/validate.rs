//! YAML text → validated [`Config`]: LiteLLM's sections are sorted out first, `os.environ/`
//! references resolved where modelgate uses the value, then serde checks the shape and the
//! functions here check the meaning.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr};

use secrecy::{ExposeSecret, SecretString};
use serde_yaml_ng::{Mapping, Value};

use super::env::{Env, Layered, key_text, resolve};
use super::error::{ConfigError, child, index};
use super::providers::{
    Draft, KIND_NAMES, ProviderKind, check_header, find_preset, parse_api_base, parse_timeout,
};
use super::raw::{RawAuth, RawConfig, RawCors, RawProvider, RawServer, Scalar};
use super::{
    AuthConfig, ClientKey, Config, CorsConfig, KeyLimits, ProviderConfig, ServerConfig, model_list,
    routing,
};

/// modelgate's own sections, checked key by key.
const OWN_SECTIONS: &[&str] = &[
    "server",
    "auth",
    "cors",
    "providers",
    "model_list",
    "image_fetch",
];

/// LiteLLM proxy sections accepted so its config loads unchanged, but not acted on.
const LITELLM_SECTIONS: &[&str] = &[
    "router_settings",
    "litellm_settings",
    "model_info",
    "callback_settings",
    "guardrails",
    "credential_list",
    "mcp_servers",
    "files_settings",
    "finetune_settings",
    "assistant_settings",
    "vector_store_registry",
    "search_tools",
    "prompts",
    "sandbox_tools",
    "policies",
    "policy_attachments",
    "mcp_tools",
    "agents",
    "agent_list",
    "worker_registry",
    "default_vertex_config",
];

/// Notices, reported in the order their sections appear in the file.
#[derive(Default)]
pub(super) struct Notices {
    rank: HashMap<String, usize>,
    items: Vec<(usize, String)>,
}

impl Notices {
    pub fn push(&mut self, section: &str, line: String) {
        let rank = self.rank.get(section).copied().unwrap_or(usize::MAX);
        if !self.items.iter().any(|(_, existing)| *existing == line) {
            self.items.push((rank, line));
        }
    }

    fn into_lines(mut self) -> Vec<String> {
        self.items.sort_by_key(|(rank, _)| *rank);
        self.items.into_iter().map(|(_, line)| line).collect()
    }
}

pub(super) fn from_yaml(text: &str, env: &dyn Env) -> Result<Config, ConfigError> {
    let mut document: Value = serde_yaml_ng::from_str(text).map_err(|e| {
        ConfigError::at(
            "",
            format!("invalid YAML: {e}"),
            "fix the syntax at that position",
        )
    })?;
    // LiteLLM configs use anchors with `<<:` merges to share litellm_params.
    document.apply_merge().map_err(|e| {
        ConfigError::at(
            "",
            format!("invalid YAML merge (`<<`): {e}"),
            "merge only mappings",
        )
    })?;
    let mut root = match document {
        Value::Null => Mapping::new(),
        Value::Mapping(mapping) => mapping,
        _ => {
            return Err(ConfigError::at(
                "",
                "the top level is not a mapping",
                "write sections such as `providers:` and `model_list:` at the top level",
            ));
        }
    };

    let mut notices = Notices::default();
    let mut expected: Vec<&str> = OWN_SECTIONS.to_vec();
    expected.extend(["general_settings", "environment_variables"]);
    expected.extend(LITELLM_SECTIONS);
    for (rank, key) in root.keys().enumerate() {
        let name = key_text(key);
        if name == "include" {
            return Err(ConfigError::at(
                "include",
                "including other files is not supported",
                "copy the included files' model_list entries into this file",
            ));
        }
        if !expected.contains(&name.as_str()) {
            return Err(ConfigError::unknown_key("", &name, &expected));
        }
        notices.rank.insert(name, rank);
    }

    let env = Layered::from_section(root.remove("environment_variables"), env)?;
    let env: &dyn Env = &env;

    for section in LITELLM_SECTIONS {
        // Ranked here, parsed by `routing` above.
        if *section == "router_settings" {
            continue;
        }
        if let Some(value) = root.remove(*section) {
            if !matches!(value, Value::Null | Value::Mapping(_) | Value::Sequence(_)) {
                return Err(ConfigError::at(
                    *section,
                    "expected a mapping",
                    "write the section's settings as `key: value` lines under it",
                ));
            }
            notices.push(section, ignored_section(section, &value));
        }
    }
    let router = routing::router_settings(root.remove("router_settings"), env, &mut notices)?;
    let master_key = general_settings(root.remove("general_settings"), env, &mut notices)?;

    for section in ["server", "auth", "cors", "providers", "image_fetch"] {
        if let Some(value) = root.get_mut(section) {
            resolve(value, section, env)?;
        }
    }
    let provider_names: Vec<String> = match root.get("providers") {
        Some(Value::Mapping(providers)) => providers.keys().map(key_text).collect(),
        _ => Vec::new(),
    };
    if let Some(list) = root.get_mut("model_list") {
        model_list::resolve_env(list, &provider_names, env)?;
    }

    let raw: RawConfig = serde_path_to_error::deserialize(Value::Mapping(root))
        .map_err(|e| ConfigError::from_serde(e.path().to_string(), &e.inner().to_string()))?;

    let server = server(raw.server)?;
    let auth = auth(raw.auth, master_key)?;
    let cors = cors(raw.cors)?;
    let image_fetch = super::image_fetch::image_fetch(raw.image_fetch)?;
    let mut providers = BTreeMap::new();
    for (name, provider) in raw.providers.map(|p| p.0).unwrap_or_default() {
        let provider = provider_entry(&name, provider.unwrap_or_default(), env)?;
        providers.insert(name, provider);
    }
    let deployments = model_list::deployments(
        raw.model_list.unwrap_or_default(),
        &providers,
        env,
        &mut notices,
    )?;

    Ok(Config {
        source: String::new(),
        server,
        auth,
        cors,
        providers,
        model_list: deployments,
        router,
        image_fetch,
        notices: notices.into_lines(),
    })
}

/// `router_settings: parsed, not acted on yet (routing_strategy, num_retries)`.
fn ignored_section(section: &str, value: &Value) -> String {
    match value {
        Value::Mapping(mapping) if !mapping.is_empty() => {
            let keys: Vec<String> = mapping.keys().map(key_text).collect();
            format!("{section}: parsed, not acted on yet ({})", keys.join(", "))
        }
        _ => format!("{section}: parsed, not acted on yet"),
    }
}

/// LiteLLM's `general_settings`: only `master_key` is used (as the client key `master`).
fn general_settings(
    section: Option<Value>,
    env: &dyn Env,
    notices: &mut Notices,
) -> Result<Option<String>, ConfigError> {
    const SECTION: &str = "general_settings";
    let mapping = match section {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Mapping(mapping)) => mapping,
        Some(_) => {
            return Err(ConfigError::at(
                SECTION,
                "expected a mapping",
                "write e.g. `general_settings: { master_key: os.environ/LITELLM_MASTER_KEY }`",
            ));
        }
    };
    let mut master_key = None;
    for (key, mut value) in mapping {
        let name = key_text(&key);
        if name != "master_key" {
            notices.push(SECTION, format!("{SECTION}.{name}: ignored"));
            continue;
        }
        let path = child(SECTION, &name);
        resolve(&mut value, &path, env)?;
        master_key = match value {
            Value::Null => None,
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                return Err(ConfigError::at(
                    path,
                    "expected a string",
                    "write the key as a string, e.g. os.environ/LITELLM_MASTER_KEY",
                ));
            }
        };
    }
    Ok(master_key)
}

fn server(raw: Option<RawServer>) -> Result<ServerConfig, ConfigError> {
    let mut server = ServerConfig::default();
    let Some(raw) = raw else {
        return Ok(server);
    };
    if let Some(Scalar(text)) = raw.http {
        server.http = socket_addr(&text, "server.http")?;
    }
    if let Some(Scalar(text)) = raw.grpc {
        server.grpc = socket_addr(&text, "server.grpc")?;
    }
    if let Some(Scalar(text)) = raw.body_limit_mb {
        const PATH: &str = "server.body_limit_mb";
        let fix = "give the limit in whole MiB, at least 1, e.g. 32";
        let mib: usize = routing::count(&text, PATH)
            .map_err(|_| ConfigError::at(PATH, format!("`{text}` is not a whole number"), fix))?;
        if mib == 0 {
            return Err(ConfigError::at(
                PATH,
                "the limit must be at least 1 MiB",
                fix,
            ));
        }
        server.body_limit_bytes = mib
            .checked_mul(1024 * 1024)
            .ok_or_else(|| ConfigError::at(PATH, format!("{mib} MiB is too large"), fix))?;
    }
    if let Some(Scalar(text)) = raw.shutdown_grace_seconds {
        server.shutdown_grace = super::lifecycle::grace_seconds(&text)?;
    }
    server.connections = super::connections::limits(
        &raw.header_timeout_seconds,
        &raw.idle_timeout_seconds,
        &raw.max_concurrent_streams,
        &raw.max_connections,
    )?;
    if let Some(Scalar(text)) = raw.body_timeout_seconds {
        server.body_timeout = super::connections::body_timeout(&text)?;
    }
    if let Some(tls) = raw.tls {
        server.tls = Some(super::lifecycle::tls_files(tls)?);
    }
    Ok(server)
}

/// `IP:PORT`; also a bare port (all interfaces) and `localhost:PORT`.
fn socket_addr(text: &str, path: &str) -> Result<SocketAddr, ConfigError> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(port) = text.strip_prefix(':').unwrap_or(text).parse::<u16>() {
        return Ok(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)));
    }
    if let Some(Ok(port)) = text.strip_prefix("localhost:").map(str::parse::<u16>) {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    Err(ConfigError::at(
        path,
        format!("`{text}` is not an address to listen on"),
        "write IP:PORT, e.g. 0.0.0.0:8001 (all interfaces) or 127.0.0.1:8001",
    ))
}

fn auth(raw: Option<RawAuth>, master_key: Option<String>) -> Result<AuthConfig, ConfigError> {
    let mut keys: Vec<(KeySite, ClientKey)> = Vec::new();
    for (i, raw_key) in raw
        .and_then(|a| a.keys)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let path = index("auth.keys", i);
        let site = KeySite {
            name: child(&path, "name"),
            key: child(&path, "key"),
        };
        let name = raw_key
            .name
            .map(|Scalar(s)| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ConfigError::at(
                    &site.name,
                    "missing or empty",
                    "give each key a name; logs show it instead of the key",
                )
            })?;
        let key = raw_key.key.ok_or_else(|| {
            ConfigError::at(
                &site.key,
                "missing",
                "give the key, e.g. key: os.environ/LOBECHAT_KEY",
            )
        })?;
        let models = match raw_key.models {
            None => None,
            Some(list) => Some(model_patterns(list.0, &child(&path, "models"))?),
        };
        let mut key = client_key(name, &key.0, models, &site.key)?;
        key.limits = key_limits(
            &raw_key.rpm,
            &raw_key.tpm,
            &raw_key.max_parallel_requests,
            &path,
        )?;
        keys.push((site, key));
    }
    if let Some(master) = master_key {
        let site = KeySite::single("general_settings.master_key");
        let key = client_key("master".to_owned(), &master, None, &site.key)?;
        keys.push((site, key));
    }
    check_unique_keys(&keys)?;
    Ok(AuthConfig {
        keys: keys.into_iter().map(|(_, key)| key).collect(),
    })
}

/// Where a client key's name and value were configured, for error messages.
pub(super) struct KeySite {
    pub name: String,
    pub key: String,
}

impl KeySite {
    /// Name and value from one place (`general_settings.master_key`, a variable).
    pub fn single(path: &str) -> Self {
        KeySite {
            name: path.to_owned(),
            key: path.to_owned(),
        }
    }
}

/// Surrounding whitespace is dropped: a key read from a file or variable often ends in a newline.
pub(super) fn client_key(
    name: String,
    key: &str,
    models: Option<Vec<String>>,
    path: &str,
) -> Result<ClientKey, ConfigError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(ConfigError::at(
            path,
            format!("the key named {name} is empty"),
            "give it a non-empty value",
        ));
    }
    Ok(ClientKey {
        name,
        key: SecretString::from(key),
        models,
        limits: KeyLimits::default(),
    })
}

/// `rpm`, `tpm` and `max_parallel_requests` of one `auth.keys[]` entry.
fn key_limits(
    rpm: &Option<Scalar>,
    tpm: &Option<Scalar>,
    parallel: &Option<Scalar>,
    path: &str,
) -> Result<KeyLimits, ConfigError> {
    let read = |value: &Option<Scalar>, key: &str| {
        value
            .as_ref()
            .map(|Scalar(raw)| routing::count::<u64>(raw, &child(path, key)))
            .transpose()
    };
    Ok(KeyLimits {
        rpm: read(rpm, "rpm")?,
        tpm: read(tpm, "tpm")?,
        max_parallel_requests: read(parallel, "max_parallel_requests")?,
    })
}

/// Key names identify callers in logs, and one key must map to one name.
pub(super) fn check_unique_keys(keys: &[(KeySite, ClientKey)]) -> Result<(), ConfigError> {
    for (i, (site, key)) in keys.iter().enumerate() {
        for (earlier_site, earlier) in &keys[..i] {
            if earlier.name == key.name {
                return Err(ConfigError::at(
                    site.name.as_str(),
                    format!(
                        "the name {} is already used by {}",
                        key.name, earlier_site.name
                    ),
                    "give each client key its own name",
                ));
            }
            if earlier.key.expose_secret() == key.key.expose_secret() {
                return Err(ConfigError::at(
                    site.key.as_str(),
                    format!(
                        "key {} has the same value as key {} ({})",
                        key.name, earlier.name, earlier_site.key
                    ),
                    "give each client its own key",
                ));
            }
        }
    }
    Ok(())
}

/// Model names a key may use: exact names, `*`, or prefixes ending in `*` (`openai/*`).
fn model_patterns(list: Vec<String>, path: &str) -> Result<Vec<String>, ConfigError> {
    let mut patterns = Vec::with_capacity(list.len());
    for (i, pattern) in list.into_iter().enumerate() {
        let pattern = pattern.trim().to_owned();
        let fix =
            "write a model name, `*` for every model, or a prefix ending in `*` such as openai/*";
        if pattern.is_empty() {
            return Err(ConfigError::at(index(path, i), "empty model name", fix));
        }
        if pattern.trim_end_matches('*').contains('*') || pattern.ends_with("**") {
            return Err(ConfigError::at(
                index(path, i),
                format!("`{pattern}` has `*` before the end"),
                fix,
            ));
        }
        patterns.push(pattern);
    }
    Ok(patterns)
}

fn cors(raw: Option<RawCors>) -> Result<CorsConfig, ConfigError> {
    let mut allow_origins = Vec::new();
    for (i, origin) in raw
        .and_then(|c| c.allow_origins)
        .map(|o| o.0)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let path = index("cors.allow_origins", i);
        let origin = origin.trim();
        if origin == "*" {
            allow_origins.push(origin.to_owned());
            continue;
        }
        let fix = "write an origin as scheme://host[:port], e.g. http://localhost:3210, or *";
        let url = reqwest::Url::parse(origin).map_err(|e| {
            ConfigError::at(&path, format!("`{origin}` is not an origin ({e})"), fix)
        })?;
        let is_origin = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty();
        if !is_origin {
            return Err(ConfigError::at(
                path,
                format!("`{origin}` is not an origin"),
                fix,
            ));
        }
        // Browsers send the serialized origin: no trailing slash, no default port.
        allow_origins.push(url.origin().ascii_serialization());
    }
    Ok(CorsConfig { allow_origins })
}

/// One `providers:` entry. A preset name (`openai`, `groq`, …) brings its defaults, including
/// the key from its usual variable; any other name must say its `kind` and `api_base`.
fn provider_entry(
    name: &str,
    raw: RawProvider,
    env: &dyn Env,
) -> Result<ProviderConfig, ConfigError> {
    let path = child("providers", name);
    if name.is_empty() || name.contains('/') || name.chars().any(char::is_whitespace) {
        return Err(ConfigError::at(
            path,
            format!("`{name}` cannot be a provider name"),
            "clients write provider/model, so use a name without '/' or spaces",
        ));
    }
    let kind = match &raw.kind {
        None => None,
        Some(text) => Some(
            ProviderKind::parse(text.trim())
                .ok_or_else(|| unknown_kind(text, &child(&path, "kind")))?,
        ),
    };
    let preset = find_preset(name).filter(|preset| kind.is_none_or(|kind| kind == preset.kind));
    let mut draft = match (preset, kind) {
        (Some(preset), _) => Draft::from_preset(name, preset, env)?,
        (None, None) => {
            return Err(ConfigError::at(
                child(&path, "kind"),
                "missing",
                format!(
                    "`{name}` is not a known provider name, so say which API it speaks: kind: {KIND_NAMES} (openai for any OpenAI-compatible server)"
                ),
            ));
        }
        (None, Some(kind)) => {
            if raw.api_base.is_none() {
                return Err(ConfigError::at(
                    child(&path, "api_base"),
                    "missing",
                    format!(
                        "`{name}` is not a known provider name, so give its URL, e.g. api_base: http://HOST:8000/v1"
                    ),
                ));
            }
            Draft {
                name: name.to_owned(),
                kind,
                api_base: None,
                api_key: None,
                api_version: None,
                models: None,
                timeout: None,
                headers: Vec::new(),
                responses_api: None,
                compatible_preset: false,
                base_hint: "set api_base".to_owned(),
            }
        }
    };
    if let Some(base) = &raw.api_base {
        draft.api_base = Some(parse_api_base(base, &child(&path, "api_base"))?);
    }
    if let Some(Scalar(key)) = raw.api_key {
        draft.api_key = non_empty_secret(&key);
    }
    if let Some(Scalar(version)) = raw.api_version {
        draft.api_version = Some(version.trim().to_owned()).filter(|v| !v.is_empty());
    }
    if raw.responses_api == Some(true)
        && !matches!(draft.kind, ProviderKind::OpenAi | ProviderKind::Azure)
    {
        return Err(ConfigError::at(
            child(&path, "responses_api"),
            format!("providers of kind {} have no Responses API", draft.kind),
            "remove it: /v1/responses reaches this provider through its chat API",
        ));
    }
    if raw.responses_api.is_some() {
        draft.responses_api = raw.responses_api;
    }
    if let Some(Scalar(timeout)) = raw.timeout {
        draft.timeout = Some(parse_timeout(&timeout, &child(&path, "timeout"))?);
    }
    if let Some(models) = raw.models {
        let models_path = child(&path, "models");
        let mut list = Vec::with_capacity(models.0.len());
        for (i, model) in models.0.into_iter().enumerate() {
            let model = model.trim().to_owned();
            if model.is_empty() {
                return Err(ConfigError::at(
                    index(&models_path, i),
                    "empty model name",
                    "remove the entry or name a model",
                ));
            }
            list.push(model);
        }
        draft.models = Some(list);
    }
    for (header, Scalar(value)) in raw.headers.map(|h| h.0).unwrap_or_default() {
        check_header(&header, &value, &child(&child(&path, "headers"), &header))?;
        draft.set_header(header, value);
    }
    draft.finish(&child(&path, "api_base"))
}

pub(super) fn unknown_kind(text: &str, path: &str) -> ConfigError {
    let fix = match find_preset(text.trim()) {
        Some(preset) => format!(
            "{} is a preset, not a kind: name the provider `{}` and leave out kind, or write kind: {} with its api_base",
            preset.name, preset.name, preset.kind
        ),
        None => format!("write one of {KIND_NAMES} (openai for any OpenAI-compatible server)"),
    };
    ConfigError::at(path, format!("unknown kind `{}`", text.trim()), fix)
}

/// An empty key means "no key", e.g. for a local server.
pub(super) fn non_empty_secret(key: &str) -> Option<SecretString> {
    let key = key.trim();
    (!key.is_empty()).then(|| SecretString::from(key))
}
