//! Authentication (PROTOCOL 1, 3.2, 3.3): operator JWTs (HS256 with `auth.jwt_secret`, claims
//! `sub`, `role`, `exp`, optional `nbf`), the HMAC identity signature of clients on signed
//! channels, and the conversation tokens that prove a client on a channel without a `secret`.
//! Pure functions over configuration and the time they are given ([`now_secs`] is the one clock
//! read, for callers); no IO.
//!
//! A token is refused when its signature, shape or algorithm is wrong, when it has expired
//! (`exp` at or before now), is not yet valid (`nbf` after now), or claims to stay valid longer
//! than `auth.max_token_ttl` from now (a leaked token must not live for ever), and when its
//! subject or role does not match the configuration. [`AuthError`] says which, for the log only:
//! clients are told "invalid or expired token" whatever the reason.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::{ConversationId, OperatorId, Role, Settings};

/// What operator and client authentication need (the validated `[auth]` table). Its `Debug`
/// hides the secrets so configurations can be logged.
#[derive(Clone)]
pub struct Auth {
    /// HS256 secret of operator JWTs; at least [`MIN_JWT_SECRET_BYTES`] bytes.
    pub jwt_secret: String,
    /// Issues and checks clients' conversation tokens (keys derived from
    /// `auth.client_token_secret`, or `jwt_secret`, and the previous secrets).
    pub client_tokens: ClientTokens,
    /// Longest validity a token may still have, in whole seconds (at least 1): a token whose
    /// `exp` is further from now is refused.
    pub max_token_ttl: u64,
}

/// Shortest accepted `auth.jwt_secret`, in bytes: HS256 keys shorter than its 32-byte output
/// are guessable offline from any one token.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("jwt_secret", &"<redacted>")
            .field("client_tokens", &self.client_tokens)
            .field("max_token_ttl", &self.max_token_ttl)
            .finish()
    }
}

/// A verified operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The operator.
    pub operator: OperatorId,
    /// Their configured role.
    pub role: Role,
}

/// JWT claims.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<u64>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token was given.
    #[error("a bearer token is required")]
    Missing,
    /// Bad signature, algorithm or shape (the library's words, for the log).
    #[error("invalid token: {0}")]
    Invalid(String),
    /// `exp` is now or past.
    #[error("the token expired at {exp}")]
    Expired {
        /// Its `exp`, seconds since the epoch.
        exp: u64,
    },
    /// `nbf` is still ahead.
    #[error("the token is not valid before {nbf}")]
    NotYetValid {
        /// Its `nbf`, seconds since the epoch.
        nbf: u64,
    },
    /// `exp` is further from now than `auth.max_token_ttl`.
    #[error("the token claims validity until {exp}, more than {max_ttl} s from now")]
    TooLongLived {
        /// Its `exp`, seconds since the epoch.
        exp: u64,
        /// `auth.max_token_ttl`, seconds.
        max_ttl: u64,
    },
    /// The token's subject is not a configured operator.
    #[error("unknown operator {0}")]
    UnknownOperator(String),
    /// The token's role is not the operator's configured role.
    #[error("operator {operator} has role {configured}, not {claimed}")]
    WrongRole {
        /// The operator.
        operator: String,
        /// Their configured role.
        configured: &'static str,
        /// The role the token claims.
        claimed: &'static str,
    },
}

/// Issues a token for `operator` with `role`, valid `ttl_secs` from `now_secs`.
pub fn issue(
    secret: &str,
    operator: &str,
    role: Role,
    now_secs: u64,
    ttl_secs: u64,
) -> Result<String, AuthError> {
    let claims =
        Claims { sub: operator.to_string(), role, exp: now_secs.saturating_add(ttl_secs), nbf: None };
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .map_err(|e| AuthError::Invalid(e.to_string()))
}

/// Seconds since the epoch, from the system clock.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Verifies a token at `now_secs`: signed with `auth.jwt_secret` (HS256 only), `exp` after now
/// and at most `auth.max_token_ttl` ahead, `nbf` (if any) not after now, its subject a
/// configured operator and its role that operator's configured role.
pub fn verify(auth: &Auth, settings: &Settings, token: &str, now_secs: u64) -> Result<Identity, AuthError> {
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    // The times are checked below against `now_secs`, not the library's own clock read.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = decode::<Claims>(token, &DecodingKey::from_secret(auth.jwt_secret.as_bytes()), &validation)
        .map_err(|e| AuthError::Invalid(e.to_string()))?;
    let claims = data.claims;
    if claims.exp <= now_secs {
        return Err(AuthError::Expired { exp: claims.exp });
    }
    if claims.exp - now_secs > auth.max_token_ttl {
        return Err(AuthError::TooLongLived { exp: claims.exp, max_ttl: auth.max_token_ttl });
    }
    if let Some(nbf) = claims.nbf.filter(|nbf| *nbf > now_secs) {
        return Err(AuthError::NotYetValid { nbf });
    }
    let operator = OperatorId::from(claims.sub.as_str());
    let Some(configured) = settings.operator(&operator) else {
        return Err(AuthError::UnknownOperator(claims.sub));
    };
    if configured.role != claims.role {
        return Err(AuthError::WrongRole {
            operator: claims.sub,
            configured: configured.role.as_str(),
            claimed: claims.role.as_str(),
        });
    }
    Ok(Identity { operator, role: configured.role })
}

/// Checks a client's identity signature: `sig = hex(hmac_sha256(secret, client_id))`, compared
/// in constant time.
pub fn client_signature_ok(secret: &str, client_id: &str, sig_hex: &str) -> bool {
    let Ok(sig) = hex::decode(sig_hex) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(client_id.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// The signature a client with `client_id` needs on a channel with `secret`.
pub fn client_signature(secret: &str, client_id: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(client_id.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this branch cannot be reached.
        Err(_) => String::new(),
    }
}

/// What the conversation-token key is derived for: a different purpose gives an unrelated key,
/// so the same configured secret may also sign JWTs.
const CLIENT_TOKEN_INFO: &[u8] = b"frontline client conversation token v1";

/// Conversation tokens (PROTOCOL 3.3): on a channel without a `secret`, a client proves it is
/// the client of a conversation with the token its first welcome carried,
/// `hex(hmac_sha256(key, "<channel>:<client_id>"))`. The key is derived with HKDF-SHA256 from a
/// configured secret, so a token is unguessable without it and stable for the conversation.
///
/// Rotation: tokens are issued with the current key and accepted under it or any previous key;
/// a client that reconnects with an old token gets a fresh one in its welcome.
#[derive(Clone)]
pub struct ClientTokens {
    current: [u8; 32],
    previous: Vec<[u8; 32]>,
}

impl std::fmt::Debug for ClientTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTokens").field("previous", &self.previous.len()).finish_non_exhaustive()
    }
}

impl ClientTokens {
    /// Keys derived from the `current` secret and from `previous` ones (still accepted).
    pub fn new(current: &str, previous: &[String]) -> Self {
        Self { current: derive(current), previous: previous.iter().map(|s| derive(s)).collect() }
    }

    /// The token of `conversation` under the current key.
    pub fn issue(&self, conversation: &ConversationId) -> String {
        hex::encode(token_mac(&self.current, conversation).finalize().into_bytes())
    }

    /// Whether `token` is the token of `conversation` under the current or a previous key,
    /// compared in constant time.
    pub fn verify(&self, conversation: &ConversationId, token: &str) -> bool {
        let Ok(given) = hex::decode(token) else { return false };
        std::iter::once(&self.current)
            .chain(&self.previous)
            .any(|key| token_mac(key, conversation).verify_slice(&given).is_ok())
    }
}

fn derive(secret: &str) -> [u8; 32] {
    let mut key = [0_u8; 32];
    // 32 bytes is far below HKDF-SHA256's output limit (255 * 32): this cannot fail.
    let _ = Hkdf::<Sha256>::new(None, secret.as_bytes()).expand(CLIENT_TOKEN_INFO, &mut key);
    key
}

fn token_mac(key: &[u8; 32], conversation: &ConversationId) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(conversation.to_string().as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::settings;

    const SECRET: &str = "test-secret-0123456789-abcdef-0123456789";
    /// A fixed "now": verification takes the time as a parameter.
    const NOW: u64 = 1_700_000_000;
    const WEEK: u64 = 7 * 24 * 3600;

    fn auth() -> Auth {
        Auth { jwt_secret: SECRET.into(), client_tokens: ClientTokens::new(SECRET, &[]), max_token_ttl: WEEK }
    }

    fn check(token: &str) -> Result<Identity, AuthError> {
        verify(&auth(), &settings(), token, NOW)
    }

    /// A token with any claims, signed with `secret`.
    fn signed(secret: &str, claims: serde_json::Value) -> String {
        encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    }

    #[test]
    fn an_issued_token_verifies_as_its_operator_and_role() {
        let token = issue(SECRET, "sam", Role::Supervisor, NOW, 60).unwrap();
        let id = check(&token).unwrap();
        assert_eq!(id, Identity { operator: OperatorId::from("sam"), role: Role::Supervisor });
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = issue("other-secret-0123456789-abcdef-0123", "alice", Role::Operator, NOW, 60).unwrap();
        assert!(matches!(check(&token), Err(AuthError::Invalid(_))));
    }

    #[test]
    fn an_expired_token_is_refused_from_its_exp_on() {
        let token = issue(SECRET, "alice", Role::Operator, NOW - 120, 60).unwrap();
        assert_eq!(check(&token), Err(AuthError::Expired { exp: NOW - 60 }));
        let token = issue(SECRET, "alice", Role::Operator, NOW - 60, 60).unwrap();
        assert_eq!(check(&token), Err(AuthError::Expired { exp: NOW }), "exp is the first invalid second");
        let token = issue(SECRET, "alice", Role::Operator, NOW - 59, 60).unwrap();
        assert!(check(&token).is_ok());
    }

    #[test]
    fn a_token_valid_longer_than_max_token_ttl_from_now_is_refused() {
        let token = issue(SECRET, "alice", Role::Operator, NOW, WEEK).unwrap();
        assert!(check(&token).is_ok(), "exactly the cap is fine");
        let token = issue(SECRET, "alice", Role::Operator, NOW, WEEK + 1).unwrap();
        assert_eq!(check(&token), Err(AuthError::TooLongLived { exp: NOW + WEEK + 1, max_ttl: WEEK }));
        let forever =
            signed(SECRET, serde_json::json!({"sub": "alice", "role": "operator", "exp": u64::MAX}));
        assert!(matches!(check(&forever), Err(AuthError::TooLongLived { .. })));
    }

    #[test]
    fn a_token_is_refused_before_its_nbf() {
        let claims =
            |nbf: u64| serde_json::json!({"sub": "alice", "role": "operator", "exp": NOW + 600, "nbf": nbf});
        assert_eq!(check(&signed(SECRET, claims(NOW + 1))), Err(AuthError::NotYetValid { nbf: NOW + 1 }));
        assert!(check(&signed(SECRET, claims(NOW))).is_ok());
        assert!(check(&signed(SECRET, claims(NOW - 600))).is_ok());
    }

    #[test]
    fn a_token_without_exp_or_with_another_algorithm_is_refused() {
        let no_exp = signed(SECRET, serde_json::json!({"sub": "alice", "role": "operator"}));
        assert!(matches!(check(&no_exp), Err(AuthError::Invalid(_))));
        let claims = serde_json::json!({"sub": "alice", "role": "operator", "exp": NOW + 60});
        let hs512 =
            encode(&Header::new(Algorithm::HS512), &claims, &EncodingKey::from_secret(SECRET.as_bytes()))
                .unwrap();
        assert!(matches!(check(&hs512), Err(AuthError::Invalid(_))));
        let b64 = |v: &str| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v);
        let unsigned = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims.to_string()));
        assert!(matches!(check(&unsigned), Err(AuthError::Invalid(_))));
    }

    #[test]
    fn a_token_of_an_unknown_operator_is_refused() {
        let token = issue(SECRET, "mallory", Role::Operator, NOW, 60).unwrap();
        assert_eq!(check(&token), Err(AuthError::UnknownOperator("mallory".into())));
    }

    #[test]
    fn a_token_claiming_a_role_the_operator_does_not_have_is_refused() {
        let token = issue(SECRET, "alice", Role::Admin, NOW, 60).unwrap();
        assert!(matches!(check(&token), Err(AuthError::WrongRole { .. })));
    }

    #[test]
    fn garbage_and_empty_tokens_are_refused() {
        assert_eq!(check(""), Err(AuthError::Missing));
        assert!(matches!(check("garbage"), Err(AuthError::Invalid(_))));
    }

    #[test]
    fn a_conversation_token_verifies_for_its_conversation_only() {
        let tokens = ClientTokens::new("client-token-secret-0123456789abcdef", &[]);
        let c1 = ConversationId::new("web", "c1");
        let token = tokens.issue(&c1);
        assert_eq!(token.len(), 64);
        assert_eq!(token, tokens.issue(&c1), "stable for the conversation");
        assert!(tokens.verify(&c1, &token));
        assert!(!tokens.verify(&ConversationId::new("web", "c2"), &token));
        assert!(!tokens.verify(&ConversationId::new("tg", "c1"), &token));
        assert!(!tokens.verify(&c1, ""));
        assert!(!tokens.verify(&c1, "not hex"));
        assert!(!tokens.verify(&c1, &"00".repeat(32)));
        assert!(!tokens.verify(&c1, &token[..62]), "a truncated token is refused");
    }

    #[test]
    fn the_token_key_is_derived_not_the_secret_itself() {
        let secret = "client-token-secret-0123456789abcdef";
        let c1 = ConversationId::new("web", "c1");
        let plain = client_signature(secret, "web:c1");
        assert_ne!(ClientTokens::new(secret, &[]).issue(&c1), plain, "HKDF stands between secret and key");
    }

    #[test]
    fn after_rotation_old_tokens_still_verify_and_new_ones_are_issued() {
        let old = ClientTokens::new("old-secret-0123456789abcdef-0123456789", &[]);
        let rotated = ClientTokens::new(
            "new-secret-0123456789abcdef-0123456789",
            &["old-secret-0123456789abcdef-0123456789".into()],
        );
        let c1 = ConversationId::new("web", "c1");
        assert!(rotated.verify(&c1, &old.issue(&c1)), "an old token is still accepted");
        assert_ne!(rotated.issue(&c1), old.issue(&c1), "new tokens come from the new key");
        let dropped = ClientTokens::new("new-secret-0123456789abcdef-0123456789", &[]);
        assert!(
            !dropped.verify(&c1, &old.issue(&c1)),
            "once the old secret is removed, its tokens are refused"
        );
    }

    #[test]
    fn client_signatures_are_hmac_sha256_of_the_client_id_in_hex() {
        let sig = client_signature("widget-secret", "c9");
        assert_eq!(sig.len(), 64);
        assert!(client_signature_ok("widget-secret", "c9", &sig));
        assert!(!client_signature_ok("widget-secret", "c10", &sig));
        assert!(!client_signature_ok("widget-secret", "c9", &"00".repeat(32)));
        assert!(!client_signature_ok("widget-secret", "c9", "not hex"));
    }
}
