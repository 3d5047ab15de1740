//! The end of the opening handshake: the handshake run on the first bytes, then what it
//! agreed set up (RFC 7692's permessage-deflate in the receiver and the sender).

use alloc::string::String;

use super::machine::{Handshake, Phase, Transition};
use super::{Connection, Error};
use crate::extensions::NegotiationError;
use crate::extensions::deflate::DeflateParams;
use crate::frame::Decoded;
use crate::recv::Receiver;
use crate::send::MaskGen;

impl<M: MaskGen> Connection<M> {
    /// Runs the opening handshake on `bytes`; returns how many belonged to it once it
    /// completes (`None` while it needs more, or when it failed).
    pub(super) fn handle_handshake(&mut self, bytes: &[u8]) -> Option<usize> {
        let Phase::Connecting(hs) = &mut self.m.phase else {
            return Some(0);
        };
        let consumed = match &mut **hs {
            Handshake::Server(hs, server) => match hs.handle_input(bytes) {
                Ok(Decoded::Incomplete { .. }) => return None,
                Ok(Decoded::Complete((request, consumed))) => {
                    let accepted = request.accept(server);
                    self.m.path = Some(String::from(request.target()));
                    accepted.write_to(self.m.out.inline());
                    self.m.negotiated = accepted.into_negotiated();
                    consumed
                }
                Err(e) => {
                    e.rejection().write_to(self.m.out.inline());
                    self.m.step(Transition::Fail(Error::Request(e)));
                    return None;
                }
            },
            Handshake::Client(hs) => match hs.handle_input(bytes) {
                Ok(Decoded::Incomplete { .. }) => return None,
                Ok(Decoded::Complete((value, consumed))) => {
                    self.m.negotiated = value;
                    consumed
                }
                Err(e) => {
                    self.m.step(Transition::Fail(Error::Response(e)));
                    return None;
                }
            },
        };
        self.m.step(Transition::Opened);
        self.apply_extensions();
        Some(consumed)
    }

    /// Sets up what the handshake agreed: permessage-deflate (RFC 7692) turns on RSV1 and
    /// inflation in the receiver and compression in the sender. An agreement that cannot be
    /// run fails the connection with 1011, discarding any input already buffered.
    pub(super) fn apply_extensions(&mut self) {
        let params = match DeflateParams::from_extensions(self.m.negotiated.extensions()) {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(e) => return self.fail_extension(e),
        };
        let Some(inflater) = self.m.config.deflate.inflater(&params, self.m.role) else {
            return self.fail_extension(NegotiationError::new(
                "permessage-deflate agreed but no codec configured",
            ));
        };
        self.receiver.set_inflater(inflater);
        self.m.compressor = self.m.config.deflate.compressor(&params, self.m.role);
    }

    pub(super) fn fail_extension(&mut self, e: NegotiationError) {
        let c = &self.m.config;
        self.receiver = Receiver::with_delivery(self.m.role, c.recv, c.delivery);
        self.m.step(Transition::Fail(Error::Extension(e)));
    }
}
