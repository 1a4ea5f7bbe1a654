//! Tool call ids that carry Gemini's `thoughtSignature`.
//!
//! Gemini does not id its function calls, but 2.5+ models attach an opaque
//! `thoughtSignature` to them that must come back with the call in the next
//! request (Gemini 3 answers 400 without it). OpenAI clients keep nothing but
//! the call id, and echo it verbatim; so the signature rides inside the id:
//! `call_<hex>` or `call_<hex>_s_<signature as unpadded base64url>`. Only
//! `[A-Za-z0-9_-]` is used, so the id stays valid for providers with strict id
//! rules (Anthropic) when a conversation moves to another model.

/// Separates the random part from the signature.
const MARK: &str = "_s_";

/// A fresh call id, carrying `signature` (standard base64, as Gemini sends it).
pub fn encode(signature: Option<&str>) -> String {
    let id = format!(
        "call_{:016x}{:08x}",
        rand::random::<u64>(),
        rand::random::<u32>()
    );
    match signature.filter(|s| !s.is_empty()) {
        Some(sig) => {
            let url: String = sig
                .chars()
                .filter(|c| *c != '=')
                .map(|c| match c {
                    '+' => '-',
                    '/' => '_',
                    other => other,
                })
                .collect();
            format!("{id}{MARK}{url}")
        }
        None => id,
    }
}

/// The signature carried by an id made by [`encode`], as standard base64.
pub fn signature(id: &str) -> Option<String> {
    let rest = id.strip_prefix("call_")?;
    let (head, sig) = rest.split_once(MARK)?;
    if head.is_empty() || !head.chars().all(|c| c.is_ascii_hexdigit()) || sig.is_empty() {
        return None;
    }
    if !sig
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let mut std: String = sig
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    while !std.len().is_multiple_of(4) {
        std.push('=');
    }
    Some(std)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_round_trip() {
        for sig in [
            "EpwICpkIAXLI2nx+/lU6g==",
            "abc",
            "ab+/",
            "CiIB0e2Kb6Syj1a961EfbWv4W5C8RgAA/hGleV9VYJtnJFh4",
        ] {
            let id = encode(Some(sig));
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{id}"
            );
            let back = signature(&id).expect("signature");
            assert_eq!(back.trim_end_matches('='), sig.trim_end_matches('='));
            assert_eq!(back.len() % 4, 0);
        }
    }

    #[test]
    fn plain_and_foreign_ids_carry_none() {
        let id = encode(None);
        assert!(id.starts_with("call_") && !id.contains(MARK));
        assert_eq!(signature(&id), None);
        assert_eq!(signature("call_abc123"), None);
        assert_eq!(signature("toolu_01_s_xyz"), None);
        assert_eq!(signature("call_zz_s_abc"), None);
        assert_eq!(signature("call_ab_s_a b"), None);
        assert!(!encode(Some("")).contains(MARK));
    }
}
