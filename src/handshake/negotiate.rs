//! What the two ends agree on: the subprotocol (RFC 6455 §1.9, §4.2.2) and the extensions
//! (RFC 6455 §9.1).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

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
