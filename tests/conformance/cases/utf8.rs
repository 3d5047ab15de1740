//! Section 6: UTF-8 in text messages, whole, fragmented and octet-wise; the decoder test sequences.

use super::*;

pub(super) fn section6(l: &mut Vec<Entry>) {
    entry(l, "6.1.1", |id| {
        Case::new(id, "empty text message")
            .send(FIN | TEXT, b"")
            .expect_text(b"")
            .clean_close()
    });
    entry(l, "6.1.2", |id| {
        Case::new(id, "empty text message in 3 empty fragments")
            .send(TEXT, b"")
            .send(CONT, b"")
            .send(FIN | CONT, b"")
            .expect_text(b"")
            .clean_close()
    });
    entry(l, "6.1.3", |id| {
        Case::new(id, "text in 3 fragments, first and last empty")
            .send(TEXT, b"")
            .send(CONT, b"middle frame payload")
            .send(FIN | CONT, b"")
            .expect_text(b"middle frame payload")
            .clean_close()
    });
    let hello = "Hello-µ@ßöäüàá-UTF-8!!".as_bytes();
    entry(l, "6.2.1", move |id| {
        Case::new(id, "valid UTF-8 text in one fragment")
            .send(FIN | TEXT, hello)
            .expect_text(hello)
            .clean_close()
    });
    entry(l, "6.2.2", move |id| {
        let cut = "Hello-µ@ßöä".len();
        Case::new(
            id,
            "valid UTF-8 text in 2 fragments, split at a code point boundary",
        )
        .send(TEXT, &hello[..cut])
        .send(FIN | CONT, &hello[cut..])
        .expect_text(hello)
        .clean_close()
    });
    for (id, msg, what) in [
        ("6.2.3", hello, "\"Hello-µ@ßöäüàá-UTF-8!!\""),
        ("6.2.4", KOSME, "\"κόσμε\""),
    ] {
        entry(l, id, move |id| {
            let mut c = Case::new(
                id,
                &format!("{what} with one octet per fragment (code points split across frames)"),
            );
            one_octet_frames(&mut c, msg);
            c.expect_text(msg).clean_close()
        });
    }
    let bad: Vec<u8> = [KOSME, &[0xed, 0xa0, 0x80], b"edited"].concat();
    let bad2 = bad.clone();
    entry(l, "6.3.1", move |id| {
        Case::new(
            id,
            "invalid UTF-8 (surrogate ed a0 80) in one fragment: fail 1007",
        )
        .send(FIN | TEXT, &bad)
        .fails(1007)
    });
    entry(l, "6.3.2", move |id| {
        let mut c = Case::new(
            id,
            "invalid UTF-8 (surrogate) with one octet per fragment: fail 1007 at the fragment carrying a0",
        );
        one_octet_frames(&mut c, &bad2);
        // Byte 12 (a0) cannot follow ed: fail on that fragment, before the rest is sent.
        c.fails_fast(1007, 12)
    });
    // 6.4.x: fail fast, inside a fragmented message (6.4.1/6.4.2) or a frame in chops
    // (6.4.3/6.4.4); the server must fail before the rest of the message is sent.
    let full: Vec<u8> = [KOSME, &[0xf4, 0x90, 0x80, 0x80], b"edited"].concat();
    let cuts = [(11usize, 15usize), (12, 13)];
    for (k, (a, b)) in cuts.into_iter().enumerate() {
        let f1 = full.clone();
        entry(l, format!("6.4.{}", k + 1), move |id| {
            Case::new(
                id,
                &format!(
                    "fail fast: 3 frames [{}] [{}] [{}]: fail 1007 after frame 2",
                    hexs(&f1[..a]),
                    hexs(&f1[a..b]),
                    hexs(&f1[b..])
                ),
            )
            .send_paused(TEXT, &f1[..a])
            .send_paused(CONT, &f1[a..b])
            .send(FIN | CONT, &f1[b..])
            .fails_fast(1007, 1)
        });
        let f2 = full.clone();
        entry(l, format!("6.4.{}", k + 3), move |id| {
            let mut c = Case::new(
                id,
                &format!(
                    "fail fast: one frame in 3 chops [{}] [{}] [{}]: fail 1007 after chop 2",
                    hexs(&f2[..a]),
                    hexs(&f2[a..b]),
                    hexs(&f2[b..])
                ),
            );
            let frame = c.frame(FIN | TEXT, &f2);
            let h = frame.len() - f2.len();
            c.raw(frame[..h + a].to_vec(), true)
                .raw(frame[h + a..h + b].to_vec(), true)
                .raw(frame[h + b..].to_vec(), false)
                .fails_fast(1007, 1)
        });
    }
    for (g, (name, seqs)) in utf8_groups().into_iter().enumerate() {
        for (i, (valid, bytes)) in seqs.into_iter().enumerate() {
            entry(l, format!("6.{}.{}", g + 5, i + 1), move |id| {
                let desc = format!(
                    "{name}: {} text [{}]",
                    if valid { "valid" } else { "invalid" },
                    hexs(&bytes)
                );
                let mut c = Case::new(id, &desc);
                c.send(FIN | TEXT, &bytes);
                if valid {
                    c.expect_text(&bytes).clean_close()
                } else {
                    c.fails(1007)
                }
            });
        }
    }
}

/// Sends `msg` as a text message with one octet per frame, each frame one paused push.
fn one_octet_frames(c: &mut Case, msg: &[u8]) {
    for (i, b) in msg.iter().enumerate() {
        let op = if i == 0 { TEXT } else { CONT };
        let fin = if i + 1 == msg.len() { FIN } else { 0 };
        c.send_paused(fin | op, &[*b]);
    }
}

/// A named group of (valid, bytes) UTF-8 test sequences.
type Utf8Group = (&'static str, Vec<(bool, Vec<u8>)>);

/// The UTF-8 decoder test sequences (Markus Kuhn's UTF-8-test.txt, as grouped by Autobahn
/// 6.5–6.23): (group name, [(valid, bytes)]).
#[allow(clippy::vec_init_then_push, reason = "a table, one group per push")]
fn utf8_groups() -> Vec<Utf8Group> {
    let ok = |b: &[u8]| (true, b.to_vec());
    let bad = |b: &[u8]| (false, b.to_vec());
    let mut g = Vec::new();
    g.push((
        "valid UTF-8 sequences",
        vec![
            ok(b"hello$world"),
            ok("hello¢world".as_bytes()),
            ok("hello€world".as_bytes()),
            ok("hello\u{24B62}world".as_bytes()),
            ok(KOSME),
        ],
    ));
    g.push((
        "prefixes of a valid multi-byte string",
        (1..=KOSME.len())
            .map(|n| {
                (
                    std::str::from_utf8(&KOSME[..n]).is_ok(),
                    KOSME[..n].to_vec(),
                )
            })
            .collect(),
    ));
    g.push((
        "first sequence of each length",
        vec![
            ok(&[0x00]),
            ok(&[0xc2, 0x80]),
            ok(&[0xe0, 0xa0, 0x80]),
            ok(&[0xf0, 0x90, 0x80, 0x80]),
        ],
    ));
    g.push((
        "first 5/6-byte sequences (beyond U+10FFFF)",
        vec![
            bad(&[0xf8, 0x88, 0x80, 0x80, 0x80]),
            bad(&[0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]),
        ],
    ));
    g.push((
        "last sequence of each length",
        vec![
            ok(&[0x7f]),
            ok(&[0xdf, 0xbf]),
            ok(&[0xef, 0xbf, 0xbf]),
            ok(&[0xf4, 0x8f, 0xbf, 0xbf]),
        ],
    ));
    g.push((
        "last 4/5/6-byte sequences (beyond U+10FFFF)",
        vec![
            bad(&[0xf7, 0xbf, 0xbf, 0xbf]),
            bad(&[0xfb, 0xbf, 0xbf, 0xbf, 0xbf]),
            bad(&[0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf]),
        ],
    ));
    g.push((
        "other boundary conditions",
        vec![
            ok(&[0xed, 0x9f, 0xbf]),
            ok(&[0xee, 0x80, 0x80]),
            ok(&[0xef, 0xbf, 0xbd]),
            ok(&[0xf4, 0x8f, 0xbf, 0xbf]),
            bad(&[0xf4, 0x90, 0x80, 0x80]),
        ],
    ));
    let cont: Vec<u8> = [0x80, 0xbf].repeat(3);
    let mut unexpected: Vec<(bool, Vec<u8>)> = (1..=6).map(|n| bad(&cont[..n])).collect();
    unexpected.insert(1, bad(&[0xbf]));
    unexpected.push(bad(&(0x80..0xbf).collect::<Vec<u8>>()));
    g.push(("unexpected continuation bytes", unexpected));
    g.push((
        "lonely start bytes, each followed by a space",
        [
            (0xc0u8, 0xdfu8),
            (0xe0, 0xef),
            (0xf0, 0xf7),
            (0xf8, 0xfb),
            (0xfc, 0xfd),
        ]
        .into_iter()
        .map(|(a, b)| (false, (a..b).flat_map(|x| [x, 0x20]).collect()))
        .collect(),
    ));
    let missing: [&[u8]; 10] = [
        &[0xc0],
        &[0xe0, 0x80],
        &[0xf0, 0x80, 0x80],
        &[0xf8, 0x80, 0x80, 0x80],
        &[0xfc, 0x80, 0x80, 0x80, 0x80],
        &[0xdf],
        &[0xef, 0xbf],
        &[0xf7, 0xbf, 0xbf],
        &[0xfb, 0xbf, 0xbf, 0xbf],
        &[0xfd, 0xbf, 0xbf, 0xbf, 0xbf],
    ];
    g.push((
        "sequences with the last continuation byte missing",
        missing.iter().map(|b| bad(b)).collect(),
    ));
    g.push((
        "concatenation of incomplete sequences",
        vec![bad(&missing.concat())],
    ));
    g.push((
        "impossible bytes",
        vec![bad(&[0xfe]), bad(&[0xff]), bad(&[0xfe, 0xfe, 0xff, 0xff])],
    ));
    g.push((
        "overlong ASCII '/'",
        vec![
            bad(&[0xc0, 0xaf]),
            bad(&[0xe0, 0x80, 0xaf]),
            bad(&[0xf0, 0x80, 0x80, 0xaf]),
            bad(&[0xf8, 0x80, 0x80, 0x80, 0xaf]),
            bad(&[0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf]),
        ],
    ));
    g.push((
        "maximum overlong sequences",
        vec![
            bad(&[0xc1, 0xbf]),
            bad(&[0xe0, 0x9f, 0xbf]),
            bad(&[0xf0, 0x8f, 0xbf, 0xbf]),
            bad(&[0xf8, 0x87, 0xbf, 0xbf, 0xbf]),
            bad(&[0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf]),
        ],
    ));
    g.push((
        "overlong NUL",
        vec![
            bad(&[0xc0, 0x80]),
            bad(&[0xe0, 0x80, 0x80]),
            bad(&[0xf0, 0x80, 0x80, 0x80]),
            bad(&[0xf8, 0x80, 0x80, 0x80, 0x80]),
            bad(&[0xfc, 0x80, 0x80, 0x80, 0x80, 0x80]),
        ],
    ));
    let singles: [[u8; 3]; 7] = [
        [0xed, 0xa0, 0x80],
        [0xed, 0xad, 0xbf],
        [0xed, 0xae, 0x80],
        [0xed, 0xaf, 0xbf],
        [0xed, 0xb0, 0x80],
        [0xed, 0xbe, 0x80],
        [0xed, 0xbf, 0xbf],
    ];
    g.push((
        "single UTF-16 surrogates",
        singles.iter().map(|b| bad(b)).collect(),
    ));
    let mut pairs = Vec::new();
    for hi in [0xa0u8, 0xad, 0xae, 0xaf] {
        let h = if hi == 0xa0 || hi == 0xae { 0x80 } else { 0xbf };
        for (lo, l2) in [(0xb0u8, 0x80u8), (0xbf, 0xbf)] {
            pairs.push(bad(&[0xed, hi, h, 0xed, lo, l2]));
        }
    }
    g.push(("paired UTF-16 surrogates", pairs));
    let mut nonchars = vec![ok(&[0xef, 0xbf, 0xbe]), ok(&[0xef, 0xbf, 0xbf])];
    for z1 in [0xf0u8, 0xf1, 0xf2, 0xf3, 0xf4] {
        for z2 in [0x8fu8, 0x9f, 0xaf, 0xbf] {
            if (z1 == 0xf4 && z2 != 0x8f) || (z1 == 0xf0 && z2 == 0x8f) {
                continue; // beyond U+10FFFF, or overlong
            }
            for z3 in [0xbeu8, 0xbf] {
                nonchars.push(ok(&[z1, z2, 0xbf, z3]));
            }
        }
    }
    g.push(("non-character code points (valid UTF-8)", nonchars));
    g.push((
        "Unicode specials",
        (0xb9u8..=0xbf).map(|x| ok(&[0xef, 0xbf, x])).collect(),
    ));
    g
}
