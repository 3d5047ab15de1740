//! Conformance suite modelled on the Autobahn TestSuite (sections 1–7, a reduced 9, and 10),
//! run in process: every case's fuzzing-client bytes into a server `Connection` with an echo
//! loop, and valid traffic also through a client `Connection` wired back to back.
//!
//! The same table runs over loopback TCP against `examples/echo_server.rs` with
//! `bash conformance/run.sh` (see `examples/conformance/main.rs`; it also tests clients and
//! runs with permessage-deflate, `conformance/roles.rs`). Set `CONFORMANCE_FILTER` to a
//! case-id prefix (e.g. `6.4.`) to run a subset.

mod common;

#[path = "conformance/cases.rs"]
mod cases;
#[path = "conformance/check.rs"]
mod check;
#[path = "conformance/inproc.rs"]
mod inproc;
#[path = "conformance/roles.rs"]
mod roles;

use std::time::Instant;

use cases::{catalogue, known_failure};

#[test]
fn conformance_in_process() {
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();
    let started = Instant::now();
    let (mut passed, mut failed, mut known) = (0usize, Vec::new(), 0usize);
    for entry in catalogue() {
        if !entry.id.starts_with(&filter) {
            continue;
        }
        let t0 = Instant::now();
        let case = (entry.build)();
        let raw = check::check(&case, &inproc::run_server(&case), true);
        let pair = inproc::run_pair(&case);
        let mut problems = Vec::new();
        let raw_s = match &raw {
            Ok(()) => "PASS".to_owned(),
            Err(e) => {
                problems.push(("in-process", format!("in-process: {e}")));
                "FAIL".to_owned()
            }
        };
        let pair_s = match &pair {
            Ok(Some(())) => "PASS".to_owned(),
            Ok(None) => "n/a".to_owned(),
            Err(e) => {
                problems.push(("pair", format!("pair: {e}")));
                "FAIL".to_owned()
            }
        };
        let mut status = "PASS";
        let mut detail = String::new();
        for (mode, p) in &problems {
            match known_failure(&case.id, mode) {
                Some(why) => {
                    status = "KNOWN";
                    detail.push_str(&format!(" [known failure: {why}] {p}"));
                }
                None => {
                    status = "FAIL";
                    detail.push_str(&format!(" {p}"));
                }
            }
        }
        if problems.is_empty()
            && (known_failure(&case.id, "in-process").is_some()
                || known_failure(&case.id, "pair").is_some())
        {
            status = "FAIL";
            detail.push_str(" listed as a known failure but passes: remove it from the list");
        }
        println!(
            "{status:5} {:8} in-process {raw_s:4} pair {pair_s:4}  {} -> {}{detail} [{} ms]",
            case.id,
            case.desc,
            check::outcome(&case),
            t0.elapsed().as_millis()
        );
        match status {
            "PASS" => passed += 1,
            "KNOWN" => known += 1,
            _ => failed.push(format!("{}:{detail}", case.id)),
        }
    }
    if known > 0 {
        println!("{known} known failure(s) (see cases::KNOWN_FAILURES)");
    }
    println!("in {:.1?}", started.elapsed());
    println!("{passed} passed, {} failed", failed.len());
    assert!(
        failed.is_empty(),
        "conformance failures:\n{}",
        failed.join("\n")
    );
}

/// The loopback runner's modes, checked on the whole table: every case with an RSV1 data
/// frame is in `roles::DEFLATE_CHANGES` (and nothing else is), and re-framing a case for a
/// client under test keeps its frames (mask bit flipped, payload unmasked), push count,
/// pauses and the frame a push boundary falls in.
#[test]
fn conformance_modes() {
    for entry in catalogue() {
        let case = (entry.build)();
        if let Err(e) = roles::for_deflate(case.clone()) {
            panic!("{e}");
        }
        let server = roles::to_server_frames(&case.pushes);
        assert_eq!(server.len(), case.pushes.len(), "{}", case.id);
        let join =
            |p: &[cases::Push]| -> Vec<u8> { p.iter().flat_map(|p| p.bytes.clone()).collect() };
        let (old, new) = (join(&case.pushes), join(&server));
        let (fo, fnew) = (roles::walk(&old), roles::walk(&new));
        assert_eq!(fo.len(), fnew.len(), "{}: frame count", case.id);
        for (a, b) in fo.iter().zip(&fnew) {
            assert_eq!(a.b0, b.b0, "{}", case.id);
            assert_eq!(
                a.key.is_some(),
                b.key.is_none(),
                "{}: mask bit not flipped",
                case.id
            );
            let unmask = |bytes: &[u8], key: Option<[u8; 4]>| -> Vec<u8> {
                let k = key.unwrap_or([0; 4]);
                bytes
                    .iter()
                    .enumerate()
                    .map(|(i, x)| x ^ k[i % 4])
                    .collect()
            };
            assert_eq!(
                unmask(&old[a.payload.clone()], a.key),
                unmask(&new[b.payload.clone()], b.key),
                "{}: payload",
                case.id
            );
        }
        let (mut eo, mut en) = (0, 0);
        for (p, q) in case.pushes.iter().zip(&server) {
            assert_eq!(p.pause, q.pause, "{}", case.id);
            eo += p.bytes.len();
            en += q.bytes.len();
            // A boundary stays in the same frame (or at the same frame's start).
            let frame_of = |frames: &[roles::RawFrame], o: usize| {
                frames.partition_point(|f| f.payload.end < o)
            };
            assert_eq!(
                frame_of(&fo, eo),
                frame_of(&fnew, en),
                "{}: boundary moved",
                case.id
            );
        }
    }
}
