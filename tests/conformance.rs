//! Conformance suite modelled on the Autobahn TestSuite (sections 1–7, a reduced 9, and 10),
//! run in process: every case's fuzzing-client bytes into a server `Connection` with an echo
//! loop, and valid traffic also through a client `Connection` wired back to back.
//!
//! The same table runs over loopback TCP against `examples/echo_server.rs` with
//! `bash conformance/run.sh` (see `examples/conformance.rs`). Set `CONFORMANCE_FILTER` to a
//! case-id prefix (e.g. `6.4.`) to run a subset.

mod common;

#[path = "conformance/cases.rs"]
mod cases;
#[path = "conformance/check.rs"]
mod check;
#[path = "conformance/inproc.rs"]
mod inproc;

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
