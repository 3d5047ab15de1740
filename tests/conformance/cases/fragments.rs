//! Section 5: fragmentation, with control frames between fragments, in every send mode.

use super::*;

pub(super) fn section5(l: &mut Vec<Entry>) {
    entry(l, "5.1", |id| {
        Case::new(id, "ping in 2 fragments: fail 1002")
            .send(PING, b"fragment1")
            .send(FIN | CONT, b"fragment2")
            .fails(1002)
    });
    entry(l, "5.2", |id| {
        Case::new(id, "pong in 2 fragments: fail 1002")
            .send(PONG, b"fragment1")
            .send(FIN | CONT, b"fragment2")
            .fails(1002)
    });
    for (n, (mode, how)) in MODES.into_iter().enumerate() {
        entry(l, format!("5.{}", 3 + n), move |id| {
            let mut c = Case::new(id, &format!("text in 2 fragments{how}"));
            let frames = vec![
                c.frame(TEXT, b"fragment1"),
                c.frame(FIN | CONT, b"fragment2"),
            ];
            send_frames(&mut c, frames, mode);
            c.expect_text(b"fragment1fragment2").clean_close()
        });
        entry(l, format!("5.{}", 6 + n), move |id| {
            let mut c = Case::new(
                id,
                &format!("text in 2 fragments with a ping between{how}: pong first, then echo"),
            );
            let frames = vec![c.frame(TEXT, b"fragment1"), c.frame(FIN | PING, b"pongme!")];
            send_frames(&mut c, frames, mode);
            // The pong is sent before the message completes (RFC 6455 §5.4).
            c.expect_pong(b"pongme!").checkpoint();
            let last = c.frame(FIN | CONT, b"fragment2");
            send_frames(&mut c, vec![last], mode);
            c.expect_text(b"fragment1fragment2").clean_close()
        });
        entry(l, format!("5.{}", 9 + n), move |id| {
            let mut c = Case::new(
                id,
                &format!("continuation (FIN) with nothing to continue, then text{how}: fail 1002"),
            );
            let frames = vec![
                c.frame(FIN | CONT, b"non-continuation payload"),
                c.frame(FIN | TEXT, b"Hello, world!"),
            ];
            let at = header_push(&c, mode);
            send_frames(&mut c, frames, mode);
            // Decided at the first header: fail before the text is sent.
            c.fails_fast(1002, at)
        });
        entry(l, format!("5.{}", 12 + n), move |id| {
            let mut c = Case::new(
                id,
                &format!(
                    "continuation (no FIN) with nothing to continue, then text{how}: fail 1002"
                ),
            );
            let frames = vec![
                c.frame(CONT, b"non-continuation payload"),
                c.frame(FIN | TEXT, b"Hello, world!"),
            ];
            let at = header_push(&c, mode);
            send_frames(&mut c, frames, mode);
            c.fails_fast(1002, at)
        });
    }
    entry(l, "5.15", |id| {
        let mut c = Case::new(
            id,
            "text in 2 fragments, then continuation with nothing to continue, then text, one chop: echo, fail 1002",
        );
        let mut all = c.frame(TEXT, b"fragment1");
        all.extend(c.frame(FIN | CONT, b"fragment2"));
        all.extend(c.frame(CONT, b"fragment3"));
        all.extend(c.frame(FIN | TEXT, b"fragment4"));
        c.raw(all, false)
            .expect_text(b"fragment1fragment2")
            .fails(1002)
    });
    for (id, first) in [("5.16", CONT), ("5.17", FIN | CONT)] {
        entry(l, id, move |id| {
            let fin = if first & FIN != 0 { "with" } else { "without" };
            let mut c = Case::new(
                id,
                &format!(
                    "2x: continuation {fin} FIN with nothing to continue, then text in 2 fragments: fail 1002"
                ),
            );
            let mut all = Vec::new();
            for _ in 0..2 {
                all.extend(c.frame(first, b"fragment1"));
                all.extend(c.frame(TEXT, b"fragment2"));
                all.extend(c.frame(FIN | CONT, b"fragment3"));
            }
            c.raw(all, false).fails(1002)
        });
    }
    entry(l, "5.18", |id| {
        Case::new(id, "text in 2 fragments, both with opcode text: fail 1002")
            .send(TEXT, b"fragment1")
            .send(FIN | TEXT, b"fragment2")
            .fails(1002)
    });
    for (id, paused_all) in [("5.19", false), ("5.20", true)] {
        entry(l, id, move |id| {
            let how = if paused_all {
                "frame-wise with pauses"
            } else {
                "with pauses before the pings"
            };
            let mut c = Case::new(
                id,
                &format!(
                    "text in 5 fragments with 2 pings between, {how}: each pong at once, then echo"
                ),
            );
            c.send_paused(TEXT, b"fragment1");
            if paused_all {
                c.send_paused(CONT, b"fragment2");
            } else {
                c.send(CONT, b"fragment2");
            }
            c.send_paused(FIN | PING, b"pongme 1!");
            c.expect_pong(b"pongme 1!").checkpoint();
            c.send_paused(CONT, b"fragment3");
            c.send_paused(CONT, b"fragment4");
            c.send_paused(FIN | PING, b"pongme 2!");
            c.expect_pong(b"pongme 2!").checkpoint();
            c.send(FIN | CONT, b"fragment5");
            c.expect_text(b"fragment1fragment2fragment3fragment4fragment5")
                .clean_close()
        });
    }
    entry(l, "5.21", |id| {
        // Client role: the same bytes arrive masked from the server, and a client must fail
        // a masked frame (RFC 6455 §5.1).
        Case::new(
            id,
            "text, then an unmasked text (extra; client role: a masked one): echo, then fail 1002",
        )
        .send(FIN | TEXT, b"masked as it must be")
        .raw(Case::unmasked_frame(FIN | TEXT, b"unmasked"), false)
        .send(FIN | PING, b"never answered")
        .expect_text(b"masked as it must be")
        .fails(1002)
    });
}
