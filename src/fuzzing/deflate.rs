//! Harness for permessage-deflate inflation (needs the `deflate` feature; without it the
//! harness does nothing, so the committed seeds still replay under any feature set).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

/// Oracle: arbitrary compressed payloads and parameters, framed as server messages and fed to
/// a client `Receiver` with permessage-deflate on: no panic; every failure is 1002, 1007 or
/// 1009; no message (or piece) exceeds `max_message_size` and nothing follows a failure; the
/// same messages whole, chunked, and as streamed pieces; a `MessageInflater` driven directly
/// with a tiny output buffer never writes past the limit; and payloads compressed by our own
/// `Compressor` (any window, level, context mode) inflate back to the original.
///
/// Input: byte 0 options (limit, peer no-context-takeover, UTF-8 validation, window bits),
/// byte 1 read size, byte 2 compressor settings, then records `[flags, len, payload…]`.
pub fn inflate(data: &[u8]) {
    #[cfg(feature = "deflate")]
    imp::inflate(data);
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

    pub(super) fn inflate(data: &[u8]) {
        let [opts, step, comp, records @ ..] = data else {
            return;
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
        let mut compressor = dc.compressor(&ours, Role::Server).unwrap();
        let mut sender = Sender::server(SendConfig::default());

        let mut wire = Vec::new();
        let mut payloads: Vec<&[u8]> = Vec::new();
        let mut sent: Vec<Ev> = Vec::new();
        let mut rest = records;
        while let [flags, len, tail @ ..] = rest {
            let n = usize::from(*len).min(tail.len());
            let (payload, next) = tail.split_at(n);
            rest = next;
            let text = flags & 1 != 0;
            if flags & 0x80 != 0 {
                // Round trip: our compressor, then the receiver must give it back.
                let (kind, msg) = if text {
                    (
                        DataKind::Text,
                        String::from_utf8_lossy(payload).into_owned(),
                    )
                } else {
                    (DataKind::Binary, String::new())
                };
                let bytes: &[u8] = if text { msg.as_bytes() } else { payload };
                let repeat = usize::from(flags >> 4 & 7) + 1;
                let whole: Vec<u8> = bytes.repeat(repeat);
                let cut = match core::str::from_utf8(&whole) {
                    Ok(s) if text => (0..=whole.len() / 2)
                        .rev()
                        .find(|&c| s.is_char_boundary(c))
                        .unwrap_or(0),
                    _ => whole.len() / 2,
                };
                if flags & 2 != 0 {
                    sender
                        .data_compressed(
                            &mut compressor,
                            kind,
                            &whole[..cut],
                            false,
                            Compression::Auto,
                            &mut wire,
                        )
                        .unwrap();
                    sender
                        .data_compressed(
                            &mut compressor,
                            kind,
                            &whole[cut..],
                            true,
                            Compression::Auto,
                            &mut wire,
                        )
                        .unwrap();
                } else {
                    sender
                        .data_compressed(
                            &mut compressor,
                            kind,
                            &whole,
                            true,
                            Compression::Auto,
                            &mut wire,
                        )
                        .unwrap();
                }
                sent.push(if text && config.validate_utf8 {
                    Ev::Text(String::from_utf8(whole).unwrap(), true)
                } else {
                    Ev::Binary(whole, true)
                });
                continue;
            }
            // Arbitrary compressed payload, in one or two frames, maybe with a ping between.
            payloads.push(payload);
            let opcode = if text { 1 } else { 2 };
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
            sent.clear(); // arbitrary data: no expectation beyond the oracles
        }

        let step = usize::from(*step).max(1);
        let whole = run(
            params,
            config,
            Delivery::Messages,
            &mut core::iter::once(&wire[..]),
        );
        let chunked = run(params, config, Delivery::Messages, &mut wire.chunks(step));
        assert_eq!(chunked, whole, "chunking changed the messages");
        let pieces = run(params, config, Delivery::Chunks, &mut wire.chunks(step));
        assert_eq!(merge(&pieces), whole, "pieces disagree with messages");
        if payloads.is_empty() && !sent.is_empty() {
            // Only our own messages: all must come back unless a limit was hit.
            match whole.last() {
                Some(Ev::Fail(code)) => assert_eq!(*code, 1009, "{whole:?}"),
                _ => assert_eq!(whole, sent, "round trip"),
            }
        }

        // The inflater alone, with a 7-byte output buffer: never past the limit.
        let mut inflater = DeflateConfig::default()
            .inflater(&params, Role::Client)
            .unwrap();
        for p in payloads {
            let mut input = p;
            let mut total = 0u64;
            let mut buf = [0u8; 7];
            loop {
                match inflater.inflate(input, true, &mut buf, max) {
                    Ok(s) => {
                        total += s.written as u64;
                        assert!(total <= max, "{total} > {max}");
                        input = &input[s.consumed..];
                        if s.done {
                            break;
                        }
                        if s.consumed == 0 && s.written == 0 {
                            // Only where the output reached the limit exactly may a step hand
                            // out nothing: the bytes up to it went out, the next call is 1009.
                            assert_eq!(total, max, "no progress and not done");
                            let next = inflater.inflate(input, true, &mut buf, max);
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
}
