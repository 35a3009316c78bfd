//! Access-token checks as `gatherhub-security`'s `JwtIssuer::verify` makes
//! them (crates/adapters/security/src/jwt.rs), with `jsonwebtoken` directly:
//! HS256 only, `iss` = `gatherhub`, `exp`/`iss`/`sub` required, no `aud`,
//! every claim present and well-formed, `typ` = `access`, `exp` checked
//! against the system clock with 5 s of leeway, `sub` a positive id, `sid`
//! and `jti` not empty.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// The issuer the real server writes and requires (its default).
const ISSUER: &str = "gatherhub";
/// Seconds of clock skew tolerated on `exp` (the real server's default).
const LEEWAY_SECS: i64 = 5;
/// The shortest secret the real server accepts.
pub const MIN_SECRET_LEN: usize = 32;

/// Why a token was refused; each is a 401 with the real server's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// `token_invalid`.
    Invalid,
    /// `token_expired`.
    Expired,
}

/// The claims the floor needs from a verified access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub user_id: i64,
    pub session_id: String,
}

/// The payload of every token; every field is required, as in the adapter.
#[derive(Debug, Deserialize)]
struct Claims {
    #[allow(dead_code)]
    iss: String,
    sub: String,
    exp: i64,
    #[allow(dead_code)]
    iat: i64,
    jti: String,
    sid: String,
    typ: TokenType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum TokenType {
    Access,
    Refresh,
}

/// Verifies access tokens signed with one secret.
pub struct Verifier {
    decoding: DecodingKey,
    validation: Validation,
}

impl Verifier {
    /// A verifier for tokens signed with `secret` (at least
    /// [`MIN_SECRET_LEN`] bytes, like the real server requires).
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(format!(
                "the secret key must be at least {MIN_SECRET_LEN} bytes, got {}",
                secret.len()
            ));
        }
        // As the adapter does: a no-op when a provider is installed already.
        let _already_installed = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = LEEWAY_SECS.unsigned_abs();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = true;
        Ok(Self {
            decoding: DecodingKey::from_secret(secret),
            validation,
        })
    }

    /// The user and session of a valid access token at unix time `now`.
    pub fn verify(&self, token: &str, now: i64) -> Result<Verified, TokenError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?
            .claims;
        if claims.typ != TokenType::Access {
            return Err(TokenError::Invalid);
        }
        if claims.exp.saturating_add(LEEWAY_SECS) < now {
            return Err(TokenError::Expired);
        }
        let user_id = claims
            .sub
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or(TokenError::Invalid)?;
        if claims.sid.is_empty() || claims.jti.is_empty() {
            return Err(TokenError::Invalid);
        }
        Ok(Verified {
            user_id,
            session_id: claims.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde::Serialize;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-floor";
    const NOW: i64 = 1_750_000_000;

    #[derive(Serialize, Clone)]
    struct Raw<'a> {
        iss: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        sub: Option<&'a str>,
        exp: i64,
        iat: i64,
        jti: &'a str,
        sid: &'a str,
        typ: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        aud: Option<&'a str>,
    }

    fn good() -> Raw<'static> {
        Raw {
            iss: "gatherhub",
            sub: Some("42"),
            exp: NOW + 900,
            iat: NOW,
            jti: "jti-1",
            sid: "session-1",
            typ: "access",
            aud: None,
        }
    }

    fn sign(alg: Algorithm, claims: &Raw<'_>, secret: &[u8]) -> String {
        let verifier = Verifier::new(SECRET).unwrap(); // installs the provider
        drop(verifier);
        jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn verify(token: &str, now: i64) -> Result<Verified, TokenError> {
        Verifier::new(SECRET).unwrap().verify(token, now)
    }

    #[test]
    fn a_valid_access_token_gives_its_user_and_session() {
        let token = sign(Algorithm::HS256, &good(), SECRET);
        assert_eq!(
            verify(&token, NOW),
            Ok(Verified {
                user_id: 42,
                session_id: "session-1".into()
            })
        );
    }

    #[test]
    fn expiry_has_five_seconds_of_leeway() {
        let token = sign(Algorithm::HS256, &good(), SECRET);
        assert!(verify(&token, NOW + 900 + 5).is_ok());
        assert_eq!(verify(&token, NOW + 900 + 6), Err(TokenError::Expired));
    }

    #[test]
    fn refresh_tokens_wrong_secrets_issuers_and_algorithms_are_refused() {
        let refresh = Raw {
            typ: "refresh",
            ..good()
        };
        assert_eq!(
            verify(&sign(Algorithm::HS256, &refresh, SECRET), NOW),
            Err(TokenError::Invalid)
        );
        let other_secret = sign(
            Algorithm::HS256,
            &good(),
            b"another secret, long enough to sign!",
        );
        assert_eq!(verify(&other_secret, NOW), Err(TokenError::Invalid));
        let other_issuer = Raw {
            iss: "someone-else",
            ..good()
        };
        assert_eq!(
            verify(&sign(Algorithm::HS256, &other_issuer, SECRET), NOW),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            verify(&sign(Algorithm::HS512, &good(), SECRET), NOW),
            Err(TokenError::Invalid)
        );
        let with_audience = Raw {
            aud: Some("elsewhere"),
            ..good()
        };
        assert_eq!(
            verify(&sign(Algorithm::HS256, &with_audience, SECRET), NOW),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn malformed_claims_are_refused() {
        for claims in [
            Raw {
                sub: None,
                ..good()
            },
            Raw {
                sub: Some("0"),
                ..good()
            },
            Raw {
                sub: Some("seven"),
                ..good()
            },
            Raw { sid: "", ..good() },
            Raw { jti: "", ..good() },
            Raw {
                typ: "Access",
                ..good()
            },
        ] {
            let token = sign(Algorithm::HS256, &claims, SECRET);
            assert_eq!(verify(&token, NOW), Err(TokenError::Invalid));
        }
        assert_eq!(verify("not a token", NOW), Err(TokenError::Invalid));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(Verifier::new(b"short").is_err());
        assert!(Verifier::new(&[7u8; MIN_SECRET_LEN]).is_ok());
    }
}
