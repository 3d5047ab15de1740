//! Section 7: the closing handshake, close codes and reasons.

use super::*;

pub(super) fn section7(l: &mut Vec<Entry>) {
    let close1000 = Case::close_payload(1000, b"");
    let c1 = close1000.clone();
    entry(l, "7.1.1", move |id| {
        Case::new(id, "text, then close: echo, then close 1000")
            .send(FIN | TEXT, b"Hello World!")
            .send(FIN | CLOSE, &c1)
            .expect_text(b"Hello World!")
            .closes_with(Some(1000))
    });
    let after: [(&str, &str, u8, &[u8]); 3] = [
        (
            "7.1.2",
            "close, then a second close: one reply",
            CLOSE,
            &[0x03, 0xe8],
        ),
        (
            "7.1.3",
            "close, then a ping: no pong",
            PING,
            b"ping payload",
        ),
        (
            "7.1.4",
            "close, then text: not echoed",
            TEXT,
            b"Hello World!",
        ),
    ];
    for (id, desc, op, p) in after {
        let c1 = close1000.clone();
        entry(l, id, move |id| {
            Case::new(id, desc)
                .send(FIN | CLOSE, &c1)
                .send(FIN | op, p)
                .closes_with(Some(1000))
        });
    }
    let c1 = close1000.clone();
    entry(l, "7.1.5", move |id| {
        Case::new(
            id,
            "fragment 1 of 2, close, fragment 2: clean close 1000, nothing echoed",
        )
        .send(TEXT, b"fragment1")
        .send(FIN | CLOSE, &c1)
        .send(FIN | CONT, b"fragment2")
        .closes_with(Some(1000))
    });
    let c1 = close1000.clone();
    entry(l, "7.1.6", move |id| {
        let big = b"BAsd7&jh23".repeat(26214);
        Case::new(id, "256 KiB text, close, ping: echo, close 1000, no pong")
            .send(FIN | TEXT, &big)
            .send(FIN | CLOSE, &c1)
            .send(FIN | PING, b"ping payload")
            .expect_text(&big)
            .closes_with(Some(1000))
    });
    entry(l, "7.3.1", |id| {
        Case::new(id, "close with an empty payload: empty close in reply")
            .send(FIN | CLOSE, b"")
            .closes_with(None)
    });
    entry(l, "7.3.2", |id| {
        Case::new(id, "close with a 1-byte payload: fail 1002")
            .send(FIN | CLOSE, b"a")
            .fails(1002)
    });
    entry(l, "7.3.3", |id| {
        Case::new(id, "close 1000 without reason: close 1000")
            .send(FIN | CLOSE, &Case::close_payload(1000, b""))
            .closes_with(Some(1000))
    });
    entry(l, "7.3.4", |id| {
        Case::new(id, "close 1000 with a reason: close 1000")
            .send(FIN | CLOSE, &Case::close_payload(1000, b"Hello World!"))
            .closes_with(Some(1000))
    });
    entry(l, "7.3.5", |id| {
        Case::new(id, "close 1000 with a 123-byte reason: close 1000")
            .send(FIN | CLOSE, &Case::close_payload(1000, &[b'*'; 123]))
            .closes_with(Some(1000))
    });
    entry(l, "7.3.6", |id| {
        Case::new(
            id,
            "close 1000 with a 124-byte reason (payload 126): fail 1002",
        )
        .send(FIN | CLOSE, &Case::close_payload(1000, &[b'*'; 124]))
        .fails(1002)
    });
    entry(l, "7.5.1", |id| {
        let reason: Vec<u8> = [KOSME, &[0xed, 0xa0, 0x80], b"edited"].concat();
        Case::new(id, "close 1000 with an invalid UTF-8 reason: fail 1007")
            .send(FIN | CLOSE, &Case::close_payload(1000, &reason))
            .fails(1007)
    });
    let valid = [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999, 1012,
        1013, 1014,
    ];
    for (i, code) in valid.into_iter().enumerate() {
        entry(l, format!("7.7.{}", i + 1), move |id| {
            let extra = if i >= 13 { " (extra)" } else { "" };
            Case::new(id, &format!("close with valid code {code}: echoed{extra}"))
                .send(FIN | CLOSE, &Case::close_payload(code, b""))
                .closes_with(Some(code))
        });
    }
    let invalid = [0u16, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 1015];
    for (i, code) in invalid.into_iter().enumerate() {
        entry(l, format!("7.9.{}", i + 1), move |id| {
            let extra = if i >= 9 { " (extra)" } else { "" };
            Case::new(
                id,
                &format!("close with invalid code {code}: fail 1002{extra}"),
            )
            .send(FIN | CLOSE, &Case::close_payload(code, b""))
            .fails(1002)
        });
    }
    for (i, code) in [5000u16, 65535].into_iter().enumerate() {
        entry(l, format!("7.13.{}", i + 1), move |id| {
            Case::new(
                id,
                &format!("close with code {code} (undefined, ≥ 5000): fail 1002 (strict)"),
            )
            .send(FIN | CLOSE, &Case::close_payload(code, b""))
            .fails(1002)
        });
    }
}
