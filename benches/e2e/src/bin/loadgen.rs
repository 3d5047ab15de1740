//! The load generator: one tokio current-thread runtime, one fastwebsockets client (on the bare
//! `TcpStream`) per connection, the same for every server under test, so only the server
//! differs.
//!
//! ```text
//! loadgen --conns N --size BYTES [--kind binary|text] [--warmup S] [--duration S]
//!         [--server-pid PID] ADDR
//! loadgen --check ADDR
//! ```
//!
//! Each of the N connections does request/response round trips: it sends one message of BYTES
//! bytes (masked, fresh key each time) and waits for its echo, which is checked (opcode,
//! length, every byte), then sends the next. `--kind binary` (the default) sends Binary
//! messages of varied bytes; `--kind text` sends Text messages of valid UTF-8, mostly ASCII
//! with a multi-byte character in every 40 bytes (`wswire_e2e_benches::text_payload`), and
//! the echo must come back as Text. After `--warmup` seconds (default 1) a window of
//! `--duration` seconds (default 3) is measured: round trips completing inside it give msgs/s
//! and the latency percentiles (send → echo fully read). With `--server-pid`, the server's CPU
//! time is read by a separate thread at the exact start and end of the window: utime and
//! stime (user and system time) of `/proc/PID/stat`, which sum all the process's threads,
//! live and exited, in clock ticks of 10 ms; and, as a finer cross-check of their total, the
//! sum of `/proc/PID/task/*/schedstat` run times in ns. Each difference is divided by the
//! round trips completed in between: server CPU per echoed message, user, system and total.
//!
//! Output: one line `RESULT key=value ...` for the driver script (`run.sh`).
//!
//! `--check` instead verifies the server's behaviour once: text echoed as text, binary as
//! binary, the benchmark's own text and binary payloads at every size of the default matrix,
//! a fragmented text message echoed whole, large messages, a ping answered, and the close
//! handshake.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastwebsockets::{FragmentCollector, Frame, OpCode, Payload, Role, WebSocket, WebSocketError};
use tokio::net::TcpStream;
use wswire_e2e_benches::Kind;

type Ws = FragmentCollector<TcpStream>;

/// USER_HZ: the unit of utime/stime in /proc/PID/stat (fixed at 100 in Linux's user ABI).
const CLOCK_TICKS_PER_SEC: f64 = 100.0;

struct Args {
    addr: String,
    conns: usize,
    size: usize,
    kind: Kind,
    warmup: f64,
    duration: f64,
    server_pid: Option<u32>,
    check: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:9001".to_owned(),
        conns: 1,
        size: 20,
        kind: Kind::Binary,
        warmup: 1.0,
        duration: 3.0,
        server_pid: None,
        check: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--conns" => a.conns = value("--conns")?.parse().map_err(|e| format!("{e}"))?,
            "--size" => a.size = value("--size")?.parse().map_err(|e| format!("{e}"))?,
            "--kind" => a.kind = value("--kind")?.parse()?,
            "--warmup" => a.warmup = value("--warmup")?.parse().map_err(|e| format!("{e}"))?,
            "--duration" => {
                a.duration = value("--duration")?.parse().map_err(|e| format!("{e}"))?;
            }
            "--server-pid" => {
                a.server_pid = Some(value("--server-pid")?.parse().map_err(|e| format!("{e}"))?);
            }
            "--check" => a.check = true,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => a.addr = arg,
        }
    }
    if a.conns == 0 || !(a.duration > 0.0) || !(a.warmup >= 0.0) {
        return Err("--conns and --duration must be positive".to_owned());
    }
    Ok(a)
}

async fn connect(addr: &str) -> io::Result<Ws> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    wswire_e2e_benches::client_handshake(&mut stream, addr).await?;
    Ok(FragmentCollector::new(WebSocket::after_handshake(
        stream,
        Role::Client,
    )))
}

/// One round trip's record: when it completed, and how long it took.
#[derive(Clone, Copy)]
struct Sample {
    done: Instant,
    rtt_ns: u64,
}

/// Round trips on one connection until `end`.
async fn drive(
    mut ws: Ws,
    kind: Kind,
    pristine: Arc<Vec<u8>>,
    end: Instant,
) -> Result<Vec<Sample>, String> {
    let opcode = match kind {
        Kind::Binary => OpCode::Binary,
        Kind::Text => OpCode::Text,
    };
    let mut send = vec![0u8; pristine.len()];
    let mut samples = Vec::with_capacity(1 << 16);
    loop {
        let start = Instant::now();
        if start >= end {
            break;
        }
        // The client masks in place, so refill the send buffer each time.
        send.copy_from_slice(&pristine);
        let frame = Frame::new(true, opcode, None, Payload::BorrowedMut(&mut send));
        ws.write_frame(frame)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let frame = ws.read_frame().await.map_err(|e| format!("read: {e}"))?;
        let done = Instant::now();
        if frame.opcode != opcode || frame.payload[..] != pristine[..] {
            return Err(format!(
                "bad echo: {:?} of {} bytes (expected {opcode:?} of {})",
                frame.opcode,
                frame.payload.len(),
                pristine.len()
            ));
        }
        samples.push(Sample {
            done,
            rtt_ns: (done - start).as_nanos() as u64,
        });
    }
    // Close politely (the server may already be gone at the very end; that is fine).
    let _ = ws.write_frame(Frame::close(1000, b"")).await;
    Ok(samples)
}

/// utime and stime of the process (all its threads, live and exited), in clock ticks.
fn cpu_ticks(pid: u32) -> io::Result<(u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| io::Error::other("bad /proc/PID/stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| -> io::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| io::Error::other("bad /proc/PID/stat field"))
    };
    Ok((num(11)?, num(12)?))
}

/// Time on CPU of all the process's live threads, in ns (first field of each task's
/// schedstat), and how many threads there are.
fn sched_ns(pid: u32) -> io::Result<(u64, usize)> {
    let mut total = 0;
    let mut threads = 0;
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        threads += 1;
        let path = entry?.path().join("schedstat");
        if let Ok(s) = std::fs::read_to_string(path) {
            total += s
                .split_whitespace()
                .next()
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Ok((total, threads))
}

/// The server's CPU counters at one instant.
#[derive(Clone, Copy)]
struct CpuMark {
    at: Instant,
    user_ticks: u64,
    sys_ticks: u64,
    sched_ns: u64,
    threads: usize,
}

fn mark(pid: Option<u32>) -> io::Result<CpuMark> {
    let ((user_ticks, sys_ticks), (sched, threads)) = match pid {
        Some(p) => (cpu_ticks(p)?, sched_ns(p)?),
        None => ((0, 0), (0, 0)),
    };
    Ok(CpuMark {
        at: Instant::now(),
        user_ticks,
        sys_ticks,
        sched_ns: sched,
        threads,
    })
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64
}

async fn bench(a: &Args) -> Result<(), String> {
    let mut conns = Vec::with_capacity(a.conns);
    for _ in 0..a.conns {
        conns.push(
            connect(&a.addr)
                .await
                .map_err(|e| format!("connect: {e}"))?,
        );
    }
    let t0 = Instant::now();
    let start = t0 + Duration::from_secs_f64(a.warmup);
    let end = start + Duration::from_secs_f64(a.duration);

    // The CPU marks come from a plain thread, so they land on the window's edges however busy
    // the runtime is.
    let pid = a.server_pid;
    let marker = std::thread::spawn(move || -> io::Result<(CpuMark, CpuMark)> {
        std::thread::sleep(start.saturating_duration_since(Instant::now()));
        let first = mark(pid)?;
        std::thread::sleep(end.saturating_duration_since(Instant::now()));
        let last = mark(pid)?;
        Ok((first, last))
    });

    let pristine = Arc::new(wswire_e2e_benches::payload(a.kind, a.size));
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|ws| tokio::spawn(drive(ws, a.kind, Arc::clone(&pristine), end)))
        .collect();
    // Await the connections first: joining the marker thread would block the runtime.
    let mut all = Vec::with_capacity(tasks.len());
    for t in tasks {
        all.push(t.await.map_err(|e| format!("task: {e}"))??);
    }
    let (first, last) = marker
        .join()
        .map_err(|_| "marker thread panicked".to_owned())?
        .map_err(|e| format!("reading the server's CPU time: {e}"))?;
    let mut rtts = Vec::new();
    let mut per_conn = Vec::with_capacity(all.len());
    for samples in all {
        let before = rtts.len();
        rtts.extend(
            samples
                .iter()
                .filter(|s| s.done > first.at && s.done <= last.at)
                .map(|s| s.rtt_ns),
        );
        per_conn.push(rtts.len() - before);
    }
    let msgs = rtts.len();
    if msgs == 0 {
        return Err("no round trip completed in the measured window".to_owned());
    }
    rtts.sort_unstable();
    let secs = (last.at - first.at).as_secs_f64();
    let user_ticks = last.user_ticks - first.user_ticks;
    let sys_ticks = last.sys_ticks - first.sys_ticks;
    let ticks = user_ticks + sys_ticks;
    let cpu_s = ticks as f64 / CLOCK_TICKS_PER_SEC;
    let us_per_msg = |ticks: u64| ticks as f64 / CLOCK_TICKS_PER_SEC * 1e6 / msgs as f64;
    let sched_s = (last.sched_ns - first.sched_ns) as f64 / 1e9;
    let min_conn = per_conn.iter().min().copied().unwrap_or(0);
    let max_conn = per_conn.iter().max().copied().unwrap_or(0);
    // cpu_us_per_msg = user_us_per_msg + sys_us_per_msg (the same ticks).
    println!(
        "RESULT kind={} conns={} size={} secs={secs:.3} msgs={msgs} msgs_per_s={:.0} \
         p50_us={:.1} p99_us={:.1} max_us={:.1} server_user_ticks={user_ticks} \
         server_sys_ticks={sys_ticks} server_cpu_ticks={ticks} server_cpu_s={cpu_s:.2} \
         server_cpu_util={:.3} user_us_per_msg={:.3} sys_us_per_msg={:.3} \
         cpu_us_per_msg={:.3} sched_us_per_msg={:.3} server_threads={} \
         msgs_per_conn_min={min_conn} msgs_per_conn_max={max_conn}",
        a.kind.name(),
        a.conns,
        a.size,
        msgs as f64 / secs,
        percentile(&rtts, 50.0) / 1e3,
        percentile(&rtts, 99.0) / 1e3,
        *rtts.last().unwrap_or(&0) as f64 / 1e3,
        cpu_s / secs,
        us_per_msg(user_ticks),
        us_per_msg(sys_ticks),
        us_per_msg(ticks),
        sched_s * 1e6 / msgs as f64,
        last.threads.max(first.threads),
    );
    Ok(())
}

/// Reads the next data/pong/close frame and checks it.
async fn expect(ws: &mut Ws, opcode: OpCode, payload: &[u8], what: &str) -> Result<(), String> {
    let frame = ws
        .read_frame()
        .await
        .map_err(|e: WebSocketError| format!("{what}: read: {e}"))?;
    if frame.opcode != opcode || frame.payload[..] != *payload {
        return Err(format!(
            "{what}: got {:?} of {} bytes, expected {opcode:?} of {}",
            frame.opcode,
            frame.payload.len(),
            payload.len()
        ));
    }
    println!("ok: {what}");
    Ok(())
}

async fn check(addr: &str) -> Result<(), String> {
    let mut ws = connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    let w = |e: WebSocketError| format!("write: {e}");
    let text = "héllo, wörld ✓".as_bytes().to_vec();
    ws.write_frame(Frame::text(Payload::Owned(text.clone())))
        .await
        .map_err(w)?;
    expect(&mut ws, OpCode::Text, &text, "small text echoed as text").await?;

    let bin = wswire_e2e_benches::binary_payload(300);
    ws.write_frame(Frame::binary(Payload::Owned(bin.clone())))
        .await
        .map_err(w)?;
    expect(&mut ws, OpCode::Binary, &bin, "binary echoed as binary").await?;

    let big_text = "ünïcödé ".repeat(10_000).into_bytes();
    ws.write_frame(Frame::text(Payload::Owned(big_text.clone())))
        .await
        .map_err(w)?;
    expect(&mut ws, OpCode::Text, &big_text, "100 KB text").await?;

    let big_bin = wswire_e2e_benches::binary_payload(1 << 20);
    ws.write_frame(Frame::binary(Payload::Owned(big_bin.clone())))
        .await
        .map_err(w)?;
    expect(&mut ws, OpCode::Binary, &big_bin, "1 MiB binary").await?;

    // The benchmark's own payloads, as `drive` sends them, at every size of the default
    // matrix (and a few around the 40-byte blocks of the text pattern).
    for size in [0, 1, 19, 20, 21, 125, 126, 1024, 16384, 65535, 65536] {
        for (kind, opcode) in [(Kind::Binary, OpCode::Binary), (Kind::Text, OpCode::Text)] {
            let pristine = wswire_e2e_benches::payload(kind, size);
            let mut send = pristine.clone();
            let frame = Frame::new(true, opcode, None, Payload::BorrowedMut(&mut send));
            ws.write_frame(frame).await.map_err(w)?;
            let what = format!("{} payload of {size} B echoed as {opcode:?}", kind.name());
            expect(&mut ws, opcode, &pristine, &what).await?;
        }
    }

    // A text message in three fragments, split inside a code point.
    let whole = "fragmented ✓ message".as_bytes();
    let (a, rest) = whole.split_at(12); // inside '✓'
    let (b, c) = rest.split_at(3);
    for (fin, op, part) in [
        (false, OpCode::Text, a),
        (false, OpCode::Continuation, b),
        (true, OpCode::Continuation, c),
    ] {
        ws.write_frame(Frame::new(fin, op, None, Payload::Owned(part.to_vec())))
            .await
            .map_err(w)?;
    }
    expect(&mut ws, OpCode::Text, whole, "fragmented text echoed whole").await?;

    ws.write_frame(Frame::new(
        true,
        OpCode::Ping,
        None,
        Payload::Owned(b"ping!".to_vec()),
    ))
    .await
    .map_err(w)?;
    expect(&mut ws, OpCode::Pong, b"ping!", "ping answered").await?;

    ws.write_frame(Frame::close(1000, b"bye"))
        .await
        .map_err(w)?;
    let close = ws
        .read_frame()
        .await
        .map_err(|e| format!("close: read: {e}"))?;
    if close.opcode != OpCode::Close || close.payload.get(..2) != Some(&[0x03, 0xe8][..]) {
        return Err(format!(
            "close: got {:?} {:?}",
            close.opcode,
            &close.payload[..]
        ));
    }
    println!("ok: close handshake (1000 echoed)");
    Ok(())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = rt.block_on(async {
        if args.check {
            check(&args.addr).await
        } else {
            bench(&args).await
        }
    });
    if let Err(e) = result {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
}
