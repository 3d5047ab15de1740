//! The crate's modules form layers, and code only ever imports downwards: the pure codecs
//! know nothing of errors, errors know nothing of the state machines, and so on up to the
//! connection. Rust compiles module cycles without complaint, so this test reads the sources
//! and checks every `crate::…` path (and every `super::…` path that leaves its top-level
//! module) against the table below.

use std::fs;
use std::path::{Path, PathBuf};

/// The layer of each top-level module under `src/`, and of each item the crate root defines
/// or re-exports. A file may use its own top-level module and anything on a **strictly lower**
/// layer, so two modules on one layer never import each other and no cycle can form.
const LAYERS: &[(&str, u8)] = &[
    // 0: imports nothing in the crate.
    ("utf8", 0),
    ("http_grammar", 0), // RFC 9110 tokens, for both handshake/ and extensions/
    ("codec_error", 0),  // the DEFLATE engine's error, carried by ProtocolError
    ("Role", 0),         // defined in lib.rs
    // 1: the frame codecs (a close reason is UTF-8, so frame/close.rs uses utf8).
    ("frame", 1),
    ("CloseCode", 1),
    ("Decoded", 1),
    // 2: the errors, with the one peer-error → close-code mapping.
    ("error", 2),
    ("ProtocolError", 2),
    ("UsageError", 2),
    // 3: the extension grammar, negotiation hooks and the permessage-deflate codec.
    ("extensions", 3),
    // 4: the directional state machines and the opening handshake.
    ("recv", 4),
    ("send", 4),
    ("handshake", 4),
    // 5: the endpoint.
    ("connection", 5),
    ("Connection", 5),
    ("Config", 5),
    ("Event", 5),
    ("Error", 5),
];

/// Not checked: the crate root declares and re-exports every module, and the fuzz harnesses
/// drive every layer at once.
const EXEMPT: &[&str] = &["lib.rs", "fuzzing"];

fn layer(name: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|&(_, l)| l)
}

/// One path into the crate found in a source file.
#[derive(Debug, PartialEq, Eq)]
struct Use {
    /// 1-based line of the path.
    line: usize,
    /// The module or root item the path names first (`error` in `crate::error::X`).
    target: String,
    /// How the path was written, for the report.
    written: String,
    /// Whether it was a `super::` path (whose resolution here ignores inline modules, so
    /// unknown names are skipped rather than reported).
    relative: bool,
}

/// `source` with comments and the contents of string and character literals blanked out,
/// keeping every byte offset (and so every line number) where it was.
fn code_only(source: &str) -> String {
    let b = source.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                let start = i;
                while i < b.len() {
                    if b[i..].starts_with(b"/*") {
                        depth += 1;
                        i += 2;
                    } else if b[i..].starts_with(b"*/") {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                blank(&mut out, start, i);
            }
            b'r' if matches!(b.get(i + 1), Some(b'#' | b'"'))
                && (i == 0 || !is_ident(b[i - 1])) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let open = i + 1 + hashes;
                if b.get(open) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                let end = find(b, open + 1, &close).map_or(b.len(), |n| n + close.len());
                blank(&mut out, open + 1, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j.min(b.len()));
                i = j + 1;
            }
            b'\'' => {
                // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
                let end = if b.get(i + 1) == Some(&b'\\') {
                    find(b, i + 3, b"'").map(|n| n + 1)
                } else {
                    let width = source[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + width) == Some(&b'\'')).then_some(i + 2 + width)
                };
                match end {
                    Some(end) => {
                        blank(&mut out, i + 1, end - 1);
                        i = end;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|n| from + n)
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_at(code: &str, at: usize) -> &str {
    let rest = &code[at..];
    let n = rest.bytes().take_while(|&c| is_ident(c)).count();
    &rest[..n]
}

/// The first names of a path's remainder after `crate::` (or after enough `super::` to reach
/// the crate root): one name, or each element of a `{…}` group.
fn first_names(code: &str, at: usize) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    let mut i = at;
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if b.get(i) != Some(&b'{') {
        return vec![(i, ident_at(code, i).to_owned())];
    }
    let mut names = Vec::new();
    let mut depth = 0;
    let mut element_start = true;
    while i < b.len() {
        match b[i] {
            b'{' => {
                depth += 1;
                element_start = depth == 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => element_start = true,
            c if element_start && depth == 1 && !c.is_ascii_whitespace() => {
                element_start = false;
                let name = if c == b'*' {
                    "*".to_owned()
                } else {
                    ident_at(code, i).to_owned()
                };
                names.push((i, name));
            }
            _ => {}
        }
        i += 1;
    }
    names
}

/// Every path into the crate that `source` (the file of module `module`, e.g.
/// `["extensions", "deflate"]`) writes outside comments and literals.
fn crate_paths(source: &str, module: &[String]) -> Vec<Use> {
    let code = code_only(source);
    let b = code.as_bytes();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut uses = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        if at > 0 && (is_ident(b[at - 1]) || b[at - 1] == b'$') {
            continue;
        }
        for (name_at, target) in first_names(&code, at + "crate::".len()) {
            uses.push(Use {
                line: line_of(name_at),
                written: format!("crate::{target}"),
                target,
                relative: false,
            });
        }
    }
    for (at, _) in code.match_indices("super::") {
        if at > 0 && (is_ident(b[at - 1]) || code[..at].ends_with("super::")) {
            continue;
        }
        let mut ups = 0;
        let mut rest = at;
        while code[rest..].starts_with("super::") {
            ups += 1;
            rest += "super::".len();
        }
        if ups < module.len() {
            continue; // stays inside its top-level module
        }
        for (name_at, target) in first_names(&code, rest) {
            uses.push(Use {
                line: line_of(name_at),
                written: format!("{}{target}", "super::".repeat(ups)),
                target,
                relative: true,
            });
        }
    }
    uses.sort_by_key(|u| u.line);
    uses
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/extensions/deflate/codec.rs` → `["extensions", "deflate", "codec"]`;
/// `src/handshake/mod.rs` → `["handshake"]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" {
            parts.push(stem.to_owned());
        }
    }
    parts
}

/// Every import in `src/` that does not point strictly down the table, as `file:line: …`.
fn violations() -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let shown = Path::new("src").join(relative).display().to_string();
        let module = module_path(relative);
        let top = module.first().map_or("", String::as_str);
        if relative == Path::new("lib.rs") || EXEMPT.contains(&top) {
            continue;
        }
        let Some(own) = layer(top) else {
            found.push(format!(
                "{shown}: module `{top}` has no layer; add it to LAYERS in tests/layers.rs"
            ));
            continue;
        };
        let source = fs::read_to_string(&file).expect("a UTF-8 source file");
        for u in crate_paths(&source, &module) {
            if u.target == top {
                continue;
            }
            match layer(&u.target) {
                Some(theirs) if theirs < own => {}
                Some(theirs) => found.push(format!(
                    "{shown}:{}: `{top}` (layer {own}) uses `{}` (layer {theirs})",
                    u.line, u.written
                )),
                None if u.relative => {}
                None => found.push(format!(
                    "{shown}:{}: `{top}` (layer {own}) uses `{}`, which has no layer in \
                     tests/layers.rs",
                    u.line, u.written
                )),
            }
        }
    }
    found
}

#[test]
fn lower_layers_never_import_higher_ones() {
    let found = violations();
    for v in &found {
        println!("{v}");
    }
    assert!(
        found.is_empty(),
        "{} import(s) against the layer order (listed above)",
        found.len()
    );
}

#[test]
fn the_scanner_sees_grouped_and_relative_paths_but_not_comments_or_strings() {
    let source = r#"
use crate::frame::Opcode;
use crate::{error::ProtocolError, send::{self, DataKind}};
// use crate::connection;
/* use crate::connection; */
/// See [`crate::connection`].
const S: &str = "crate::connection";
const C: char = '"';
macro_rules! m { () => { $crate::connection::Connection } }
fn f<'a>(x: &'a str) -> &'a str { let _ = crate::handshake::VERSION; x }
use super::super::recv::Receiver;
use super::Sibling;
const Q: u8 = b'\''; const P: &str = crate::utf8::NAME;
"#;
    let module = ["extensions".to_owned(), "deflate".to_owned()];
    let got: Vec<(usize, String, bool)> = crate_paths(source, &module)
        .into_iter()
        .map(|u| (u.line, u.target, u.relative))
        .collect();
    let expected = [
        (2, "frame", false),
        (3, "error", false),
        (3, "send", false),
        (10, "handshake", false),
        (11, "recv", true),
        (13, "utf8", false),
    ];
    let expected: Vec<(usize, String, bool)> = expected
        .iter()
        .map(|&(l, t, r)| (l, t.to_owned(), r))
        .collect();
    assert_eq!(got, expected);
}
