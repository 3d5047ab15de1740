//! The two sides of the negotiation (RFC 7692 §5, §7): the server's policy answering offers,
//! the client's offer and its check of the response.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::{
    CLIENT_MAX_WINDOW_BITS, CLIENT_NO_CONTEXT_TAKEOVER, ClientMaxWindowBits, DeflateOffer,
    DeflateParams, PERMESSAGE_DEFLATE, SERVER_MAX_WINDOW_BITS, SERVER_NO_CONTEXT_TAKEOVER,
    bits_str, param,
};
use crate::extensions::{ClientNegotiator, NegotiationError, Param, ServerNegotiator};

/// The server side of permessage-deflate, for
/// [`ServerConfig::extension`](crate::handshake::ServerConfig::extension), and its policy.
/// `Default`: accept any valid offer, keep context takeover unless asked otherwise, windows
/// of 15 bits unless the client limits ours.
///
/// ```
/// use wswire::extensions::deflate::DeflateServer;
/// use wswire::extensions::{format_header, parse_header};
/// use wswire::handshake::ServerConfig;
///
/// let mut deflate = DeflateServer::default();
/// deflate.server_no_context_takeover = true;
/// let mut config = ServerConfig::default();
/// config.extension(Box::new(deflate));
/// // The first offer has an unknown parameter: declined; the second is accepted.
/// let offers = parse_header(b"permessage-deflate; x, permessage-deflate; client_max_window_bits")?;
/// let accepted = config.negotiate_extensions(&offers);
/// assert_eq!(format_header(&accepted), "permessage-deflate; server_no_context_takeover");
/// # Ok::<(), wswire::extensions::ExtensionHeaderError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateServer {
    /// Always reset our compressor after each message (answer `server_no_context_takeover`
    /// even when not asked): less memory use between messages, worse ratio. Default `false`.
    pub server_no_context_takeover: bool,
    /// Ask every client to reset its compressor after each message
    /// (`client_no_context_takeover` in every response). Default `false`.
    pub client_no_context_takeover: bool,
    /// The largest window we compress with (9–15; 8 is raised to 9, see the
    /// [module docs](super)). Announced as `server_max_window_bits` when below 15. Default 15.
    pub server_max_window_bits: u8,
    /// Decline offers that would limit our window below this; a later offer may still be
    /// accepted, as with Node's ws. Default 8:
    /// accept any limit (a limit of 8 means we send uncompressed).
    pub server_min_window_bits: u8,
    /// Limit the client's window to this (8–15). Below 15 it is *required*: offers without
    /// `client_max_window_bits` are declined (RFC 7692 §7.1.2.2). Default 15.
    pub client_max_window_bits: u8,
}

impl Default for DeflateServer {
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            server_min_window_bits: 8,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateServer {
    /// The response to one offer, or `None` to decline it.
    pub fn accept(&self, offer: &DeflateOffer) -> Option<Vec<Param>> {
        let opts = self;
        let own_max = opts.server_max_window_bits.clamp(9, 15);
        let server_bits = offer
            .server_max_window_bits
            .map_or(own_max, |v| v.min(own_max));
        if server_bits < opts.server_min_window_bits {
            return None;
        }
        let client_limit = opts.client_max_window_bits.clamp(8, 15);
        let client_bits = match offer.client_max_window_bits {
            ClientMaxWindowBits::Absent if client_limit < 15 => return None,
            ClientMaxWindowBits::Absent => None,
            ClientMaxWindowBits::Supported => (client_limit < 15).then_some(client_limit),
            ClientMaxWindowBits::Limit(v) => Some(v.min(client_limit)),
        };
        let mut v = Vec::new();
        if offer.server_no_context_takeover || opts.server_no_context_takeover {
            v.push(param(SERVER_NO_CONTEXT_TAKEOVER, None));
        }
        if offer.client_no_context_takeover || opts.client_no_context_takeover {
            v.push(param(CLIENT_NO_CONTEXT_TAKEOVER, None));
        }
        if offer.server_max_window_bits.is_some() || server_bits < 15 {
            v.push(param(SERVER_MAX_WINDOW_BITS, Some(bits_str(server_bits))));
        }
        if let Some(b) = client_bits {
            v.push(param(CLIENT_MAX_WINDOW_BITS, Some(bits_str(b))));
        }
        Some(v)
    }
}

impl ServerNegotiator for DeflateServer {
    fn name(&self) -> &str {
        PERMESSAGE_DEFLATE
    }

    fn negotiate(&self, offer: &[Param]) -> Option<Vec<Param>> {
        self.accept(&DeflateOffer::parse(offer)?)
    }
}

/// The client side of permessage-deflate, for
/// [`ClientRequest::extension`](crate::handshake::ClientRequest::extension). It sends one
/// offer and checks the server's response (RFC 7692 §5, §7).
///
/// `Default` offers `permessage-deflate; client_max_window_bits`, like browsers. An offer of
/// `client_max_window_bits=N` limits our own window: if the server's response does not repeat
/// it, the connection still compresses with at most 2^N only if
/// [`DeflateConfig::max_window_bits`](super::DeflateConfig::max_window_bits) is set to N as well.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeflateClient {
    offer: DeflateOffer,
}

impl DeflateClient {
    /// A negotiator sending `offer` (a `client_max_window_bits=8` is offered as 9).
    pub fn new(mut offer: DeflateOffer) -> Self {
        if let ClientMaxWindowBits::Limit(b) = offer.client_max_window_bits {
            offer.client_max_window_bits = ClientMaxWindowBits::Limit(b.clamp(9, 15));
        }
        if let Some(b) = offer.server_max_window_bits {
            offer.server_max_window_bits = Some(b.clamp(8, 15));
        }
        Self { offer }
    }

    /// The offer sent.
    pub fn offer(&self) -> &DeflateOffer {
        &self.offer
    }

    /// Checks a response against the offer and returns the agreed parameters.
    ///
    /// # Errors
    /// A [`NegotiationError`] when the response is not a valid answer to the offer.
    pub fn check(&self, params: &[Param]) -> Result<DeflateParams, NegotiationError> {
        let r = DeflateParams::parse_response(params)?;
        let has = |name: &str| params.iter().any(|p| p.name() == name);
        let o = &self.offer;
        if o.server_no_context_takeover && !r.server_no_context_takeover {
            return Err(NegotiationError::new(
                "permessage-deflate: server_no_context_takeover was requested but not accepted",
            ));
        }
        if let Some(max) = o.server_max_window_bits
            && (!has(SERVER_MAX_WINDOW_BITS) || r.server_max_window_bits > max)
        {
            return Err(NegotiationError::new(
                "permessage-deflate: server_max_window_bits missing or above the offer",
            ));
        }
        if has(CLIENT_MAX_WINDOW_BITS) {
            match o.client_max_window_bits {
                ClientMaxWindowBits::Absent => {
                    return Err(NegotiationError::new(
                        "permessage-deflate: client_max_window_bits was not offered",
                    ));
                }
                ClientMaxWindowBits::Limit(max) if r.client_max_window_bits > max => {
                    return Err(NegotiationError::new(
                        "permessage-deflate: client_max_window_bits above the offer",
                    ));
                }
                _ => {}
            }
        }
        Ok(r)
    }
}

impl ClientNegotiator for DeflateClient {
    fn name(&self) -> &str {
        PERMESSAGE_DEFLATE
    }

    fn offers(&self) -> Vec<Vec<Param>> {
        alloc::vec![self.offer.to_params()]
    }

    fn check_response(&self, params: &[Param]) -> Result<(), NegotiationError> {
        self.check(params).map(|_| ())
    }
}

/// Boxed negotiators, for `ServerConfig::extension` / `ClientRequest::extension`.
impl From<DeflateServer> for Box<dyn ServerNegotiator> {
    fn from(n: DeflateServer) -> Self {
        Box::new(n)
    }
}

impl From<DeflateClient> for Box<dyn ClientNegotiator> {
    fn from(n: DeflateClient) -> Self {
        Box::new(n)
    }
}
