//! The receiver's rules (RFC 6455 §5, §7.4, §8.1, and the size limits), each with the
//! expected events or close code. Every stream is fed whole, one byte at a time and split at
//! several points, through the buffered `Receiver` (whole messages) and the zero-copy
//! `Decoder` (pieces, merged), and all must agree.

mod common;

use common::{Ev, decode_chunks, hex, merge_pieces, receive, splits};
use wswire::Role;
use wswire::frame::{LengthRule, Rsv};
use wswire::recv::{Delivery, RecvConfig};

fn check_with(role: Role, config: RecvConfig, stream: &str, expected: &[Ev]) {
    let bytes = hex(stream);
    for way in splits(&bytes) {
        let got = receive(role, config, Delivery::Messages, &way);
        assert_eq!(
            got,
            expected,
            "Receiver, {stream} split {:?}",
            way.iter().map(|c| c.len()).collect::<Vec<_>>()
        );
        let pieces = decode_chunks(role, config, &way);
        assert_eq!(merge_pieces(&pieces), expected, "Decoder, {stream}");
        let chunks = receive(role, config, Delivery::Chunks, &way);
        assert_eq!(
            merge_pieces(&chunks),
            expected,
            "Receiver(Chunks), {stream}"
        );
    }
}

fn client(stream: &str, expected: &[Ev]) {
    check_with(Role::Client, RecvConfig::default(), stream, expected);
}

fn server(stream: &str, expected: &[Ev]) {
    check_with(Role::Server, RecvConfig::default(), stream, expected);
}

fn fails(stream: &str, code: u16) {
    client(stream, &[Ev::Fail(code)]);
}

#[test]
fn rfc_6455_examples() {
    client("81 05 48 65 6c 6c 6f", &[Ev::text("Hello")]);
    server("81 85 37 fa 21 3d 7f 9f 4d 51 58", &[Ev::text("Hello")]);
    client("01 03 48 65 6c 80 02 6c 6f", &[Ev::text("Hello")]);
    let mut s = String::from("82 7e 01 00");
    s.push_str(&" ab".repeat(256));
    client(&s, &[Ev::binary(&[0xab; 256])]);
    let mut s = String::from("82 7f 00 00 00 00 00 01 00 00");
    s.push_str(&" 5a".repeat(65536));
    client(&s, &[Ev::binary(&[0x5a; 65536])]);
}

#[test]
fn rsv_bits_without_extension_fail_1002() {
    for s in [
        "c1 00", "a1 00", "91 00", "e1 00", "f1 00", "e9 00", "c8 00",
    ] {
        fails(s, 1002);
    }
    check_with(
        Role::Server,
        RecvConfig::default(),
        "c2 80 00 00 00 00",
        &[Ev::Fail(1002)],
    );
}

#[test]
fn rsv1_allowed_only_on_first_data_frame_when_negotiated() {
    let mut config = RecvConfig::default();
    config.allowed_rsv = Rsv::RSV1;
    check_with(Role::Client, config, "c1 01 61", &[Ev::text("a")]);
    check_with(Role::Client, config, "41 01 61 80 01 62", &[Ev::text("ab")]);
    // RSV1 on a continuation (RFC 7692 §6.1) or on a control frame: 1002.
    check_with(Role::Client, config, "41 01 61 c0 01 62", &[Ev::Fail(1002)]);
    check_with(Role::Client, config, "c9 00", &[Ev::Fail(1002)]);
    check_with(Role::Client, config, "a1 00", &[Ev::Fail(1002)]);
}

#[test]
fn reserved_opcodes_fail_1002() {
    for s in [
        "83 00",
        "84 01 00",
        "85 00",
        "86 00",
        "87 00",
        "8b 00",
        "8c 01 00",
        "8d 00",
        "8e 02 78 79",
        "8f 00",
    ] {
        fails(s, 1002);
    }
}

#[test]
fn fragmented_control_frames_fail_1002() {
    for s in ["09 00", "0a 00", "08 00"] {
        fails(s, 1002);
    }
}

#[test]
fn continuation_rules() {
    for s in ["00 00", "80 00", "80 05 48 65 6c 6c 6f"] {
        fails(s, 1002);
    }
    fails("01 00 01 00", 1002);
    fails("01 00 02 00", 1002);
}

#[test]
fn invalid_header_fails_before_the_rest_arrives() {
    let got = receive(
        Role::Client,
        RecvConfig::default(),
        Delivery::Messages,
        &[&hex("83 7e")],
    );
    assert_eq!(got, [Ev::Fail(1002)]);
}

#[test]
fn empty_frames_and_several_per_push() {
    client("81 00", &[Ev::text("")]);
    client("82 00", &[Ev::binary(b"")]);
    client("01 00 00 00 80 00", &[Ev::text("")]);
    client("01 00 00 05 48 65 6c 6c 6f 80 00", &[Ev::text("Hello")]);
    client("82 00 82 00", &[Ev::binary(b""), Ev::binary(b"")]);
}

#[test]
fn masking_by_role() {
    check_with(
        Role::Server,
        RecvConfig::default(),
        "81 02 68 69",
        &[Ev::Fail(1002)],
    );
    fails("81 82 56 3a ac 80 3e 53", 1002);
    server("81 82 00 00 00 00 68 69", &[Ev::text("hi")]);
    server("89 80 00 00 00 00", &[Ev::Ping(vec![])]);
    server(
        "88 82 12 34 56 78 11 dc",
        &[Ev::Close(Some((1000, String::new())))],
    );
    check_with(
        Role::Server,
        RecvConfig::default(),
        "88 02 03 e8",
        &[Ev::Fail(1002)],
    );
}

#[test]
fn payload_lengths() {
    client(
        &format!("82 7d{}", " 01".repeat(125)),
        &[Ev::binary(&[1; 125])],
    );
    for n in [126usize, 127, 128, 65535] {
        client(
            &format!("82 7e {:04x}{}", n, " 02".repeat(n)),
            &[Ev::binary(&vec![2; n])],
        );
    }
    // Non-minimal lengths and the 64-bit top bit.
    fails(&format!("81 7e 00 40{}", " 61".repeat(64)), 1002);
    fails("81 7e 00 00", 1002);
    fails(
        &format!("81 7f 00 00 00 00 00 00 02 00{}", " 61".repeat(512)),
        1002,
    );
    fails("89 7e 00 7d", 1002);
    fails("81 7f 80 00 00 00 00 00 00 00", 1002);
    fails("81 7f 80 80 80 80 80 80 80 80", 1002);
    // Legal but beyond the limit: 1009 at the header.
    fails("82 7f 00 20 00 00 00 00 00 00", 1009);
    // The named relaxation accepts non-minimal data-frame lengths.
    let mut relaxed = RecvConfig::default();
    relaxed.length_rule = LengthRule::AllowNonMinimal;
    check_with(
        Role::Client,
        relaxed,
        &format!("81 7e 00 03{}", " 61".repeat(3)),
        &[Ev::text("aaa")],
    );
}

#[test]
fn control_frames() {
    client("89 05 48 65 6c 6c 6f", &[Ev::Ping(b"Hello".to_vec())]);
    client("89 00", &[Ev::Ping(vec![])]);
    client(
        &format!("89 7d{}", " 07".repeat(125)),
        &[Ev::Ping(vec![7; 125])],
    );
    client("89 04 00 ff fe fd", &[Ev::Ping(vec![0, 0xff, 0xfe, 0xfd])]);
    fails(&format!("89 7e 00 7e{}", " 07".repeat(126)), 1002);
    client("8a 03 61 62 63", &[Ev::Pong(b"abc".to_vec())]);
    client(
        "01 03 48 65 6c 89 00 80 02 6c 6f",
        &[Ev::Ping(vec![]), Ev::text("Hello")],
    );
    client(
        "02 02 48 65 89 00 80 03 6c 6c 6f",
        &[Ev::Ping(vec![]), Ev::binary(b"Hello")],
    );
    let ten: String = (0..10).map(|i| format!("89 01 {i:02x} ")).collect();
    client(
        &ten,
        &(0..10).map(|i| Ev::Ping(vec![i])).collect::<Vec<_>>(),
    );
}

#[test]
fn fragmentation() {
    client(
        "01 01 61 80 01 62 81 01 63",
        &[Ev::text("ab"), Ev::text("c")],
    );
    client("02 02 48 65 80 03 6c 6c 6f", &[Ev::binary(b"Hello")]);
    client("01 00 00 02 68 69 80 00", &[Ev::text("hi")]);
    // A Close in the middle of a message ends everything; the partial message is dropped.
    client(
        "01 09 66 72 61 67 6d 65 6e 74 31 88 02 03 e8 80 09 66 72 61 67 6d 65 6e 74 32",
        &[Ev::Close(Some((1000, String::new())))],
    );
}

#[test]
fn streamed_text_is_cut_at_code_points() {
    let got = receive(
        Role::Client,
        RecvConfig::default(),
        Delivery::Chunks,
        &[&hex("01 01 ce 80 01 ba")],
    );
    assert_eq!(
        got,
        [Ev::Text(String::new(), false), Ev::Text("κ".into(), true)]
    );
}

#[test]
fn fragment_count_limit() {
    let mut config = RecvConfig::default();
    config.max_fragments = Some(2);
    check_with(
        Role::Client,
        config,
        "02 01 61 00 01 62 00 01 63",
        &[Ev::Fail(1008)],
    );
    check_with(
        Role::Client,
        config,
        "02 01 61 80 01 62",
        &[Ev::binary(b"ab")],
    );
}

#[test]
fn utf8_validation() {
    let kosme = String::from_utf8(hex("ce ba e1 bd b9 cf 83 ce bc ce b5")).unwrap();
    client(
        "81 0b ce ba e1 bd b9 cf 83 ce bc ce b5",
        &[Ev::text(&kosme)],
    );
    fails(
        "81 14 ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64",
        1007,
    );
    fails("81 04 ce ba e1 bd", 1007);
    fails("01 02 ce ba 80 01 e1", 1007);
    fails("81 01 ce", 1007);
    client("01 01 ce 80 01 ba", &[Ev::text("κ")]);
    let s = "Hello-µ@ßöäüàá-UTF-8!!";
    let bytes = s.as_bytes();
    let mut frames = String::new();
    for (i, b) in bytes.iter().enumerate() {
        let first = if i == 0 { 0x01 } else { 0x00 };
        let fin = if i + 1 == bytes.len() { 0x80 } else { 0 };
        frames.push_str(&format!("{:02x} 01 {b:02x} ", first | fin));
    }
    client(&frames, &[Ev::text(s)]);
    client("82 01 ff", &[Ev::binary(&[0xff])]);
    client("81 03 ef bb bf", &[Ev::text("\u{feff}")]);
}

#[test]
fn utf8_fails_fast_before_fin() {
    let cfg = RecvConfig::default();
    // A valid first fragment, then an invalid non-final one: fails at once.
    let a = hex("01 0b ce ba e1 bd b9 cf 83 ce bc ce b5");
    let b = hex("00 04 f4 90 80 80");
    let got = receive(Role::Client, cfg, Delivery::Messages, &[&a]);
    assert!(got.is_empty());
    assert_eq!(
        receive(Role::Client, cfg, Delivery::Messages, &[&a, &b]),
        [Ev::Fail(1007)]
    );
    // Only the first two bytes of the bad sequence.
    assert_eq!(
        receive(
            Role::Client,
            cfg,
            Delivery::Messages,
            &[&a, &hex("00 02 f4 90")]
        ),
        [Ev::Fail(1007)]
    );
    // Inside one frame whose announced payload has not all arrived.
    let head = hex("81 15 ce ba e1 bd b9 cf 83 ce bc ce b5");
    assert!(receive(Role::Client, cfg, Delivery::Messages, &[&head]).is_empty());
    assert_eq!(
        receive(
            Role::Client,
            cfg,
            Delivery::Messages,
            &[&head, &hex("f4 90")]
        ),
        [Ev::Fail(1007)]
    );
    // The same for a server (masked, key 00 00 00 00 keeps the bytes readable).
    let head = hex("81 95 00 00 00 00 ce ba e1 bd b9 cf 83 ce bc ce b5");
    assert_eq!(
        receive(
            Role::Server,
            cfg,
            Delivery::Messages,
            &[&head, &hex("f4 90")]
        ),
        [Ev::Fail(1007)]
    );
    // The second byte is already impossible.
    for (lead, next) in [(0xe0, 0x80), (0xed, 0xa0), (0xf0, 0x8f), (0xf4, 0x90)] {
        let first = [0x01, 0x01, lead];
        assert!(receive(Role::Client, cfg, Delivery::Messages, &[&first]).is_empty());
        assert_eq!(
            receive(
                Role::Client,
                cfg,
                Delivery::Messages,
                &[&first, &[0x00, 0x01, next]]
            ),
            [Ev::Fail(1007)]
        );
    }
    for lead in [0xc0u8, 0xc1, 0xf5, 0xff] {
        assert_eq!(
            receive(
                Role::Client,
                cfg,
                Delivery::Messages,
                &[&[0x01, 0x01, lead]]
            ),
            [Ev::Fail(1007)]
        );
    }
}

#[test]
fn skipping_validation_is_a_named_relaxation() {
    let mut config = RecvConfig::default();
    config.validate_utf8 = false;
    let got = receive(
        Role::Client,
        config,
        Delivery::Messages,
        &[&hex("81 01 f8")],
    );
    assert_eq!(got, [Ev::Unchecked(vec![0xf8], true)]);
    let got = receive(
        Role::Client,
        config,
        Delivery::Messages,
        &[&hex("01 01 f8 80 01 f9")],
    );
    assert_eq!(got, [Ev::Unchecked(vec![0xf8, 0xf9], true)]);
}

#[test]
fn close_frames() {
    client("88 00", &[Ev::Close(None)]);
    fails("88 01 03", 1002);
    fails("88 01 0e", 1002);
    client("88 02 03 e8", &[Ev::Close(Some((1000, String::new())))]);
    client(
        "88 06 03 e8 44 4f 4e 45",
        &[Ev::Close(Some((1000, "DONE".into())))],
    );
    client(
        &format!("88 7d 03 e8{}", " 2a".repeat(123)),
        &[Ev::Close(Some((1000, "*".repeat(123))))],
    );
    fails(&format!("88 7e 00 7e 03 e8{}", " 2a".repeat(124)), 1002);
    fails("88 06 03 ef ce ba e1 bd", 1007);
    fails(
        "88 16 03 e8 ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64",
        1007,
    );
    fails("88 0a 03 e8 66 c3 b1 c3 b8 72 e2 88", 1007);
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ] {
        client(
            &format!("88 02 {code:04x}"),
            &[Ev::Close(Some((code, String::new())))],
        );
    }
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        fails(&format!("88 02 {code:04x}"), 1002);
    }
    fails("88 04 03 ec ff ff", 1002);
}

#[test]
fn everything_after_close_is_ignored() {
    client("88 00 81 00 89 00 88 02 03 e8", &[Ev::Close(None)]);
    let mut config = RecvConfig::default();
    config.allowed_rsv = Rsv::RSV1;
    check_with(
        Role::Client,
        config,
        "c1 00 88 00 81 00",
        &[Ev::text(""), Ev::Close(None)],
    );
}

#[test]
fn nothing_after_a_failure() {
    fails("83 00 89 00", 1002);
    fails("81 01 ff 81 01 61 89 00", 1007);
}

#[test]
fn limits_are_checked_at_the_header() {
    let mut config = RecvConfig::default();
    config.max_message_size = 20 * 1024;
    // 204800 bytes announced by a masked frame: 1009 with only the header received.
    let got = receive(
        Role::Server,
        config,
        Delivery::Messages,
        &[&hex("82 ff 00 00 00 00 00 03 20 00 01 02 03 04")],
    );
    assert_eq!(got, [Ev::Fail(1009)]);
    // The sum of fragments crosses the limit at the second header.
    config.max_message_size = 10;
    let got = receive(
        Role::Client,
        config,
        Delivery::Messages,
        &[&hex("01 06 61 61 61 61 61 61"), &hex("80 06")],
    );
    assert_eq!(got, [Ev::Fail(1009)]);
    // Control frames do not count.
    check_with(
        Role::Client,
        config,
        "01 05 61 61 61 61 61 89 05 70 70 70 70 70 80 05 62 62 62 62 62",
        &[Ev::Ping(b"ppppp".to_vec()), Ev::text("aaaaabbbbb")],
    );
    // A separate per-frame limit.
    let mut config = RecvConfig::default();
    config.max_frame_payload = 4;
    check_with(
        Role::Client,
        config,
        "82 05 01 02 03 04 05",
        &[Ev::Fail(1009)],
    );
    check_with(
        Role::Client,
        config,
        "02 04 01 02 03 04 80 01 05",
        &[Ev::binary(&[1, 2, 3, 4, 5])],
    );
}

#[test]
fn empty_pushes_change_nothing() {
    let a = hex("81 05 48 65");
    let b = hex("6c 6c 6f");
    let got = receive(
        Role::Client,
        RecvConfig::default(),
        Delivery::Messages,
        &[&[], &a, &[], &[], &b, &[]],
    );
    assert_eq!(got, [Ev::text("Hello")]);
}

#[test]
fn by_default_a_message_of_1_mib_passes_and_one_byte_more_fails_with_1009() {
    let config = RecvConfig::default();
    let mut one_mib = hex("82 7f 00 00 00 00 00 10 00 00");
    one_mib.resize(one_mib.len() + (1 << 20), 0x2a);
    let got = receive(Role::Client, config, Delivery::Messages, &[&one_mib]);
    assert_eq!(got.len(), 1);
    assert!(
        matches!(&got[0], Ev::Binary(b, true) if b.len() == 1 << 20),
        "{got:?}"
    );
    // 1 MiB + 1 in two fragments: refused at the header of the second.
    let mut two = hex("02 7f 00 00 00 00 00 10 00 00");
    two.resize(two.len() + (1 << 20), 0x2a);
    two.extend_from_slice(&hex("80 01 2a"));
    let got = receive(Role::Client, config, Delivery::Chunks, &[&two]);
    assert_eq!(got.last(), Some(&Ev::Fail(1009)), "{:?}", got.last());
}

#[test]
fn a_large_announced_frame_does_not_allocate_ahead_of_its_data() {
    use wswire::recv::Receiver;
    let mut config = RecvConfig::default();
    config.max_message_size = 64 << 20;
    config.max_frame_payload = 64 << 20;
    let mut rx = Receiver::new(Role::Client, config);
    rx.handle_input(&hex("82 7f 00 00 00 00 02 00 00 00")); // 32 MiB announced, none sent
    assert!(rx.poll_event().is_none());
    assert!(
        rx.spare_capacity(1).len() <= 128 * 1024,
        "room grows with the data, not the header"
    );
    // As data arrives the room grows by doubling, and the message is whole at the end.
    let mut sent = 0usize;
    let chunk = vec![7u8; 1 << 20];
    while sent < 32 << 20 {
        let room = rx.spare_capacity(1).len();
        assert!(
            room <= (sent + (1 << 20)).max(64 * 1024) * 2 + 10,
            "room {room} after {sent}"
        );
        rx.handle_input(&chunk);
        sent += chunk.len();
        if sent < 32 << 20 {
            assert!(rx.poll_event().is_none());
        }
    }
    match rx.poll_event() {
        Some(Ok(wswire::recv::Event::Binary { data, fin: true })) => {
            assert_eq!(data.len(), 32 << 20);
        }
        other => panic!("expected the whole message, got {other:?}"),
    }
}
