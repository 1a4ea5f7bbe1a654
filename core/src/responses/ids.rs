//! Ids of translated responses and their output items, shaped like OpenAI's (`resp_…`,
//! `msg_…`, `fc_…`, `rs_…`): a prefix and random hex, as the chat path's `req_` ids.

/// A fresh id with `prefix` (`resp`, `msg`, `fc`, `rs`, `call`).
pub fn fresh(prefix: &str) -> String {
    format!(
        "{prefix}_{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_prefix_and_differ() {
        let a = fresh("resp");
        let b = fresh("resp");
        assert!(a.starts_with("resp_"), "{a}");
        assert_eq!(a.len(), "resp_".len() + 32);
        assert!(a["resp_".len()..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
