//! The fuzz oracles under a plain `cargo test`, on stable: every committed seed
//! (`fuzz/corpus/<target>/*`) replayed through its harness, the fuzz targets checked to be one
//! call each into this module, and the handshake harnesses run on randomly edited seeds.
//!
//! The published package leaves `fuzz/` out; there these tests say so and pass. In the
//! repository they read every seed, and fail if fewer than expected were read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

extern crate std;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use std::fs;
use std::path::PathBuf;
use std::println;

use proptest::prelude::*;

use super::{by_name, extensions_header, handshake_request, handshake_response};

/// `fuzz/<sub>` in the crate's source tree, or `None` (with a line saying so) where the
/// directory is not shipped.
fn fuzz_dir(sub: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "{} is not present (the published package excludes fuzz/); nothing to replay",
            dir.display()
        );
        None
    }
}

/// The name of a directory entry, as a `String`.
fn name_of(path: &std::path::Path, stem: bool) -> String {
    let name = if stem {
        path.file_stem()
    } else {
        path.file_name()
    };
    String::from(name.unwrap().to_str().unwrap())
}

/// The committed seeds of `target`, sorted.
fn seeds(corpus: &std::path::Path, target: &str) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = fs::read_dir(corpus.join(target))
        .unwrap()
        .map(|f| fs::read(f.unwrap().path()).unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn every_corpus_file_passes_its_harness() {
    let Some(root) = fuzz_dir("corpus") else {
        return;
    };
    let mut replayed = 0;
    let mut targets = 0;
    for dir in fs::read_dir(&root).expect("fuzz/corpus is readable") {
        let dir = dir.unwrap().path();
        let name = name_of(&dir, false);
        let harness = by_name(&name)
            .unwrap_or_else(|| panic!("fuzz/corpus/{name} names no harness in wswire::fuzzing"));
        targets += 1;
        for file in fs::read_dir(&dir).unwrap() {
            let data = fs::read(file.unwrap().path()).unwrap();
            harness(&data);
            replayed += 1;
        }
    }
    println!("replayed {replayed} seeds of {targets} fuzz targets");
    assert!(
        targets >= 2 && replayed >= targets,
        "{targets} targets, {replayed} seeds"
    );
}

#[test]
fn every_fuzz_target_is_one_line_calling_a_known_harness() {
    let Some(dir) = fuzz_dir("fuzz_targets") else {
        return;
    };
    let mut checked = 0;
    for file in fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        let name = name_of(&path, true);
        assert!(by_name(&name).is_some(), "no harness for target {name}");
        let src = fs::read_to_string(&path).unwrap();
        // `(data)`, or `(data, …)` for a harness that takes the other side of a comparison.
        let call = format!("wswire::fuzzing::{name}(data");
        assert!(src.contains(&call), "{name}.rs does not call {call}");
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} fuzz targets");
}

/// A fuzz harness.
type Harness = fn(&[u8]);

/// Applies byte edits to a seed: (position, operation, byte).
fn mutate(seed: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for &(pos, op, byte) in edits {
        let at = pos % (v.len() + 1);
        match op % 4 {
            0 => v.insert(at, byte),
            1 if at < v.len() => {
                v.remove(at);
            }
            2 if at < v.len() => v[at] = byte,
            _ => v.insert(at, b"\r\n:;,=\" \t"[usize::from(byte) % 9]),
        }
    }
    v
}

/// A stand-in for the fuzzer where cargo-fuzz is not installed: the three handshake
/// harnesses' oracles hold on randomly edited seeds.
#[test]
fn fuzz_oracles_hold_on_mutated_seeds() {
    let Some(corpus) = fuzz_dir("corpus") else {
        return;
    };
    let targets: [(&str, Harness); 3] = [
        ("handshake_request", handshake_request),
        ("handshake_response", handshake_response),
        ("extensions_header", extensions_header),
    ];
    let seeds: Vec<(Harness, Vec<Vec<u8>>)> = targets
        .iter()
        .map(|&(target, harness)| {
            let seeds = seeds(&corpus, target);
            assert!(!seeds.is_empty(), "no seeds in fuzz/corpus/{target}");
            (harness, seeds)
        })
        .collect();
    proptest!(|(
        which in 0..3usize,
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6),
    )| {
        let (harness, seeds) = &seeds[which];
        let seed: &Vec<u8> = pick.get(seeds);
        harness(&mutate(seed, &edits));
    });
}
