//! Sections 9 (reduced) and 10: large messages, in one frame and fragmented; auto-fragmentation.

use super::*;

const KIB: usize = 1024;

const MIB: usize = 1024 * 1024;

/// Text payloads for large cases: ASCII with a multi-byte code point every so often.
fn big_text(n: usize) -> Vec<u8> {
    let unit = "BAsd7&jh23 κόσμε €".as_bytes();
    let mut v = unit.repeat(n / unit.len() + 1);
    v.truncate(n);
    // Cut back to a code point boundary, then pad with ASCII.
    while std::str::from_utf8(&v).is_err() {
        v.pop();
    }
    v.resize(n, b'*');
    v
}

fn big_binary(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn payload(op: u8, n: usize) -> Vec<u8> {
    if op == TEXT {
        big_text(n)
    } else {
        big_binary(n)
    }
}

/// Sends `msg` as one message in frames of `frag` bytes.
fn fragmented(c: &mut Case, op: u8, msg: &[u8], frag: usize) {
    let n = msg.len().div_ceil(frag).max(1);
    let mut all = Vec::with_capacity(msg.len() + n * 14);
    for (i, piece) in msg.chunks(frag.max(1)).enumerate() {
        let o = if i == 0 { op } else { CONT };
        let fin = if i + 1 == n { FIN } else { 0 };
        all.extend(c.frame(fin | o, piece));
    }
    // One push per 64 KiB of wire bytes.
    c.chop(&all, 64 * KIB, false);
}

pub(super) fn section9(l: &mut Vec<Entry>) {
    let sizes = [64 * KIB, 256 * KIB, MIB, 4 * MIB];
    for (g, op) in [(1, TEXT), (2, BINARY)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, n) in sizes.into_iter().enumerate() {
            entry(l, format!("9.{g}.{}", i + 1), move |id| {
                let msg = payload(op, n);
                Case::new(id, &format!("{kind} message of {} KiB", n / KIB))
                    .send(FIN | op, &msg)
                    .expect(echo(op, &msg))
                    .clean_close()
            });
        }
    }
    // Autobahn uses 4 MiB messages here; 1 MiB keeps the debug-build test fast.
    let frags = [64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, MIB];
    for (g, op) in [(3, TEXT), (4, BINARY)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, f) in frags.into_iter().enumerate() {
            entry(l, format!("9.{g}.{}", i + 1), move |id| {
                let msg = payload(op, MIB);
                let mut c = Case::new(
                    id,
                    &format!("1 MiB {kind} message in fragments of {f} bytes"),
                );
                fragmented(&mut c, op, &msg, f);
                c.expect(echo(op, &msg)).clean_close()
            });
        }
    }
    for (g, op) in [(5, TEXT), (6, BINARY)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, chop) in [64usize, 128, 256, 512, 1024, 2048].into_iter().enumerate() {
            entry(l, format!("9.{g}.{}", i + 1), move |id| {
                let msg = payload(op, MIB);
                Case::new(
                    id,
                    &format!("1 MiB {kind} message in chops of {chop} bytes"),
                )
                .send_chopped(FIN | op, &msg, chop, false)
                .expect(echo(op, &msg))
                .clean_close()
            });
        }
    }
    for (g, op) in [(7, TEXT), (8, BINARY)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, n) in [0usize, 16, 64, 256, KIB, 4 * KIB].into_iter().enumerate() {
            entry(l, format!("9.{g}.{}", i + 1), move |id| {
                let msg = payload(op, n);
                let mut c = Case::new(id, &format!("1000 {kind} messages of {n} bytes"));
                for _ in 0..1000 {
                    c.send(FIN | op, &msg);
                    c.expect(echo(op, &msg));
                }
                c.clean_close()
            });
        }
    }
}

pub(super) fn section10(l: &mut Vec<Entry>) {
    let cases: [(&str, u8, usize, usize, usize); 5] = [
        ("10.1.1", TEXT, 65536, 1300, 1300),
        ("10.1.2", BINARY, 65536, 1300, 1300),
        ("10.1.3", TEXT, MIB, MIB, 4096),
        ("10.1.4", TEXT, 4 * KIB, 7, 1),
        ("10.1.5", BINARY, 4 * MIB, 65536, 100_000),
    ];
    for (id, op, n, client_frag, server_frag) in cases {
        entry(l, id, move |id| {
            let kind = if op == TEXT { "text" } else { "binary" };
            let extra = if id == "10.1.1" { "" } else { " (extra)" };
            let msg = payload(op, n);
            let mut c = Case::new(
                id,
                &format!(
                    "{n}-byte {kind} message, client frames of {client_frag}, server fragments its echo at {server_frag}{extra}"
                ),
            );
            c.server_max_frame = Some(server_frag);
            fragmented(&mut c, op, &msg, client_frag);
            c.expect(echo(op, &msg)).clean_close()
        });
    }
}
