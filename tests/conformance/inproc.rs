//! The in-process runners: the raw case bytes into a server `Connection` running the echo
//! loop; and, for valid traffic, a client `Connection` re-sending the script through its own
//! API to the same server, wired back to back (`common::Pair`).

use wswire::connection::{Config, Connection, Event, State};
use wswire::frame::{CloseCode, CloseFrame, Decoded, FrameHeader, MaskKey, Opcode, apply_mask};
use wswire::send::{Compression, FixedMask, MaskGen};

use crate::cases::{Case, Out};
use crate::check::Observed;
use crate::common::{Cx, Pair, drain_events};

/// The echo server's logic, written once: drain the connection's events, echoing each
/// message (pings are answered by auto-pong, Closes by the connection itself).
pub(crate) fn echo<M: MaskGen>(conn: &mut Connection<M>) -> Result<(), String> {
    enum Msg {
        Text(String),
        Binary(Vec<u8>),
    }
    loop {
        let msg = match conn.poll_event() {
            None => return Ok(()),
            Some(Ok(Event::Text { data, .. })) => Msg::Text(data.to_owned()),
            Some(Ok(Event::Binary { data, .. })) => Msg::Binary(data.to_vec()),
            Some(_) => continue,
        };
        let sent = match &msg {
            Msg::Text(t) => conn.send_text(t),
            Msg::Binary(b) => conn.send_binary(b),
        };
        sent.map_err(|e| format!("echo refused in state {:?}: {e}", conn.state()))?;
    }
}

/// The suite's largest messages are 4 MiB (cases 9.x and 10.1.5, as Autobahn's): above the
/// 1 MiB default limit, so both endpoints under test accept up to 16 MiB, as the servers and
/// clients of `conformance/run.sh` are told with `--max-message`.
fn suite_config() -> Config {
    let mut config = Config::default();
    config.recv.max_message_size = 16 << 20;
    config.recv.max_frame_payload = 16 << 20;
    config
}

fn server_config(case: &Case) -> Config {
    let mut config = suite_config();
    config.send.max_frame_payload = case.server_max_frame;
    config
}

/// Runs the case's raw bytes into a server connection, push by push.
pub(crate) fn run_server(case: &Case) -> Observed {
    let mut server = Connection::server_open(Default::default(), server_config(case));
    let mut obs = Observed::default();
    for push in &case.pushes {
        server.handle_input(&push.bytes);
        if let Err(e) = echo(&mut server) {
            obs.harness_error.get_or_insert(e);
        }
        while let Some(buf) = server.take_transmit() {
            obs.output.extend(buf);
        }
        obs.marks.push(obs.output.len());
    }
    obs.closed = if server.state() == State::Closed && server.should_close_transport() {
        Ok("should_close_transport".into())
    } else {
        Err(format!(
            "state {:?}, should_close_transport {}",
            server.state(),
            server.should_close_transport()
        ))
    };
    obs
}

/// One client action the `Connection` API can express.
enum Action {
    Text(String, bool),
    Binary(Vec<u8>, bool),
    Ping(Vec<u8>),
    Close(u16, String),
}

/// Decodes the script's (valid) client frames into API calls, grouped by the push in which
/// each frame completes. Text fragments that end inside a code point are carried over to
/// the next call (`send_text_part` takes `&str`). Unsolicited pongs have no API and are
/// dropped (they get no answer anyway).
fn actions(case: &Case) -> Result<Vec<Vec<Action>>, String> {
    let mut groups = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut pending_text: Vec<u8> = Vec::new();
    let mut kind = Opcode::Text;
    for push in &case.pushes {
        buf.extend_from_slice(&push.bytes);
        let mut group = Vec::new();
        loop {
            let (h, n) = match FrameHeader::decode(&buf) {
                Ok(Decoded::Complete(x)) => x,
                Ok(Decoded::Incomplete { .. }) => break,
                Err(e) => return Err(format!("script frame: {e}")),
            };
            let len = h.payload_len as usize;
            if buf.len() < n + len {
                break;
            }
            let mut payload = buf[n..n + len].to_vec();
            apply_mask(&mut payload, h.mask.unwrap_or(MaskKey([0; 4])), 0);
            buf.drain(..n + len);
            match h.opcode {
                Opcode::Text | Opcode::Binary | Opcode::Continuation => {
                    if h.opcode != Opcode::Continuation {
                        kind = h.opcode;
                    }
                    if kind == Opcode::Binary {
                        group.push(Action::Binary(payload, h.fin));
                        continue;
                    }
                    pending_text.extend_from_slice(&payload);
                    let valid = match std::str::from_utf8(&pending_text) {
                        Ok(s) => s.len(),
                        Err(e) if e.error_len().is_none() => e.valid_up_to(),
                        Err(e) => return Err(format!("script text: {e}")),
                    };
                    if valid == 0 && !h.fin && h.opcode == Opcode::Continuation {
                        continue;
                    }
                    let rest = pending_text.split_off(valid);
                    let piece = String::from_utf8(std::mem::replace(&mut pending_text, rest))
                        .map_err(|e| e.to_string())?;
                    group.push(Action::Text(piece, h.fin));
                }
                Opcode::Ping => group.push(Action::Ping(payload)),
                Opcode::Pong => {}
                Opcode::Close => match CloseFrame::decode(&payload) {
                    Ok(Some(f)) => group.push(Action::Close(f.code.as_u16(), f.reason.into())),
                    Ok(None) => return Err("an empty Close has no API".into()),
                    Err(e) => return Err(format!("script close: {e}")),
                },
                other => return Err(format!("opcode {other:?}")),
            }
        }
        groups.push(group);
    }
    Ok(groups)
}

/// The client events the expected server outputs become.
fn client_view(expect: &[Out]) -> Vec<Cx> {
    expect
        .iter()
        .map(|o| match o {
            Out::Text(b) => Cx::Text(String::from_utf8(b.clone()).unwrap_or_default()),
            Out::Binary(b) => Cx::Binary(b.clone()),
            Out::Ping(b) => Cx::Ping(b.clone()),
            Out::Pong(b) => Cx::Pong(b.clone()),
            Out::Close(c) => Cx::Close(c.unwrap_or(1005), String::new()),
        })
        .collect()
}

/// Moves bytes both ways (the server echoing) until neither side has output; returns the
/// client's events.
fn drive(pair: &mut Pair) -> Result<Vec<Cx>, String> {
    let mut events = Vec::new();
    loop {
        let mut c2s = Vec::new();
        while let Some(buf) = pair.client.take_transmit() {
            c2s.extend(buf);
        }
        if !c2s.is_empty() {
            pair.server.handle_input(&c2s);
        }
        echo(&mut pair.server)?;
        let mut s2c = Vec::new();
        while let Some(buf) = pair.server.take_transmit() {
            s2c.extend(buf);
        }
        if !s2c.is_empty() {
            pair.client.handle_input(&s2c);
        }
        events.extend(drain_events(&mut pair.client));
        if c2s.is_empty() && s2c.is_empty() && !pair.client.pending_output() != 0 {
            return Ok(events);
        }
    }
}

/// The client↔server run: `Ok(None)` when the case is not valid traffic the client API can
/// express (with the reason), `Ok(Some(()))` when it passed.
pub(crate) fn run_pair(case: &Case) -> Result<Option<()>, String> {
    if !case.valid {
        return Ok(None);
    }
    let Ok(groups) = actions(case) else {
        return Ok(None);
    };
    let mut pair = Pair {
        client: Connection::client_open(
            Default::default(),
            suite_config(),
            FixedMask(MaskKey([0x11, 0x22, 0x33, 0x44])),
        ),
        server: Connection::server_open(Default::default(), server_config(case)),
    };
    let mut events = Vec::new();
    for group in groups {
        for a in group {
            let r = match &a {
                Action::Text(s, fin) => pair.client.send_text_with(s, *fin, Compression::Auto),
                Action::Binary(b, fin) => pair.client.send_binary_with(b, *fin, Compression::Auto),
                Action::Ping(p) => pair.client.ping(p),
                Action::Close(code, reason) => pair.client.close(CloseCode::from(*code), reason),
            };
            if r.is_err() {
                // E.g. a data frame after the client's Close: the API refuses what the
                // script does on purpose; the raw-bytes run covers it.
                return Ok(None);
            }
        }
        events.extend(drive(&mut pair)?);
    }
    let want = client_view(&case.expect);
    if events != want {
        let i = events.iter().zip(&want).take_while(|(a, b)| a == b).count();
        let show = |e: Option<&Cx>| match e {
            Some(Cx::Text(s)) if s.len() > 40 => format!("Text({} B)", s.len()),
            Some(Cx::Binary(b)) if b.len() > 40 => format!("Binary({} B)", b.len()),
            other => format!("{other:?}"),
        };
        return Err(format!(
            "client saw {} event(s), expected {}; first difference at #{i}: got {}, expected {}",
            events.len(),
            want.len(),
            show(events.get(i)),
            show(want.get(i))
        ));
    }
    if pair.client.state() != State::Closed || !pair.server.should_close_transport() {
        return Err(format!(
            "not closed: client {:?}, server {:?} (should_close_transport {})",
            pair.client.state(),
            pair.server.state(),
            pair.server.should_close_transport()
        ));
    }
    Ok(Some(()))
}
