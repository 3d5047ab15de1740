//! Fuzz harnesses. Each `fuzz/fuzz_targets/*.rs` is one line that calls a function here, and
//! the unit tests in `corpus_tests.rs` replay the committed seeds under `fuzz/corpus/<target>/`
//! through [`by_name`], so the oracles also run under a plain `cargo test`.
//!
//! The module exists only under `cfg(fuzzing)` (set by cargo-fuzz) and in the crate's own
//! test build: it is not part of the published API.
//!
//! Every harness panics (the fuzzer's "crash") only when an oracle is violated.

mod codecs;
mod connection;
#[cfg(test)]
mod corpus_tests;
mod deflate;
mod differential;
mod echo;
mod handshake;
#[cfg(feature = "http")]
mod handshake_http;
mod recv;

pub use codecs::{apply_mask_portable, copy_masked_portable, frame_header, utf8};
pub use connection::connection;
pub use deflate::{deflate_roundtrip, inflate};
pub use differential::{End, LIMIT, Msg, Outcome, differential, outcome as wswire_outcome};
pub use echo::echo;
pub use handshake::{extensions_header, handshake_request, handshake_response};
pub use recv::{receiver_client, receiver_server, roundtrip};

/// The harness for a fuzz target, by the target's name.
pub fn by_name(target: &str) -> Option<fn(&[u8])> {
    Some(match target {
        "frame_header" => frame_header,
        "utf8" => utf8,
        "handshake_request" => handshake_request,
        "handshake_response" => handshake_response,
        "extensions_header" => extensions_header,
        "receiver_server" => receiver_server,
        "receiver_client" => receiver_client,
        "roundtrip" => roundtrip,
        "inflate" => inflate,
        "deflate_roundtrip" => deflate_roundtrip,
        "connection" => connection,
        "echo" => echo,
        // Without the fuzz crate's tungstenite: wswire byte by byte as the other side.
        "differential" => |d| differential(d, differential::outcome_bytewise),
        _ => return None,
    })
}
