//! What the two ends agree on: the subprotocol (RFC 6455 §1.9, §4.2.2) and the extensions
//! (RFC 6455 §9.1).

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::fields::Offer;
use super::headers::{is_extra_header, is_token};
use super::{BuildError, ServerConfig};
use crate::extensions::{Extension, ServerNegotiator};

/// What both ends agreed on; everything the connection needs from the handshake besides the
/// leftover bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Negotiated {
    pub(crate) subprotocol: Option<String>,
    pub(crate) extensions: Vec<Extension>,
}

impl Negotiated {
    /// The subprotocol in use, if any (RFC 6455 §1.9).
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// The extensions in use with their response parameters, in the order the server listed
    /// them (the order in which they apply, RFC 6455 §9.1).
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }

    /// Both parts, owned.
    pub fn into_parts(self) -> (Option<String>, Vec<Extension>) {
        (self.subprotocol, self.extensions)
    }
}

/// Runs the server's extension negotiators over the client's offers (RFC 6455 §9.1): offers in
/// the client's order, each negotiator accepting at most one offer, unknown names declined.
pub(crate) fn negotiate_extensions(
    negotiators: &[Box<dyn ServerNegotiator>],
    offers: &[Extension],
) -> Vec<Extension> {
    let mut accepted: Vec<Extension> = Vec::new();
    if negotiators.is_empty() {
        return accepted;
    }
    let mut done: Vec<bool> = alloc::vec![false; negotiators.len()];
    for offer in offers {
        for (neg, done) in negotiators.iter().zip(done.iter_mut()) {
            if *done || neg.name() != offer.name() {
                continue;
            }
            if let Some(params) = neg.negotiate(offer.params()) {
                if let Ok(ext) = Extension::with_params(offer.name(), params) {
                    accepted.push(ext);
                }
                *done = true;
            }
        }
    }
    accepted
}

/// The subprotocol a server with preference list `prefs` picks: its first preference that the
/// client offered, or none (RFC 6455 §4.2.2 /subprotocol/).
pub(crate) fn select_subprotocol<'p>(prefs: &'p [String], offered: &[&str]) -> Option<&'p str> {
    prefs
        .iter()
        .map(String::as_str)
        .find(|p| offered.contains(p))
}

/// What a server accepted, whatever the transport: the negotiated values and the extra headers
/// to send (the config's, then the call's).
#[derive(Debug)]
pub(crate) struct Agreement {
    pub(crate) negotiated: Negotiated,
    pub(crate) headers: Vec<(String, String)>,
}

impl Offer<'_> {
    /// Accepts with the config's choices: its first preferred subprotocol the client offered
    /// (or none), the extensions its negotiators accept, its extra headers.
    pub(crate) fn accept(&self, config: &ServerConfig) -> Agreement {
        let subprotocol = config.select_subprotocol(&self.subprotocols);
        self.agree(config, subprotocol, &[])
    }

    /// Accepts with a subprotocol the application chose and extra headers for this response.
    ///
    /// # Errors
    /// [`BuildError::SubprotocolNotOffered`] for a subprotocol the client did not offer (RFC
    /// 6455 §4.2.2 /subprotocol/), [`BuildError::InvalidHeader`] for an unacceptable header.
    pub(crate) fn accept_with(
        &self,
        config: &ServerConfig,
        subprotocol: Option<&str>,
        extra_headers: &[(&str, &str)],
    ) -> Result<Agreement, BuildError> {
        if subprotocol.is_some_and(|p| !self.subprotocols.contains(&p)) {
            return Err(BuildError::SubprotocolNotOffered);
        }
        if extra_headers.iter().any(|(n, v)| !is_extra_header(n, v)) {
            return Err(BuildError::InvalidHeader);
        }
        Ok(self.agree(config, subprotocol, extra_headers))
    }

    fn agree(
        &self,
        config: &ServerConfig,
        subprotocol: Option<&str>,
        extra_headers: &[(&str, &str)],
    ) -> Agreement {
        let mut headers = Vec::with_capacity(config.extra_headers().len() + extra_headers.len());
        headers.extend_from_slice(config.extra_headers());
        headers.extend(
            extra_headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string())),
        );
        Agreement {
            negotiated: Negotiated {
                subprotocol: subprotocol.map(ToString::to_string),
                extensions: config.negotiate_extensions(&self.extensions),
            },
            headers,
        }
    }
}

/// A subprotocol list as given to a builder: tokens, each once (RFC 6455 §4.1 item 10).
pub(crate) fn checked_subprotocols<I, S>(list: I) -> Result<Vec<String>, BuildError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<String> = Vec::new();
    for p in list {
        let p = p.as_ref();
        if !is_token(p) {
            return Err(BuildError::InvalidSubprotocol);
        }
        if out.iter().any(|q| q == p) {
            return Err(BuildError::DuplicateSubprotocol);
        }
        out.push(p.to_string());
    }
    Ok(out)
}
