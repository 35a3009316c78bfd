//! HS256 JSON Web Tokens: access and refresh tokens bound to a session.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use gatherhub_domain::UserId;
use gatherhub_ports::auth::{TokenClaims, TokenError, TokenIssuer, TokenKind, TokenPair};
use gatherhub_ports::{Clock, SystemClock};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The `iss` claim unless configured otherwise.
pub const DEFAULT_ISSUER: &str = "gatherhub";
/// Access token lifetime unless configured otherwise: 15 minutes.
pub const DEFAULT_ACCESS_TTL_SECS: i64 = 15 * 60;
/// Refresh token lifetime unless configured otherwise: 7 days.
pub const DEFAULT_REFRESH_TTL_SECS: i64 = 7 * 24 * 60 * 60;
/// Clock skew tolerated on `exp` unless configured otherwise.
pub const DEFAULT_LEEWAY_SECS: u64 = 5;
/// The most clock skew tolerated on `exp`; larger configured values are clamped.
pub const MAX_LEEWAY_SECS: u64 = 5;
/// The shortest accepted HMAC secret: 256 bits, as RFC 7518 §3.2 requires for
/// HS256.
pub const MIN_SECRET_LEN: usize = 32;

/// Settings of a [`JwtIssuer`]. [`JwtConfig::new`] fills in the defaults.
#[derive(Clone)]
pub struct JwtConfig {
    /// The HMAC-SHA256 key, at least [`MIN_SECRET_LEN`] bytes. Never shown by
    /// `Debug`.
    pub secret: Vec<u8>,
    /// The `iss` claim written and required. Default [`DEFAULT_ISSUER`].
    pub issuer: String,
    /// Access token lifetime, whole seconds, at least one. Default 15 minutes.
    pub access_ttl: TimeDelta,
    /// Refresh token lifetime, whole seconds, at least one. Default 7 days.
    pub refresh_ttl: TimeDelta,
    /// Seconds of clock skew tolerated on `exp`. Default 5; values above
    /// [`MAX_LEEWAY_SECS`] are clamped to it.
    pub leeway_secs: u64,
}

impl JwtConfig {
    /// Defaults for everything but the secret.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
            issuer: DEFAULT_ISSUER.to_owned(),
            access_ttl: TimeDelta::seconds(DEFAULT_ACCESS_TTL_SECS),
            refresh_ttl: TimeDelta::seconds(DEFAULT_REFRESH_TTL_SECS),
            leeway_secs: DEFAULT_LEEWAY_SECS,
        }
    }
}

impl fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtConfig")
            .field("secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("leeway_secs", &self.leeway_secs)
            .finish()
    }
}

/// Why a [`JwtConfig`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtConfigError {
    #[error("the JWT secret must be at least {MIN_SECRET_LEN} bytes, got {0}")]
    SecretTooShort(usize),
    #[error("the JWT issuer must not be empty")]
    EmptyIssuer,
    #[error("the {0} token lifetime must be at least one second")]
    TtlTooShort(&'static str),
}

/// The `typ` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum TokenType {
    Access,
    Refresh,
}

impl From<TokenKind> for TokenType {
    fn from(kind: TokenKind) -> Self {
        match kind {
            TokenKind::Access => Self::Access,
            TokenKind::Refresh => Self::Refresh,
        }
    }
}

impl From<TokenType> for TokenKind {
    fn from(typ: TokenType) -> Self {
        match typ {
            TokenType::Access => Self::Access,
            TokenType::Refresh => Self::Refresh,
        }
    }
}

/// The payload of every token. Every field is required when decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claims {
    iss: String,
    /// The user id as a decimal string (RFC 7519 makes `sub` a string).
    sub: String,
    exp: i64,
    iat: i64,
    jti: String,
    /// The session id.
    sid: String,
    typ: TokenType,
}

/// Issues and verifies HS256 tokens.
///
/// Only HS256 is accepted: a token whose header names any other algorithm,
/// including `none`, is invalid. Expiry is checked against the injected
/// [`Clock`] (the system clock by default), so it agrees with the `now` the
/// application passes to [`TokenIssuer::issue`].
pub struct JwtIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    header: Header,
    validation: Validation,
    issuer: String,
    access_ttl: TimeDelta,
    refresh_ttl: TimeDelta,
    leeway_secs: u64,
    clock: Arc<dyn Clock>,
}

impl JwtIssuer {
    /// An issuer with `config`, checking it and clamping its leeway to
    /// [`MAX_LEEWAY_SECS`].
    ///
    /// Also installs jsonwebtoken's RustCrypto provider as the process default
    /// (a no-op if a provider is installed already). This crate enables only the
    /// `rust_crypto` backend, but should feature unification ever enable
    /// `aws_lc_rs` too, jsonwebtoken would otherwise pick no provider and panic
    /// at the first signature.
    pub fn new(config: JwtConfig) -> Result<Self, JwtConfigError> {
        let JwtConfig {
            secret,
            issuer,
            access_ttl,
            refresh_ttl,
            leeway_secs,
        } = config;
        if secret.len() < MIN_SECRET_LEN {
            return Err(JwtConfigError::SecretTooShort(secret.len()));
        }
        if issuer.is_empty() {
            return Err(JwtConfigError::EmptyIssuer);
        }
        if access_ttl.num_seconds() < 1 {
            return Err(JwtConfigError::TtlTooShort("access"));
        }
        if refresh_ttl.num_seconds() < 1 {
            return Err(JwtConfigError::TtlTooShort("refresh"));
        }
        let leeway_secs = leeway_secs.min(MAX_LEEWAY_SECS);

        let _already_installed = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
        );

        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = leeway_secs;
        // `exp` is checked in `verify` against the injected clock, with the same
        // leeway; jsonwebtoken would read the system clock instead.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        // No `aud` is issued; a token carrying one is rejected.
        validation.validate_aud = true;

        Ok(Self {
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            header: Header::new(Algorithm::HS256),
            validation,
            issuer,
            access_ttl,
            refresh_ttl,
            leeway_secs,
            clock: Arc::new(SystemClock),
        })
    }

    /// Uses `clock` for expiry checks in [`TokenIssuer::verify`] (by default the
    /// system clock). Give it the same clock as the application.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The `iss` claim written and required.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Access token lifetime.
    pub fn access_ttl(&self) -> TimeDelta {
        self.access_ttl
    }

    /// Refresh token lifetime.
    pub fn refresh_ttl(&self) -> TimeDelta {
        self.refresh_ttl
    }

    /// The leeway in effect on `exp`, after clamping.
    pub fn leeway_secs(&self) -> u64 {
        self.leeway_secs
    }

    /// Signs one token; returns it with its `jti` and expiry.
    fn sign(
        &self,
        user: UserId,
        session: &str,
        now: DateTime<Utc>,
        typ: TokenType,
        ttl: TimeDelta,
    ) -> Result<(String, String, DateTime<Utc>), TokenError> {
        let iat = now.timestamp();
        let exp = iat
            .checked_add(ttl.num_seconds())
            .ok_or(TokenError::Invalid)?;
        let expires_at = DateTime::from_timestamp(exp, 0).ok_or(TokenError::Invalid)?;
        let jti = uuid::Uuid::new_v4().to_string();
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: user.get().to_string(),
            exp,
            iat,
            jti: jti.clone(),
            sid: session.to_owned(),
            typ,
        };
        let token = jsonwebtoken::encode(&self.header, &claims, &self.encoding)
            .map_err(|_| TokenError::Invalid)?;
        Ok((token, jti, expires_at))
    }
}

impl fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("algorithm", &Algorithm::HS256)
            .field("secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("leeway_secs", &self.leeway_secs)
            .finish_non_exhaustive()
    }
}

impl TokenIssuer for JwtIssuer {
    fn new_session_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    fn issue(
        &self,
        user: UserId,
        session: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenPair, TokenError> {
        if session.is_empty() {
            return Err(TokenError::Invalid);
        }
        let (access, _, _) = self.sign(user, session, now, TokenType::Access, self.access_ttl)?;
        let (refresh, refresh_jti, refresh_expires_at) =
            self.sign(user, session, now, TokenType::Refresh, self.refresh_ttl)?;
        Ok(TokenPair {
            access,
            refresh,
            refresh_jti,
            refresh_expires_at,
        })
    }

    fn verify(&self, token: &str, kind: TokenKind) -> Result<TokenClaims, TokenError> {
        // Signature (HS256 only), required `exp`/`iss`/`sub`, issuer, and the
        // shape of every claim in `Claims`.
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|err| match err.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?
            .claims;
        if TokenKind::from(claims.typ) != kind {
            return Err(TokenError::Invalid);
        }
        let leeway = i64::try_from(self.leeway_secs).map_err(|_| TokenError::Invalid)?;
        if claims.exp.saturating_add(leeway) < self.clock.now().timestamp() {
            return Err(TokenError::Expired);
        }
        let user_id = claims
            .sub
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(UserId)
            .ok_or(TokenError::Invalid)?;
        if claims.sid.is_empty() || claims.jti.is_empty() {
            return Err(TokenError::Invalid);
        }
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Invalid)?;
        Ok(TokenClaims {
            user_id,
            session_id: claims.sid,
            jti: claims.jti,
            kind,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-secret";

    /// A clock stuck at one instant.
    struct FixedClock(DateTime<Utc>);

    impl Clock for FixedClock {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_750_000_000, 123_456_000).unwrap()
    }

    fn issuer_at(config: JwtConfig, now: DateTime<Utc>) -> JwtIssuer {
        JwtIssuer::new(config)
            .unwrap()
            .with_clock(Arc::new(FixedClock(now)))
    }

    fn issuer() -> JwtIssuer {
        issuer_at(JwtConfig::new(SECRET), t0())
    }

    fn claims_at(now: DateTime<Utc>, typ: TokenType) -> Claims {
        Claims {
            iss: DEFAULT_ISSUER.to_owned(),
            sub: "7".to_owned(),
            exp: now.timestamp() + 60,
            iat: now.timestamp(),
            jti: "jti-1".to_owned(),
            sid: "sid-1".to_owned(),
            typ,
        }
    }

    fn sign_raw<T: Serialize>(alg: Algorithm, claims: &T, secret: &[u8]) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn parts(token: &str) -> Vec<&str> {
        token.split('.').collect()
    }

    #[test]
    fn defaults() {
        let config = JwtConfig::new(SECRET);
        assert_eq!(config.issuer, "gatherhub");
        assert_eq!(config.access_ttl, TimeDelta::minutes(15));
        assert_eq!(config.refresh_ttl, TimeDelta::days(7));
        assert_eq!(config.leeway_secs, 5);
        let issuer = JwtIssuer::new(config).unwrap();
        assert_eq!(issuer.issuer(), "gatherhub");
        assert_eq!(issuer.access_ttl(), TimeDelta::minutes(15));
        assert_eq!(issuer.refresh_ttl(), TimeDelta::days(7));
        assert_eq!(issuer.leeway_secs(), 5);
    }

    #[test]
    fn roundtrip_both_kinds() {
        let issuer = issuer();
        let session = issuer.new_session_id();
        let pair = issuer.issue(UserId(42), &session, t0()).unwrap();

        let access = issuer.verify(&pair.access, TokenKind::Access).unwrap();
        assert_eq!(access.user_id, UserId(42));
        assert_eq!(access.session_id, session);
        assert_eq!(access.kind, TokenKind::Access);
        assert_eq!(access.expires_at.timestamp(), t0().timestamp() + 15 * 60);

        let refresh = issuer.verify(&pair.refresh, TokenKind::Refresh).unwrap();
        assert_eq!(refresh.user_id, UserId(42));
        assert_eq!(refresh.session_id, session);
        assert_eq!(refresh.kind, TokenKind::Refresh);
        assert_eq!(refresh.jti, pair.refresh_jti);
        assert_eq!(refresh.expires_at, pair.refresh_expires_at);
        assert_eq!(
            pair.refresh_expires_at.timestamp(),
            t0().timestamp() + 7 * 24 * 3600
        );
        assert_ne!(access.jti, refresh.jti);
    }

    #[test]
    fn payload_has_the_documented_claims() {
        let issuer = issuer();
        let pair = issuer.issue(UserId(42), "sess", t0()).unwrap();
        let header = jsonwebtoken::decode_header(&pair.access).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        let claims: Claims = jsonwebtoken::dangerous::insecure_decode_claims(&pair.access).unwrap();
        assert_eq!(claims.iss, "gatherhub");
        assert_eq!(claims.sub, "42");
        assert_eq!(claims.iat, t0().timestamp());
        assert_eq!(claims.exp, t0().timestamp() + 900);
        assert_eq!(claims.sid, "sess");
        assert_eq!(claims.typ, TokenType::Access);
        assert_eq!(
            uuid::Uuid::parse_str(&claims.jti)
                .unwrap()
                .get_version_num(),
            4
        );
        let refresh: Claims =
            jsonwebtoken::dangerous::insecure_decode_claims(&pair.refresh).unwrap();
        assert_eq!(refresh.typ, TokenType::Refresh);
        assert_eq!(refresh.jti, pair.refresh_jti);
        // The wire values of `typ`.
        #[derive(Deserialize)]
        struct Wire {
            typ: String,
        }
        let wire = |token: &str| {
            jsonwebtoken::dangerous::insecure_decode_claims::<Wire>(token)
                .unwrap()
                .typ
        };
        assert_eq!(wire(&pair.access), "access");
        assert_eq!(wire(&pair.refresh), "refresh");
    }

    #[test]
    fn session_ids_are_fresh_uuid_v4() {
        let issuer = issuer();
        let a = issuer.new_session_id();
        let b = issuer.new_session_id();
        assert_ne!(a, b);
        assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 4);
    }

    #[test]
    fn access_token_is_not_a_refresh_token() {
        let issuer = issuer();
        let pair = issuer.issue(UserId(1), "s", t0()).unwrap();
        assert_eq!(
            issuer.verify(&pair.access, TokenKind::Refresh),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn refresh_token_is_not_an_access_token() {
        let issuer = issuer();
        let pair = issuer.issue(UserId(1), "s", t0()).unwrap();
        assert_eq!(
            issuer.verify(&pair.refresh, TokenKind::Access),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn expiry_honours_a_leeway_of_five_seconds() {
        let ttl = 15 * 60;
        let pair = issuer().issue(UserId(1), "s", t0()).unwrap();
        let at = |secs_after_issue: i64| {
            issuer_at(
                JwtConfig::new(SECRET),
                t0() + TimeDelta::seconds(secs_after_issue),
            )
            .verify(&pair.access, TokenKind::Access)
        };
        assert!(at(ttl - 1).is_ok());
        assert!(at(ttl).is_ok());
        assert!(at(ttl + 5).is_ok(), "within leeway");
        assert_eq!(at(ttl + 6), Err(TokenError::Expired));
        assert_eq!(at(ttl + 3600), Err(TokenError::Expired));
    }

    #[test]
    fn leeway_zero_is_respected() {
        let pair = issuer().issue(UserId(1), "s", t0()).unwrap();
        let config = JwtConfig {
            leeway_secs: 0,
            ..JwtConfig::new(SECRET)
        };
        let later = issuer_at(config, t0() + TimeDelta::seconds(15 * 60 + 1));
        assert_eq!(later.leeway_secs(), 0);
        assert_eq!(
            later.verify(&pair.access, TokenKind::Access),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn leeway_above_five_seconds_is_clamped() {
        let pair = issuer().issue(UserId(1), "s", t0()).unwrap();
        let config = JwtConfig {
            leeway_secs: 3600,
            ..JwtConfig::new(SECRET)
        };
        let later = issuer_at(config, t0() + TimeDelta::seconds(15 * 60 + 6));
        assert_eq!(later.leeway_secs(), MAX_LEEWAY_SECS);
        assert_eq!(
            later.verify(&pair.access, TokenKind::Access),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn refresh_expiry_is_checked_too() {
        let pair = issuer().issue(UserId(1), "s", t0()).unwrap();
        let later = issuer_at(
            JwtConfig::new(SECRET),
            pair.refresh_expires_at + TimeDelta::seconds(6),
        );
        assert_eq!(
            later.verify(&pair.refresh, TokenKind::Refresh),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn system_clock_by_default() {
        let issuer = JwtIssuer::new(JwtConfig::new(SECRET)).unwrap();
        let fresh = issuer.issue(UserId(3), "s", Utc::now()).unwrap();
        assert!(issuer.verify(&fresh.access, TokenKind::Access).is_ok());
        let stale = issuer
            .issue(UserId(3), "s", Utc::now() - TimeDelta::minutes(16))
            .unwrap();
        assert_eq!(
            issuer.verify(&stale.access, TokenKind::Access),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn wrong_secret_is_invalid() {
        let pair = issuer().issue(UserId(1), "s", t0()).unwrap();
        let other = issuer_at(
            JwtConfig::new(b"another secret that is long enough!!".to_vec()),
            t0(),
        );
        assert_eq!(
            other.verify(&pair.access, TokenKind::Access),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            other.verify(&pair.refresh, TokenKind::Refresh),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn wrong_issuer_is_invalid() {
        let config = JwtConfig {
            issuer: "someone-else".to_owned(),
            ..JwtConfig::new(SECRET)
        };
        let foreign = issuer_at(config, t0()).issue(UserId(1), "s", t0()).unwrap();
        assert_eq!(
            issuer().verify(&foreign.access, TokenKind::Access),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            issuer().verify(&foreign.refresh, TokenKind::Refresh),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn alg_none_is_rejected() {
        let issuer = issuer();
        let pair = issuer.issue(UserId(1), "s", t0()).unwrap();
        let p = parts(&pair.access);
        // {"alg":"none","typ":"JWT"}
        let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        for forged in [
            format!("{none_header}.{}.", p[1]),
            format!("{none_header}.{}.{}", p[1], p[2]),
        ] {
            assert_eq!(
                issuer.verify(&forged, TokenKind::Access),
                Err(TokenError::Invalid),
                "{forged}"
            );
        }
    }

    #[test]
    fn other_algorithms_are_rejected_even_with_the_right_key() {
        let issuer = issuer();
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let token = sign_raw(alg, &claims_at(t0(), TokenType::Access), SECRET);
            assert_eq!(
                issuer.verify(&token, TokenKind::Access),
                Err(TokenError::Invalid),
                "{alg:?}"
            );
        }
        // The same claims under HS256 are fine, so only the algorithm is at fault.
        let token = sign_raw(
            Algorithm::HS256,
            &claims_at(t0(), TokenType::Access),
            SECRET,
        );
        assert!(issuer.verify(&token, TokenKind::Access).is_ok());
    }

    #[test]
    fn tampered_tokens_are_rejected() {
        let issuer = issuer();
        let mine = issuer.issue(UserId(1), "s", t0()).unwrap();
        let admin = issuer.issue(UserId(2), "t", t0()).unwrap();
        let m = parts(&mine.access);
        let a = parts(&admin.access);
        // Another user's (validly signed) payload under my signature.
        let spliced = format!("{}.{}.{}", m[0], a[1], m[2]);
        assert_eq!(
            issuer.verify(&spliced, TokenKind::Access),
            Err(TokenError::Invalid)
        );
        // One payload character changed.
        let mut payload = m[1].to_owned().into_bytes();
        payload[10] = if payload[10] == b'A' { b'B' } else { b'A' };
        let flipped = format!("{}.{}.{}", m[0], String::from_utf8(payload).unwrap(), m[2]);
        assert_eq!(
            issuer.verify(&flipped, TokenKind::Access),
            Err(TokenError::Invalid)
        );
        // Signature stripped or truncated.
        assert_eq!(
            issuer.verify(&format!("{}.{}.", m[0], m[1]), TokenKind::Access),
            Err(TokenError::Invalid)
        );
        let short_sig = &m[2][..m[2].len() - 2];
        assert_eq!(
            issuer.verify(&format!("{}.{}.{short_sig}", m[0], m[1]), TokenKind::Access),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn garbage_is_invalid() {
        let issuer = issuer();
        for token in [
            "",
            ".",
            "..",
            "a.b.c",
            "not a token",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.x",
        ] {
            assert_eq!(
                issuer.verify(token, TokenKind::Access),
                Err(TokenError::Invalid),
                "{token:?}"
            );
        }
    }

    #[test]
    fn missing_or_malformed_claims_are_invalid() {
        #[derive(Serialize)]
        struct Partial<'a> {
            iss: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            sub: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            exp: Option<i64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            iat: Option<i64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            jti: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            sid: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            typ: Option<&'a str>,
        }
        let exp = t0().timestamp() + 60;
        let iat = t0().timestamp();
        let full = Partial {
            iss: "gatherhub",
            sub: Some("7"),
            exp: Some(exp),
            iat: Some(iat),
            jti: Some("j"),
            sid: Some("s"),
            typ: Some("access"),
        };
        let issuer = issuer();
        // The complete set is accepted, so each rejection below is for its reason.
        assert!(
            issuer
                .verify(
                    &sign_raw(Algorithm::HS256, &full, SECRET),
                    TokenKind::Access
                )
                .is_ok()
        );
        let broken = [
            Partial { sub: None, ..full },
            Partial { exp: None, ..full },
            Partial { iat: None, ..full },
            Partial { jti: None, ..full },
            Partial { sid: None, ..full },
            Partial { typ: None, ..full },
            Partial {
                typ: Some("id"),
                ..full
            },
            Partial {
                typ: Some("Access"),
                ..full
            },
            Partial {
                sub: Some("seven"),
                ..full
            },
            Partial {
                sub: Some("0"),
                ..full
            },
            Partial {
                sub: Some("-3"),
                ..full
            },
            Partial {
                sid: Some(""),
                ..full
            },
            Partial {
                jti: Some(""),
                ..full
            },
        ];
        for (i, claims) in broken.iter().enumerate() {
            let token = sign_raw(Algorithm::HS256, claims, SECRET);
            assert_eq!(
                issuer.verify(&token, TokenKind::Access),
                Err(TokenError::Invalid),
                "case {i}"
            );
        }
    }

    #[test]
    fn a_token_with_an_audience_is_rejected() {
        #[derive(Serialize)]
        struct WithAud {
            #[serde(flatten)]
            claims: Claims,
            aud: &'static str,
        }
        let token = sign_raw(
            Algorithm::HS256,
            &WithAud {
                claims: claims_at(t0(), TokenType::Access),
                aud: "elsewhere",
            },
            SECRET,
        );
        assert_eq!(
            issuer().verify(&token, TokenKind::Access),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn config_is_checked() {
        assert_eq!(
            JwtIssuer::new(JwtConfig::new(b"short".to_vec())).err(),
            Some(JwtConfigError::SecretTooShort(5))
        );
        assert_eq!(
            JwtIssuer::new(JwtConfig::new(Vec::new())).err(),
            Some(JwtConfigError::SecretTooShort(0))
        );
        assert!(JwtIssuer::new(JwtConfig::new(vec![7u8; MIN_SECRET_LEN])).is_ok());
        let empty_iss = JwtConfig {
            issuer: String::new(),
            ..JwtConfig::new(SECRET)
        };
        assert_eq!(
            JwtIssuer::new(empty_iss).err(),
            Some(JwtConfigError::EmptyIssuer)
        );
        let zero_access = JwtConfig {
            access_ttl: TimeDelta::zero(),
            ..JwtConfig::new(SECRET)
        };
        assert_eq!(
            JwtIssuer::new(zero_access).err(),
            Some(JwtConfigError::TtlTooShort("access"))
        );
        let negative_refresh = JwtConfig {
            refresh_ttl: TimeDelta::seconds(-1),
            ..JwtConfig::new(SECRET)
        };
        assert_eq!(
            JwtIssuer::new(negative_refresh).err(),
            Some(JwtConfigError::TtlTooShort("refresh"))
        );
    }

    #[test]
    fn empty_session_is_not_issued() {
        assert_eq!(
            issuer().issue(UserId(1), "", t0()),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn custom_ttls_are_used() {
        let config = JwtConfig {
            access_ttl: TimeDelta::seconds(30),
            refresh_ttl: TimeDelta::hours(1),
            ..JwtConfig::new(SECRET)
        };
        let issuer = issuer_at(config, t0());
        let pair = issuer.issue(UserId(5), "s", t0()).unwrap();
        assert_eq!(
            issuer
                .verify(&pair.access, TokenKind::Access)
                .unwrap()
                .expires_at
                .timestamp(),
            t0().timestamp() + 30
        );
        assert_eq!(pair.refresh_expires_at.timestamp(), t0().timestamp() + 3600);
    }

    #[test]
    fn secret_never_appears_in_debug() {
        let secret = "super-secret-value-that-must-not-leak-0123";
        let config = JwtConfig::new(secret);
        let shown_config = format!("{config:?} {config:#?}");
        let issuer = JwtIssuer::new(config).unwrap();
        let shown_issuer = format!("{issuer:?} {issuer:#?}");
        for shown in [shown_config, shown_issuer] {
            assert!(!shown.contains(secret), "{shown}");
            assert!(
                !shown.contains("115, 117, 112"),
                "secret bytes leaked: {shown}"
            );
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }
}
