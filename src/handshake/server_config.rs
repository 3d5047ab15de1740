//! The server's handshake policy, shared between connections.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::headers::is_extra_header;
use super::negotiate::checked_subprotocols;
use super::{BuildError, Limits, negotiate_extensions, select_subprotocol};
use crate::extensions::{Extension, ServerNegotiator};

/// The server's handshake policy: limits, subprotocol preferences, extension negotiators and
/// headers added to every 101. Build once and share between connections.
#[derive(Debug, Default)]
pub struct ServerConfig {
    limits: Limits,
    subprotocols: Vec<String>,
    extensions: Vec<Box<dyn ServerNegotiator>>,
    headers: Vec<(String, String)>,
}

impl ServerConfig {
    /// The header-block limits, to adjust them.
    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    /// The header-block limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The subprotocols this server speaks, most preferred first. [`Request::accept`](super::Request::accept) picks
    /// the first of them that the client offered, or none (RFC 6455 §4.2.2 /subprotocol/).
    /// The default is an empty list: no subprotocol is ever selected (unlike Node's ws, which
    /// picks the client's first offer by default).
    ///
    /// ```
    /// use wswire::handshake::{BuildError, ServerConfig};
    ///
    /// let mut config = ServerConfig::default();
    /// config.subprotocols(["v2.chat", "v1.chat"])?;
    /// // The server's order decides, not the client's.
    /// assert_eq!(config.select_subprotocol(&["v1.chat", "v2.chat"]), Some("v2.chat"));
    /// assert_eq!(config.select_subprotocol(&["mqtt"]), None); // accepted without one
    /// assert_eq!(config.subprotocols(["a", "a"]).unwrap_err(), BuildError::DuplicateSubprotocol);
    /// # Ok::<(), BuildError>(())
    /// ```
    ///
    /// # Errors
    /// [`BuildError::InvalidSubprotocol`] for a value that is not a token,
    /// [`BuildError::DuplicateSubprotocol`] for a repeat.
    pub fn subprotocols<I, S>(&mut self, prefs: I) -> Result<&mut Self, BuildError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.subprotocols = checked_subprotocols(prefs)?;
        Ok(self)
    }

    /// Adds an extension negotiator. Negotiators are consulted for each client offer with
    /// their name; offers of other extensions are declined.
    ///
    /// ```
    /// use wswire::extensions::deflate::DeflateServer;
    /// use wswire::extensions::{format_header, parse_header};
    /// use wswire::handshake::ServerConfig;
    ///
    /// let mut config = ServerConfig::default();
    /// config.extension(Box::new(DeflateServer::default()));
    /// // An offer without a negotiator is declined, not refused: the 101 leaves it out.
    /// let offers = parse_header(b"x-unknown, permessage-deflate")?;
    /// assert_eq!(format_header(&config.negotiate_extensions(&offers)), "permessage-deflate");
    /// # Ok::<(), wswire::extensions::ExtensionHeaderError>(())
    /// ```
    pub fn extension(&mut self, negotiator: Box<dyn ServerNegotiator>) -> &mut Self {
        self.extensions.push(negotiator);
        self
    }

    /// Adds a header to every 101 response (ws's `headers` hook), after the mandatory ones.
    ///
    /// # Errors
    /// [`BuildError::InvalidHeader`] for a name that is not a token, a value with control
    /// bytes, or a field the handshake writes itself.
    pub fn header(&mut self, name: &str, value: &str) -> Result<&mut Self, BuildError> {
        if !is_extra_header(name, value) {
            return Err(BuildError::InvalidHeader);
        }
        self.headers.push((name.to_string(), value.to_string()));
        Ok(self)
    }

    /// The subprotocol this config picks from the client's offers.
    pub fn select_subprotocol<'s>(&'s self, offered: &[&str]) -> Option<&'s str> {
        select_subprotocol(&self.subprotocols, offered)
    }

    /// The extensions this config accepts from the client's offers, with response parameters.
    pub fn negotiate_extensions(&self, offers: &[Extension]) -> Vec<Extension> {
        negotiate_extensions(&self.extensions, offers)
    }

    pub(crate) fn extra_headers(&self) -> &[(String, String)] {
        &self.headers
    }
}
