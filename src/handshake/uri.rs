//! `ws://` and `wss://` URIs (RFC 6455 §3).

use alloc::borrow::ToOwned;
use alloc::string::String;

use super::BuildError;

/// A `ws://` or `wss://` URI split into what the caller needs to connect and what the request
/// needs (RFC 6455 §3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WsUri {
    secure: bool,
    host: String,
    port: u16,
    resource: String,
}

impl WsUri {
    /// Parses `ws://host[:port][/path][?query]` or `wss://…`. The scheme is case-insensitive;
    /// an empty path becomes `/` (RFC 6455 §3); IPv6 hosts are bracketed (`ws://[::1]:9000/`).
    ///
    /// # Errors
    /// [`BuildError::InvalidUri`] for another scheme, a missing host, user information, a bad
    /// port, or a fragment (RFC 6455 §3: fragments MUST NOT be used).
    ///
    /// ```
    /// use wswire::handshake::{BuildError, WsUri};
    ///
    /// let uri = WsUri::parse("wss://example.com:8443/chat?room=1")?;
    /// // Where to connect (with TLS), then what the request names.
    /// assert_eq!((uri.host(), uri.port(), uri.is_secure()), ("example.com", 8443, true));
    /// assert_eq!(uri.resource(), "/chat?room=1");
    /// assert_eq!(uri.host_header(), "example.com:8443"); // not the default port: kept
    /// assert_eq!(WsUri::parse("ws://example.com/#top"), Err(BuildError::InvalidUri));
    /// # Ok::<(), BuildError>(())
    /// ```
    pub fn parse(uri: &str) -> Result<Self, BuildError> {
        let (scheme, rest) = uri.split_once("://").ok_or(BuildError::InvalidUri)?;
        let secure = if scheme.eq_ignore_ascii_case("ws") {
            false
        } else if scheme.eq_ignore_ascii_case("wss") {
            true
        } else {
            return Err(BuildError::InvalidUri);
        };
        if rest.contains('#') {
            return Err(BuildError::InvalidUri);
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, resource) = rest.split_at(end);
        if authority.contains('@') {
            return Err(BuildError::InvalidUri);
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (inner, after) = v6.split_once(']').ok_or(BuildError::InvalidUri)?;
            if inner.is_empty()
                || !inner
                    .bytes()
                    .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
            {
                return Err(BuildError::InvalidUri);
            }
            (
                authority
                    .get(..inner.len() + 2)
                    .ok_or(BuildError::InvalidUri)?,
                after,
            )
        } else {
            match authority.find(':') {
                Some(i) => authority.split_at(i),
                None => (authority, ""),
            }
        };
        if host.is_empty() || (!host.starts_with('[') && !is_reg_name(host)) {
            return Err(BuildError::InvalidUri);
        }
        let default_port = if secure { 443 } else { 80 };
        let port = match port.strip_prefix(':') {
            None if port.is_empty() => default_port,
            None => return Err(BuildError::InvalidUri),
            Some("") => default_port,
            Some(p) if p.bytes().all(|c| c.is_ascii_digit()) => {
                p.parse().map_err(|_| BuildError::InvalidUri)?
            }
            Some(_) => return Err(BuildError::InvalidUri),
        };
        let resource = if resource.starts_with('?') {
            alloc::format!("/{resource}")
        } else if resource.is_empty() {
            "/".to_owned()
        } else {
            resource.to_owned()
        };
        if !resource.bytes().all(|c| c.is_ascii_graphic()) {
            return Err(BuildError::InvalidUri);
        }
        Ok(Self {
            secure,
            host: host.to_owned(),
            port,
            resource,
        })
    }

    /// Whether the scheme is `wss` (TLS).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host to connect to (IPv6 addresses keep their brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to (80 or 443 when the URI has none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The resource name: path and query (RFC 6455 §3).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The `Host` header: the host, plus `:port` only when it is not the scheme's default
    /// (RFC 6455 §4.1 item 4).
    pub fn host_header(&self) -> String {
        if self.port == if self.secure { 443 } else { 80 } {
            self.host.clone()
        } else {
            alloc::format!("{}:{}", self.host, self.port)
        }
    }
}

/// `reg-name` / IPv4 characters (RFC 3986 §3.2.2), minus percent-encoding's special meaning.
fn is_reg_name(host: &str) -> bool {
    host.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_give_resource_host_header_and_refuse_fragments() {
        let u = WsUri::parse("ws://example.com").unwrap();
        assert_eq!(
            (u.resource(), u.host_header(), u.port()),
            ("/", "example.com".into(), 80)
        );
        let u = WsUri::parse("ws://example.com:80/chat?x=1").unwrap();
        assert_eq!(
            (u.resource(), u.host_header()),
            ("/chat?x=1", "example.com".into())
        );
        let u = WsUri::parse("WSS://example.com:8443/").unwrap();
        assert!(u.is_secure());
        assert_eq!(u.host_header(), "example.com:8443");
        let u = WsUri::parse("ws://[::1]:9000/").unwrap();
        assert_eq!((u.host(), u.host_header()), ("[::1]", "[::1]:9000".into()));
        let u = WsUri::parse("wss://example.com?q").unwrap();
        assert_eq!((u.resource(), u.port()), ("/?q", 443));
        for bad in [
            "ws://example.com/#frag",
            "http://example.com/",
            "ws://",
            "ws://u@example.com/",
            "ws://example.com:x/",
            "ws://example.com:99999/",
            "ws://[zz]/",
            "ws://exa mple.com/",
            "example.com",
        ] {
            assert_eq!(WsUri::parse(bad), Err(BuildError::InvalidUri), "{bad}");
        }
    }
}
