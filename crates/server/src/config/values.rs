//! The typed values of settings that are more than a string or a number:
//! the environment profile, log format, rate limits, origin and host lists,
//! trusted proxy networks. Each parses with one clear error naming its
//! variable.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;

use super::ConfigError;

/// Which profile of `config/` applies (`GATHERHUB_ENV`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Environment {
    #[default]
    Development,
    Production,
    Render,
}

impl Environment {
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "development" | "dev" => Ok(Self::Development),
            "production" | "prod" => Ok(Self::Production),
            "render" => Ok(Self::Render),
            other => Err(ConfigError(format!(
                "GATHERHUB_ENV must be development, production or render, got {other:?}"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Production => "production",
            Self::Render => "render",
        }
    }

    /// Production-like profiles refuse to start without a strong secret key.
    pub fn is_production(self) -> bool {
        !matches!(self, Self::Development)
    }
}

/// How log lines are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (development).
    #[default]
    Text,
    /// One JSON object per line (production; log shippers parse it).
    Json,
}

impl LogFormat {
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "text" | "pretty" | "human" | "" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(ConfigError(format!(
                "LOG_FORMAT must be text or json, got {other:?}"
            ))),
        }
    }
}

/// A quota: `requests` per `period`, e.g. `5/minute`, `100/min`, `3/2s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub period: Duration,
}

impl RateLimit {
    pub const fn per_minute(requests: u32) -> Self {
        Self {
            requests,
            period: Duration::from_secs(60),
        }
    }

    pub fn parse(name: &str, value: &str) -> Result<Self, ConfigError> {
        let error = || {
            ConfigError(format!(
                "{name} must look like 5/minute, 100/hour or 3/10s, got {value:?}"
            ))
        };
        let (count, period) = value.trim().split_once('/').ok_or_else(error)?;
        let requests: u32 = count.trim().parse().map_err(|_| error())?;
        let period = period.trim().to_ascii_lowercase();
        let period = match period.as_str() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "d" | "day" => Duration::from_secs(86_400),
            other => {
                let seconds = other.strip_suffix('s').ok_or_else(error)?;
                Duration::from_secs(seconds.parse().map_err(|_| error())?)
            }
        };
        if requests == 0 || period.is_zero() {
            return Err(error());
        }
        Ok(Self { requests, period })
    }

    /// The time one request's worth of quota takes to come back.
    pub fn replenish_interval(&self) -> Duration {
        self.period / self.requests
    }
}

/// The three quotas of the contract (§8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Register, login and refresh, per client IP (`RATE_LIMIT_AUTH`).
    pub auth: RateLimit,
    /// Every other API request, per user or per client IP when anonymous
    /// (`RATE_LIMIT_API`).
    pub api: RateLimit,
    /// Avatar uploads, per user (`RATE_LIMIT_UPLOAD`).
    pub upload: RateLimit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            auth: RateLimit::per_minute(5),
            api: RateLimit::per_minute(100),
            upload: RateLimit::per_minute(10),
        }
    }
}

/// A comma-separated list; blanks are dropped.
pub fn parse_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Exact origins (`scheme://host[:port]`, no path): `*` is refused, because
/// origins are matched exactly.
pub fn parse_origins(name: &str, value: &str) -> Result<Vec<String>, ConfigError> {
    parse_list(value)
        .into_iter()
        .map(|origin| {
            let parsed = url::Url::parse(&origin).ok().filter(|url| {
                matches!(url.scheme(), "http" | "https")
                    && url.host_str().is_some()
                    && url.path() == "/"
                    && url.query().is_none()
                    && url.username().is_empty()
            });
            match parsed {
                // `Url` adds a final slash; an origin has none.
                Some(url) if !origin.ends_with('/') => {
                    Ok(url.as_str().trim_end_matches('/').to_owned())
                }
                _ => Err(ConfigError(format!(
                    "{name}: {origin:?} is not an origin: use exact origins like https://app.example.com (no wildcard, no path)"
                ))),
            }
        })
        .collect()
}

/// Host names as in Django's `ALLOWED_HOSTS`: `example.com`, `.example.com`
/// (the domain and its subdomains), or `*` (any host). Stored lower-case.
pub fn parse_hosts(value: &str) -> Result<Vec<String>, ConfigError> {
    parse_list(value)
        .into_iter()
        .map(|host| {
            let valid = host == "*"
                || host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if valid {
                Ok(host.to_ascii_lowercase())
            } else {
                Err(ConfigError(format!(
                    "ALLOWED_HOSTS: {host:?} is not a host name"
                )))
            }
        })
        .collect()
}

/// IP addresses or networks (`10.0.0.0/8`) of reverse proxies whose
/// `X-Forwarded-For` is believed.
pub fn parse_proxies(value: &str) -> Result<Vec<IpNet>, ConfigError> {
    parse_list(value)
        .into_iter()
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    ConfigError(format!(
                        "TRUSTED_PROXIES: {item:?} is not an IP address or network (e.g. 10.0.0.0/8)"
                    ))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_parse() {
        let limit = RateLimit::parse("X", "5/minute").unwrap();
        assert_eq!(limit, RateLimit::per_minute(5));
        assert_eq!(limit.replenish_interval(), Duration::from_secs(12));
        assert_eq!(
            RateLimit::parse("X", "3/2s").unwrap().period,
            Duration::from_secs(2)
        );
        assert_eq!(
            RateLimit::parse("X", "100/hour").unwrap().period,
            Duration::from_secs(3600)
        );
        for bad in ["5", "0/minute", "5/fortnight", "x/min", "5/0s"] {
            assert!(RateLimit::parse("X", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_are_exact() {
        assert_eq!(
            parse_origins("O", "https://app.example.com, http://localhost:3000").unwrap(),
            vec!["https://app.example.com", "http://localhost:3000"]
        );
        for bad in [
            "*",
            "app.example.com",
            "https://x.com/path",
            "https://x.com/",
        ] {
            assert!(parse_origins("O", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hosts_and_proxies_parse() {
        assert_eq!(
            parse_hosts("Example.com, .example.org,*").unwrap(),
            vec!["example.com", ".example.org", "*"]
        );
        assert!(parse_hosts("exa mple.com").is_err());
        let proxies = parse_proxies("10.0.0.0/8, 127.0.0.1, ::1").unwrap();
        assert_eq!(proxies.len(), 3);
        assert!(proxies[0].contains(&"10.1.2.3".parse::<IpAddr>().unwrap()));
        assert!(parse_proxies("ten").is_err());
    }
}
