//! Harness for permessage-deflate inflation (needs the `deflate` feature; without it the
//! harness does nothing, so the committed seeds still replay under any feature set).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

/// Oracle: arbitrary compressed payloads and parameters, framed as server messages and fed to
/// a client `Receiver` with permessage-deflate on: no panic; every failure is 1002, 1007 or
/// 1009; no message (or piece) exceeds `max_message_size` and nothing follows a failure; the
/// same messages whole and chunked (as messages or as streamed pieces); a `MessageInflater`
/// driven directly with a tiny output buffer never writes past the limit.
///
/// Input: byte 0 options (limit, peer no-context-takeover, UTF-8 validation, window bits, and
/// whether the chunked decoding delivers messages or pieces), byte 1 read size, byte 2
/// compressor settings (used by [`deflate_roundtrip`]), then records `[flags, len, payload…]`;
/// records with flag 0x80 are [`deflate_roundtrip`]'s and skipped here, so that one corpus
/// seeds both.
pub fn inflate(data: &[u8]) {
    #[cfg(feature = "deflate")]
    imp::inflate(data);
    #[cfg(not(feature = "deflate"))]
    let _ = data;
}

/// Oracle: messages compressed by our own `Compressor` (any level, window and context mode;
/// whole, or as a message of two frames) and decoded by a client `Receiver` whole and chunked
/// (as messages or as streamed pieces) come back as sent, unless the limit is hit (1009).
///
/// Input: as [`inflate`]'s; only the records with flag 0x80 are used (text when bit 0 is set,
/// repeated 1–8 times by bits 4–6, in two frames when bit 1 is set).
///
/// Apart from [`inflate`] because zlib's compressor (its ~380 KB state, zeroed, and its hash
/// updates) cost three quarters of each execution when the two were one target.
pub fn deflate_roundtrip(data: &[u8]) {
    #[cfg(feature = "deflate")]
    imp::roundtrip(data);
    #[cfg(not(feature = "deflate"))]
    let _ = data;
}

#[cfg(feature = "deflate")]
mod imp {
    use alloc::string::String;
    use alloc::vec::Vec;

    use crate::Role;
    use crate::error::ProtocolError;
    use crate::extensions::deflate::{DeflateConfig, DeflateParams};
    use crate::recv::{Delivery, Event, Receiver, RecvConfig};
    use crate::send::{Compression, DataKind, SendConfig, Sender};

    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Ev {
        Text(String, bool),
        Binary(Vec<u8>, bool),
        Ping,
        Fail(u16),
    }

    fn run(
        params: DeflateParams,
        config: RecvConfig,
        delivery: Delivery,
        chunks: &mut dyn Iterator<Item = &[u8]>,
    ) -> Vec<Ev> {
        let mut rx = Receiver::with_delivery(Role::Client, config, delivery);
        rx.set_inflater(
            DeflateConfig::default()
                .inflater(&params, Role::Client)
                .unwrap(),
        );
        let max = config.max_message_size;
        let mut out = Vec::new();
        for chunk in chunks {
            rx.handle_input(chunk);
            while let Some(r) = rx.poll_event() {
                assert!(
                    !matches!(out.last(), Some(Ev::Fail(_))),
                    "event after failure"
                );
                out.push(match r {
                    Ok(Event::Text { data, fin }) => {
                        assert!(data.len() as u64 <= max);
                        Ev::Text(data.into(), fin)
                    }
                    Ok(Event::Binary { data, fin } | Event::UncheckedText { data, fin }) => {
                        assert!(data.len() as u64 <= max);
                        Ev::Binary(data.into(), fin)
                    }
                    Ok(Event::Ping(_)) => Ev::Ping,
                    Ok(other) => panic!("unexpected {other:?}"),
                    Err(e) => {
                        let code = e.close_code().as_u16();
                        assert!(matches!(code, 1002 | 1007 | 1009), "{e}: {code}");
                        Ev::Fail(code)
                    }
                });
            }
        }
        out
    }

    fn merge(events: &[Ev]) -> Vec<Ev> {
        let mut out = Vec::new();
        let mut text = String::new();
        let mut bytes = Vec::new();
        for e in events {
            match e {
                Ev::Text(s, fin) => {
                    text.push_str(s);
                    if *fin {
                        out.push(Ev::Text(core::mem::take(&mut text), true));
                    }
                }
                Ev::Binary(b, fin) => {
                    bytes.extend_from_slice(b);
                    if *fin {
                        out.push(Ev::Binary(core::mem::take(&mut bytes), true));
                    }
                }
                other => out.push(other.clone()),
            }
        }
        out
    }

    /// Appends one unmasked server frame.
    fn frame(out: &mut Vec<u8>, b0: u8, payload: &[u8]) {
        out.push(b0);
        match payload.len() {
            n @ 0..=125 => out.push(u8::try_from(n).unwrap()),
            n => {
                out.push(126);
                out.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
    }

    /// What the first three input bytes pick (see [`super::inflate`]).
    struct Setup {
        params: DeflateParams,
        config: RecvConfig,
        step: usize,
        /// The chunked decoding delivers pieces (else whole messages).
        pieces: bool,
        dc: DeflateConfig,
        ours: DeflateParams,
    }

    fn setup(data: &[u8]) -> Option<(Setup, &[u8])> {
        let [opts, step, comp, records @ ..] = data else {
            return None;
        };
        let max = [16u64, 1000, 70_000, 1 << 20][usize::from(opts & 3)];
        let params = DeflateParams {
            server_no_context_takeover: opts & 4 != 0,
            server_max_window_bits: 8 + (opts >> 4 & 7),
            ..DeflateParams::default()
        };
        let config = RecvConfig {
            max_message_size: max,
            validate_utf8: opts & 8 == 0,
            ..RecvConfig::default()
        };
        // Our own compressor, for round-trip records.
        let dc = DeflateConfig {
            threshold: 0,
            level: comp % 10,
            ..DeflateConfig::default()
        };
        let ours = DeflateParams {
            // Our context mode must match what the receiver was told: a receiver told
            // `server_no_context_takeover` resets its inflater after each message.
            server_no_context_takeover: comp & 0x10 != 0 || params.server_no_context_takeover,
            server_max_window_bits: 9 + (comp >> 5 & 7).min(6),
            ..DeflateParams::default()
        };
        let step = usize::from(*step).max(1);
        Some((
            Setup {
                params,
                config,
                step,
                pieces: opts & 0x80 != 0,
                dc,
                ours,
            },
            records,
        ))
    }

    /// The records `[flags, len, payload…]` (a short last payload is cut to what is there).
    fn records(mut rest: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
        core::iter::from_fn(move || {
            let [flags, len, tail @ ..] = rest else {
                return None;
            };
            let n = usize::from(*len).min(tail.len());
            let (payload, next) = tail.split_at(n);
            rest = next;
            Some((*flags, payload))
        })
    }

    /// The wire decoded whole, then in `step`-byte chunks as whole messages or (by the input's
    /// choice: one of the two keeps an execution cheap, the fuzzer explores both) as
    /// streamed pieces: the same messages.
    fn decode_every_way(s: &Setup, wire: &[u8]) -> Vec<Ev> {
        let (params, config) = (s.params, s.config);
        let once = &mut core::iter::once(wire);
        let whole = run(params, config, Delivery::Messages, once);
        if s.pieces {
            let pieces = run(params, config, Delivery::Chunks, &mut wire.chunks(s.step));
            assert_eq!(merge(&pieces), whole, "pieces disagree with messages");
        } else {
            let chunked = run(params, config, Delivery::Messages, &mut wire.chunks(s.step));
            assert_eq!(chunked, whole, "chunking changed the messages");
        }
        whole
    }

    /// Arbitrary compressed payloads (records without flag 0x80), each in one or two frames,
    /// maybe with a ping between: no expectation beyond the oracles.
    pub(super) fn inflate(data: &[u8]) {
        let Some((s, rest)) = setup(data) else {
            return;
        };
        let mut wire = Vec::new();
        let mut payloads: Vec<&[u8]> = Vec::new();
        for (flags, payload) in records(rest).filter(|(f, _)| f & 0x80 == 0) {
            payloads.push(payload);
            let opcode = if flags & 1 != 0 { 1 } else { 2 };
            let rsv1 = if flags & 4 != 0 { 0x40 } else { 0 };
            if flags & 2 != 0 {
                let (a, b) = payload.split_at(payload.len() / 2);
                frame(&mut wire, rsv1 | opcode, a);
                if flags & 8 != 0 {
                    frame(&mut wire, 0x89, &[]);
                }
                // RSV1 on the continuation when asked: must fail with 1002.
                let cont_rsv = if flags & 0x40 != 0 { 0x40 } else { 0 };
                frame(&mut wire, 0x80 | cont_rsv, b);
            } else {
                frame(&mut wire, 0x80 | rsv1 | opcode, payload);
            }
        }
        decode_every_way(&s, &wire);
        inflater_alone(&s, &payloads);
    }

    /// The inflater alone, with a 7-byte output buffer near the start and near the limit (a
    /// 4 KiB one between, so that a bomb costs a few calls rather than one per 7 bytes):
    /// never past the limit.
    fn inflater_alone(s: &Setup, payloads: &[&[u8]]) {
        let max = s.config.max_message_size;
        let mut inflater = DeflateConfig::default()
            .inflater(&s.params, Role::Client)
            .unwrap();
        let mut buf = [0u8; 4096];
        for p in payloads {
            let mut input = *p;
            let mut total = 0u64;
            loop {
                let near = total < 64 || max - total < 4096 + 64;
                let out = if near { &mut buf[..7] } else { &mut buf[..] };
                match inflater.inflate(input, true, out, max) {
                    Ok(step) => {
                        total += step.written as u64;
                        assert!(total <= max, "{total} > {max}");
                        input = &input[step.consumed..];
                        if step.done {
                            break;
                        }
                        if step.consumed == 0 && step.written == 0 {
                            // Only where the output reached the limit exactly may a step hand
                            // out nothing: the bytes up to it went out, the next call is 1009.
                            assert_eq!(total, max, "no progress and not done");
                            let next = inflater.inflate(input, true, out, max);
                            assert!(
                                matches!(next, Err(ProtocolError::InflatedTooLarge { .. })),
                                "no progress at the limit, then {next:?}"
                            );
                            break;
                        }
                    }
                    Err(ProtocolError::Inflate(_) | ProtocolError::InflatedTooLarge { .. }) => {
                        break;
                    }
                    Err(e) => panic!("unexpected error {e}"),
                }
            }
        }
    }

    /// Records with flag 0x80, compressed by our own `Compressor` (whole, or in two parts),
    /// must all come back unless a limit was hit.
    pub(super) fn roundtrip(data: &[u8]) {
        let Some((s, rest)) = setup(data) else {
            return;
        };
        let mut compressor = s.dc.compressor(&s.ours, Role::Server).unwrap();
        let mut sender = Sender::server(SendConfig::default());
        let mut wire = Vec::new();
        let mut sent: Vec<Ev> = Vec::new();
        for (flags, payload) in records(rest).filter(|(f, _)| f & 0x80 != 0) {
            let text = flags & 1 != 0;
            let msg = String::from_utf8_lossy(payload);
            let bytes: &[u8] = if text { msg.as_bytes() } else { payload };
            let whole: Vec<u8> = bytes.repeat(usize::from(flags >> 4 & 7) + 1);
            let kind = if text {
                DataKind::Text
            } else {
                DataKind::Binary
            };
            let two = flags & 2 != 0;
            let cut = if two { half(&whole, text) } else { whole.len() };
            let parts = [(&whole[..cut], !two), (&whole[cut..], true)];
            for (part, fin) in &parts[..if two { 2 } else { 1 }] {
                sender
                    .data_compressed(
                        &mut compressor,
                        kind,
                        part,
                        *fin,
                        Compression::Auto,
                        &mut wire,
                    )
                    .unwrap();
            }
            sent.push(if text && s.config.validate_utf8 {
                Ev::Text(String::from_utf8(whole).unwrap(), true)
            } else {
                Ev::Binary(whole, true)
            });
        }
        let whole = decode_every_way(&s, &wire);
        match whole.last() {
            Some(Ev::Fail(code)) => assert_eq!(*code, 1009, "{whole:?}"),
            _ => assert_eq!(whole, sent, "round trip"),
        }
    }

    /// Where to cut a message in two: the middle, or for text the char boundary at or below.
    fn half(whole: &[u8], text: bool) -> usize {
        match core::str::from_utf8(whole) {
            Ok(s) if text => (0..=whole.len() / 2)
                .rev()
                .find(|&c| s.is_char_boundary(c))
                .unwrap_or(0),
            _ => whole.len() / 2,
        }
    }
}
