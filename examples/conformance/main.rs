//! The conformance suite (modelled on the Autobahn TestSuite) over loopback TCP, in two roles
//! and with or without permessage-deflate.
//!
//! ```text
//! cargo run --release --example echo_server -- 127.0.0.1:9001 &
//! cargo run --release --example conformance -- 127.0.0.1:9001              # a server
//! cargo run --release --example conformance -- --deflate 127.0.0.1:9001    # ... with deflate
//! cargo run --release --example conformance -- --client-cmd "target/release/examples/client_tokio --echo"
//! bash conformance/run.sh        # every server and client, both modes, on free ports
//! ```
//!
//! **Server role** (the default): each case opens its own connection (the opening handshake
//! is wswire's `handshake::ClientRequest`, resource `/conformance/<case>`), writes the case's
//! bytes with the same chops as the in-process test (a short sleep after pushes marked as
//! pauses), reads the server's answer on a second thread and checks the same strict
//! expectations: the echoes, pongs and Close frame in order, on time for the fail-fast
//! cases, nothing after the Close, and the server closing TCP.
//!
//! **Client role** (`--client-cmd CMD`): we listen (`--listen ADDR`, default 127.0.0.1:0;
//! the address is printed) and per case start `CMD ws://ADDR/conformance/<case>`, an echo
//! client; we answer its handshake and send the case's frames re-framed as server frames
//! (`tests/conformance/roles.rs`). Its output must be masked client frames with the same
//! echoes, pongs and Close; after its Close we close our side and it must close the
//! transport, then exit 0. `--client-url BASE` tells the client to connect to
//! `BASE/conformance/<case>` instead, e.g. `wss://localhost:PORT` of a TLS tunnel in front of
//! us (`wswire-async/examples/tls_tunnel.rs`: the suite over wss).
//!
//! **`--deflate`** (or `CONFORMANCE_DEFLATE=1`): permessage-deflate is offered (server role)
//! or agreed (client role); compressed messages are inflated by the checker with flate2, and
//! the cases RSV1 changes are adjusted (`roles::DEFLATE_CHANGES`).
//!
//! The case table is `tests/conformance/cases.rs`, shared with `cargo test --test
//! conformance`. Set `CONFORMANCE_FILTER` to a case-id prefix to run a subset. Exits
//! non-zero when a case fails.

#[path = "../../tests/conformance/cases.rs"]
mod cases;
#[path = "../../tests/conformance/check.rs"]
mod check;
mod client;
mod io;
#[path = "../../tests/conformance/roles.rs"]
mod roles;
mod server;

use std::process::ExitCode;
use std::time::Instant;

use cases::{Case, catalogue, known_failure};
use check::Observed;
use client::ClientUnderTest;

/// What is under test.
enum Target {
    /// A server at this address.
    Server(String),
    /// A client, started per case.
    Client(ClientUnderTest),
}

struct Args {
    target: Target,
    deflate: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut deflate = std::env::var("CONFORMANCE_DEFLATE").is_ok_and(|v| v == "1");
    let (mut addr, mut cmd, mut listen) = (None, None, "127.0.0.1:0".to_owned());
    let mut url_base = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--deflate" => deflate = true,
            "--client-cmd" => cmd = Some(it.next().ok_or("--client-cmd needs a command")?),
            "--listen" => listen = it.next().ok_or("--listen needs an address")?,
            "--client-url" => url_base = Some(it.next().ok_or("--client-url needs a URL")?),
            s if s.starts_with("--") => {
                return Err(format!(
                    "unknown option {s}; usage: conformance [--deflate] ADDR | conformance [--deflate] [--listen ADDR] [--client-url BASE] --client-cmd CMD"
                ));
            }
            _ => addr = Some(arg),
        }
    }
    let target = match cmd {
        Some(cmd) => Target::Client(ClientUnderTest::new(&listen, &cmd, url_base)?),
        None => Target::Server(addr.unwrap_or_else(|| "127.0.0.1:9001".to_owned())),
    };
    Ok(Args { target, deflate })
}

/// The case as this run sends it, and the observation.
fn run(args: &Args, case: Case) -> (Case, Result<Observed, String>) {
    let case = if args.deflate {
        match roles::for_deflate(case.clone()) {
            Ok(c) => c,
            Err(e) => return (case, Err(e)),
        }
    } else {
        case
    };
    match &args.target {
        Target::Server(addr) => {
            let obs = server::run(addr, &case, args.deflate);
            (case, Ok(obs))
        }
        Target::Client(t) => {
            let case = roles::for_client(case);
            let obs = client::run(t, &case, args.deflate);
            (case, Ok(obs))
        }
    }
}

/// The mode name in reports and in `cases::KNOWN_FAILURES`.
fn mode(args: &Args) -> &'static str {
    match (&args.target, args.deflate) {
        (Target::Server(_), false) => "loopback",
        (Target::Server(_), true) => "loopback-deflate",
        (Target::Client(_), false) => "client",
        (Target::Client(_), true) => "client-deflate",
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let against = match &args.target {
        Target::Server(addr) => addr.clone(),
        Target::Client(t) => {
            println!("listening on {} for {}", t.addr, t.cmd.join(" "));
            format!("the client {}", t.cmd.join(" "))
        }
    };
    let mode = mode(&args);
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();
    let started = Instant::now();
    let (mut passed, mut failed, mut known) = (0usize, Vec::new(), 0usize);
    let mut inflated = 0usize;
    for entry in catalogue() {
        if !entry.id.starts_with(&filter) {
            continue;
        }
        let t0 = Instant::now();
        let (case, obs) = run(&args, (entry.build)());
        let result = obs.and_then(|obs| {
            inflated += check::compressed_messages(&obs);
            check::check(&case, &obs, false)
        });
        let (status, detail) = match (&result, known_failure(&case.id, mode)) {
            (Ok(()), None) => ("PASS", String::new()),
            (Ok(()), Some(_)) => (
                "FAIL",
                " listed as a known failure but passes: remove it from the list".to_owned(),
            ),
            (Err(e), Some(why)) => ("KNOWN", format!(" [known failure: {why}] {e}")),
            (Err(e), None) => ("FAIL", format!(" {e}")),
        };
        println!(
            "{status:5} {:8} {mode}  {} -> {}{detail} [{} ms]",
            case.id,
            case.desc,
            check::outcome(&case),
            t0.elapsed().as_millis()
        );
        match status {
            "PASS" => passed += 1,
            "KNOWN" => known += 1,
            _ => failed.push(case.id.clone()),
        }
    }
    if known > 0 {
        println!("{known} known failure(s) (see cases::KNOWN_FAILURES)");
    }
    if !failed.is_empty() {
        println!("failed: {}", failed.join(" "));
    }
    println!(
        "{mode} against {against} in {:.1?}; {inflated} compressed message(s) inflated",
        started.elapsed()
    );
    println!("{passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
