//! Sections 1–4: data frames of every length class, pings and pongs, reserved bits, reserved opcodes.

use super::*;

pub(super) fn section1(l: &mut Vec<Entry>) {
    for (group, op, byte) in [(1, TEXT, b'*'), (2, BINARY, 0xfe)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, n) in SIZES.into_iter().enumerate() {
            entry(l, format!("1.{group}.{}", i + 1), move |id| {
                let payload = vec![byte; n];
                Case::new(id, &format!("{kind} message of {n} bytes"))
                    .send(FIN | op, &payload)
                    .expect(echo(op, &payload))
                    .clean_close()
            });
        }
        entry(l, format!("1.{group}.8"), move |id| {
            let payload = vec![byte; 65536];
            Case::new(
                id,
                &format!("{kind} message of 65536 bytes in chops of 997"),
            )
            .send_chopped(FIN | op, &payload, 997, false)
            .expect(echo(op, &payload))
            .clean_close()
        });
    }
}

pub(super) fn section2(l: &mut Vec<Entry>) {
    let pings: [(&str, &str, Vec<u8>); 4] = [
        ("2.1", "ping without payload", vec![]),
        (
            "2.2",
            "ping with a small text payload",
            b"Hello, world!".to_vec(),
        ),
        (
            "2.3",
            "ping with a small binary (non-UTF-8) payload",
            vec![0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff],
        ),
        ("2.4", "ping with a 125-byte payload", vec![0xfe; 125]),
    ];
    for (id, desc, p) in pings {
        entry(l, id, move |id| {
            Case::new(id, desc)
                .send(FIN | PING, &p)
                .expect_pong(&p)
                .clean_close()
        });
    }
    entry(l, "2.5", |id| {
        Case::new(id, "ping with a 126-byte payload: fail 1002")
            .send(FIN | PING, &[0xfe; 126])
            .fails(1002)
    });
    entry(l, "2.6", |id| {
        Case::new(id, "ping with a 125-byte payload, sent octet by octet")
            .send_chopped(FIN | PING, &[0xfe; 125], 1, true)
            .expect_pong(&[0xfe; 125])
            .clean_close()
    });
    entry(l, "2.7", |id| {
        Case::new(id, "unsolicited pong without payload: no answer")
            .send(FIN | PONG, b"")
            .clean_close()
    });
    entry(l, "2.8", |id| {
        Case::new(id, "unsolicited pong with payload: no answer")
            .send(FIN | PONG, b"unsolicited pong payload")
            .clean_close()
    });
    entry(l, "2.9", |id| {
        Case::new(
            id,
            "unsolicited pong, then a ping: only the ping is answered",
        )
        .send(FIN | PONG, b"unsolicited pong payload")
        .send(FIN | PING, b"ping payload")
        .expect_pong(b"ping payload")
        .clean_close()
    });
    for (id, chop) in [("2.10", 0usize), ("2.11", 1)] {
        entry(l, id, move |id| {
            let desc = if chop == 0 {
                "10 pings: 10 pongs in order"
            } else {
                "10 pings sent octet by octet: 10 pongs in order"
            };
            let mut c = Case::new(id, desc);
            for i in 0..10 {
                let p = format!("payload-{i}");
                if chop == 0 {
                    c.send(FIN | PING, p.as_bytes());
                } else {
                    c.send_chopped(FIN | PING, p.as_bytes(), chop, true);
                }
                c.expect_pong(p.as_bytes());
            }
            c.clean_close()
        });
    }
}

pub(super) fn section3(l: &mut Vec<Entry>) {
    entry(l, "3.1", |id| {
        Case::new(id, "text with RSV = 1: fail 1002")
            .send(FIN | rsv(1) | TEXT, b"Hello, world!")
            .fails(1002)
    });
    // 3.2-3.4: a good text, a bad one, a ping (never answered).
    for (id, v, mode) in [("3.2", 2, 0), ("3.3", 3, 1), ("3.4", 4, 2)] {
        entry(l, id, move |id| {
            let how = ["", ", frame-wise with pauses", ", octet-wise"][mode];
            let mut c = Case::new(
                id,
                &format!("text, text with RSV = {v}, ping{how}: echo, then fail 1002, no pong"),
            );
            let mode = [Mode::Plain, Mode::Frames, Mode::Octets][mode];
            let good = c.frame(FIN | TEXT, b"Hello, world!");
            send_frames(&mut c, vec![good], mode);
            // The bad header must fail before the ping is sent.
            let at = header_push(&c, mode);
            let rest = vec![
                c.frame(FIN | rsv(v) | TEXT, b"Hello, world!"),
                c.frame(FIN | PING, b""),
            ];
            send_frames(&mut c, rest, mode);
            c.expect_text(b"Hello, world!").fails_fast(1002, at)
        });
    }
    entry(l, "3.5", |id| {
        Case::new(id, "binary with RSV = 5: fail 1002")
            .send(FIN | rsv(5) | BINARY, &[0xff; 8])
            .fails(1002)
    });
    entry(l, "3.6", |id| {
        Case::new(id, "ping with RSV = 6: fail 1002, no pong")
            .send(FIN | rsv(6) | PING, b"ping payload")
            .fails(1002)
    });
    entry(l, "3.7", |id| {
        Case::new(id, "close with RSV = 7: fail 1002")
            .send(FIN | rsv(7) | CLOSE, &Case::close_payload(1000, b""))
            .fails(1002)
    });
}

pub(super) fn section4(l: &mut Vec<Entry>) {
    for (group, base) in [(1, 3u8), (2, 11u8)] {
        let kind = if group == 1 { "data" } else { "control" };
        entry(l, format!("4.{group}.1"), move |id| {
            Case::new(id, &format!("reserved {kind} opcode {base}: fail 1002"))
                .send(FIN | base, b"")
                .fails(1002)
        });
        entry(l, format!("4.{group}.2"), move |id| {
            Case::new(
                id,
                &format!(
                    "reserved {kind} opcode {} with payload: fail 1002",
                    base + 1
                ),
            )
            .send(FIN | (base + 1), b"reserved opcode payload")
            .fails(1002)
        });
        for k in 3..=5u8 {
            entry(l, format!("4.{group}.{k}"), move |id| {
                let op = base + k - 1;
                let how = if k == 5 { ", octet-wise" } else { "" };
                let mut c = Case::new(
                    id,
                    &format!("text, reserved opcode {op}, ping{how}: echo, fail 1002, no pong"),
                );
                let payload: &[u8] = if k == 3 {
                    b""
                } else {
                    b"reserved opcode payload"
                };
                let mode = if k == 5 { Mode::Octets } else { Mode::Plain };
                let good = c.frame(FIN | TEXT, b"Hello, world!");
                send_frames(&mut c, vec![good], mode);
                let at = header_push(&c, mode);
                let rest = vec![c.frame(FIN | op, payload), c.frame(FIN | PING, b"")];
                send_frames(&mut c, rest, mode);
                c.expect_text(b"Hello, world!").fails_fast(1002, at)
            });
        }
    }
}
