//! The sender: frame bytes for each kind of message and role (RFC 6455 §5.1–§5.7, §7.4), and
//! the caller mistakes it refuses.

mod common;

use common::hex;
use wswire::UsageError;
use wswire::frame::{CloseCode, CloseFrame, MaskKey, apply_mask};
use wswire::send::{DataKind, FixedMask, RandomMask, SendConfig, Sender};

const KEY: MaskKey = MaskKey([0x37, 0xfa, 0x21, 0x3d]);

fn server() -> Sender {
    Sender::server(SendConfig::default())
}

fn client() -> Sender<FixedMask> {
    Sender::client_with(SendConfig::default(), FixedMask(KEY))
}

/// A deterministic stand-in for a CSPRNG, to check that keys come from the generator.
struct Counter(u32);

impl rand_core::TryRng for Counter {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.0 = self.0.wrapping_add(0x9e37_79b9);
        Ok(self.0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(u64::from(self.try_next_u32()?) << 32 | u64::from(self.try_next_u32()?))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = self.try_next_u32()?.to_le_bytes()[3];
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Counter {}

#[test]
fn server_frames_use_the_minimal_length() {
    let mut out = Vec::new();
    server().text("Hello", true, &mut out).unwrap();
    assert_eq!(out, hex("81 05 48 65 6c 6c 6f"));
    out.clear();
    server().text("€", true, &mut out).unwrap();
    assert_eq!(out, hex("81 03 e2 82 ac"));
    for (n, head) in [
        (0usize, "82 00"),
        (125, "82 7d"),
        (126, "82 7e 00 7e"),
        (65535, "82 7e ff ff"),
        (65536, "82 7f 00 00 00 00 00 01 00 00"),
    ] {
        let mut out = Vec::new();
        let data = vec![0x42; n];
        server().binary(&data, true, &mut out).unwrap();
        let head = hex(head);
        assert_eq!(&out[..head.len()], &head[..], "{n}");
        assert_eq!(&out[head.len()..], &data[..]);
    }
}

#[test]
fn client_frames_are_masked() {
    let mut out = Vec::new();
    client().text("Hello", true, &mut out).unwrap();
    assert_eq!(out, hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"));
    out.clear();
    client().pong(b"Hello", &mut out).unwrap();
    assert_eq!(out, hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"));
    out.clear();
    client().text("", true, &mut out).unwrap();
    assert_eq!(out, hex("81 80 37 fa 21 3d"));
    for (n, head) in [
        (125usize, "82 fd"),
        (126, "82 fe 00 7e"),
        (65536, "82 ff 00 00 00 00 00 01 00 00"),
    ] {
        let mut out = Vec::new();
        let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
        client().binary(&data, true, &mut out).unwrap();
        let head = hex(head);
        assert_eq!(&out[..head.len()], &head[..]);
        assert_eq!(&out[head.len()..head.len() + 4], &KEY.0);
        let mut body = out[head.len() + 4..].to_vec();
        apply_mask(&mut body, KEY, 0);
        assert_eq!(body, data);
    }
}

#[test]
fn keys_are_fresh_per_frame_from_the_generator() {
    let mut tx = Sender::client(SendConfig::default(), Counter(1));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    tx.text("same", true, &mut a).unwrap();
    tx.text("same", true, &mut b).unwrap();
    assert_ne!(a[2..6], b[2..6], "two frames, two keys");
    assert_ne!(a, b);
    let _ = RandomMask(Counter(0));
}

#[test]
fn fragmentation() {
    let mut tx = server();
    let mut out = Vec::new();
    tx.text("Hel", false, &mut out).unwrap();
    tx.ping(b"", &mut out).unwrap(); // control frames between fragments
    tx.text("lo", true, &mut out).unwrap();
    assert_eq!(out, hex("01 03 48 65 6c 89 00 80 02 6c 6f"));
    // By configuration: 10 bytes in frames of 4.
    let mut config = SendConfig::default();
    config.max_frame_payload = Some(4);
    let mut tx = Sender::server(config);
    let mut out = Vec::new();
    tx.binary(b"0123456789", true, &mut out).unwrap();
    assert_eq!(out, hex("02 04 30 31 32 33 00 04 34 35 36 37 80 02 38 39"));
    assert_eq!(tx.encoded_len(10), out.len());
    // A streamed message whose pieces are themselves split.
    out.clear();
    tx.text("abcdef", false, &mut out).unwrap();
    tx.text("g", true, &mut out).unwrap();
    assert_eq!(out, hex("01 04 61 62 63 64 00 02 65 66 80 01 67"));
}

#[test]
fn a_second_message_while_one_is_open_is_refused() {
    let mut tx = server();
    let mut out = Vec::new();
    tx.binary(b"a", false, &mut out).unwrap();
    let before = out.clone();
    assert_eq!(
        tx.text("b", true, &mut out),
        Err(UsageError::MessageInProgress {
            open: DataKind::Binary
        })
    );
    assert_eq!(out, before, "nothing written on error");
    tx.binary(b"c", true, &mut out).unwrap();
    tx.text("d", true, &mut out).unwrap();
}

#[test]
fn control_payload_limits() {
    let mut out = Vec::new();
    server().ping(b"", &mut out).unwrap();
    server().ping(b"hi", &mut out).unwrap();
    server().pong(b"hi", &mut out).unwrap();
    assert_eq!(out, hex("89 00 89 02 68 69 8a 02 68 69"));
    assert_eq!(
        server().ping(&[0; 126], &mut out),
        Err(UsageError::ControlPayloadTooLong { len: 126 })
    );
    assert!(server().ping(&[0; 125], &mut out).is_ok());
}

#[test]
fn close_frames() {
    let cases: [(Option<(u16, &str)>, &str); 4] = [
        (None, "88 00"),
        (Some((1000, "")), "88 02 03 e8"),
        (
            Some((1000, "some reason")),
            "88 0d 03 e8 73 6f 6d 65 20 72 65 61 73 6f 6e",
        ),
        (
            Some((1000, "fñør∂")),
            "88 0b 03 e8 66 c3 b1 c3 b8 72 e2 88 82",
        ),
    ];
    for (frame, bytes) in cases {
        let mut out = Vec::new();
        let frame = frame.map(|(c, r)| CloseFrame {
            code: CloseCode::from_u16(c),
            reason: r,
        });
        server().close(frame, &mut out).unwrap();
        assert_eq!(out, hex(bytes));
    }
    let mut out = Vec::new();
    let long = "a".repeat(124);
    let frame = CloseFrame {
        code: CloseCode::NORMAL,
        reason: &long,
    };
    assert_eq!(
        server().close(Some(frame), &mut out),
        Err(UsageError::CloseReasonTooLong { len: 124 })
    );
    for c in [999u16, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        let frame = CloseFrame {
            code: CloseCode::from_u16(c),
            reason: "",
        };
        assert_eq!(
            server().close(Some(frame), &mut out),
            Err(UsageError::UnsendableCloseCode(CloseCode::from_u16(c)))
        );
    }
    assert!(out.is_empty());
    let mut out = Vec::new();
    client().close(None, &mut out).unwrap();
    assert_eq!(out, hex("88 80 37 fa 21 3d"));
}

#[test]
fn no_data_after_close_but_control_frames_are_fine() {
    let mut tx = server();
    let mut out = Vec::new();
    tx.close(
        Some(CloseFrame {
            code: CloseCode::NORMAL,
            reason: "",
        }),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        tx.text("x", true, &mut out),
        Err(UsageError::SendAfterClose)
    );
    assert_eq!(
        tx.binary(b"x", true, &mut out),
        Err(UsageError::SendAfterClose)
    );
    assert_eq!(tx.close(None, &mut out), Err(UsageError::CloseAlreadySent));
    tx.pong(b"p", &mut out).unwrap();
    assert_eq!(out, hex("88 02 03 e8 8a 01 70"));
}

#[test]
fn slice_and_vectored_outputs_match_the_vec_output() {
    let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    for n in [0usize, 5, 125, 126, 65535, 65536, 70_000] {
        let mut expected = Vec::new();
        client().binary(&data[..n], true, &mut expected).unwrap();
        let mut tx = client();
        let mut buf = vec![0u8; tx.encoded_len(n)];
        assert_eq!(
            tx.binary_into(&data[..n], true, &mut buf),
            Ok(expected.len())
        );
        assert_eq!(buf, expected, "{n}");
        let mut small = vec![0u8; expected.len() - 1];
        assert_eq!(
            client().binary_into(&data[..n], true, &mut small),
            Err(UsageError::BufferTooSmall {
                needed: expected.len()
            })
        );
        // Vectored: header, then the payload masked with the header's key.
        let header = client().frame_header(DataKind::Binary, n, true).unwrap();
        let mut v = header.as_bytes().to_vec();
        let at = v.len();
        v.extend_from_slice(&data[..n]);
        apply_mask(&mut v[at..], header.mask().unwrap(), 0);
        assert_eq!(v, expected);
        let mut sv = Vec::new();
        server().binary(&data[..n], true, &mut sv).unwrap();
        let header = server().frame_header(DataKind::Binary, n, true).unwrap();
        assert_eq!(header.mask(), None);
        assert_eq!([header.as_bytes(), &data[..n]].concat(), sv);
    }
}
