//! Authentication (PROTOCOL 1, 3.2, 3.3): operator JWTs (HS256 with `auth.jwt_secret`, claims
//! `sub`, `role`, `exp`) and the HMAC identity signature of clients on signed channels.
//! Pure functions over configuration; no IO.

use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::{OperatorId, Role, Settings};

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
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token was given.
    #[error("a bearer token is required")]
    Missing,
    /// Bad signature, malformed or expired.
    #[error("invalid token: {0}")]
    Invalid(String),
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
    let claims = Claims { sub: operator.to_string(), role, exp: now_secs.saturating_add(ttl_secs) };
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .map_err(|e| AuthError::Invalid(e.to_string()))
}

/// Verifies a token: signed with `secret`, unexpired, its subject a configured operator and its
/// role that operator's configured role.
pub fn verify(secret: &str, settings: &Settings, token: &str) -> Result<Identity, AuthError> {
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map_err(|e| AuthError::Invalid(e.to_string()))?;
    let claims = data.claims;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::settings;

    const SECRET: &str = "test-secret-0123456789";

    fn now() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    }

    #[test]
    fn an_issued_token_verifies_as_its_operator_and_role() {
        let token = issue(SECRET, "sam", Role::Supervisor, now(), 60).unwrap();
        let id = verify(SECRET, &settings(), &token).unwrap();
        assert_eq!(id, Identity { operator: OperatorId::from("sam"), role: Role::Supervisor });
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = issue("other-secret", "alice", Role::Operator, now(), 60).unwrap();
        assert!(matches!(verify(SECRET, &settings(), &token), Err(AuthError::Invalid(_))));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = issue(SECRET, "alice", Role::Operator, now() - 120, 60).unwrap();
        assert!(matches!(verify(SECRET, &settings(), &token), Err(AuthError::Invalid(_))));
    }

    #[test]
    fn a_token_of_an_unknown_operator_is_refused() {
        let token = issue(SECRET, "mallory", Role::Operator, now(), 60).unwrap();
        assert_eq!(verify(SECRET, &settings(), &token), Err(AuthError::UnknownOperator("mallory".into())));
    }

    #[test]
    fn a_token_claiming_a_role_the_operator_does_not_have_is_refused() {
        let token = issue(SECRET, "alice", Role::Admin, now(), 60).unwrap();
        assert!(matches!(verify(SECRET, &settings(), &token), Err(AuthError::WrongRole { .. })));
    }

    #[test]
    fn garbage_and_empty_tokens_are_refused() {
        assert_eq!(verify(SECRET, &settings(), ""), Err(AuthError::Missing));
        assert!(matches!(verify(SECRET, &settings(), "garbage"), Err(AuthError::Invalid(_))));
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
