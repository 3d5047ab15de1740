//! Replays every committed fuzz seed (`fuzz/corpus/<target>/*`) through the target's harness,
//! so the fuzz oracles run under a plain `cargo test` on stable.

use std::fs;
use std::path::Path;

#[test]
fn every_corpus_file_passes_its_harness() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut replayed = 0;
    let mut targets = 0;
    for dir in fs::read_dir(&root).expect("fuzz/corpus exists") {
        let dir = dir.unwrap().path();
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let harness = wswire::fuzzing::by_name(&name)
            .unwrap_or_else(|| panic!("fuzz/corpus/{name} names no harness in wswire::fuzzing"));
        targets += 1;
        for file in fs::read_dir(&dir).unwrap() {
            let data = fs::read(file.unwrap().path()).unwrap();
            harness(&data);
            replayed += 1;
        }
    }
    assert!(
        targets >= 2 && replayed >= targets,
        "{targets} targets, {replayed} seeds"
    );
}

#[test]
fn every_fuzz_target_is_one_line_calling_a_known_harness() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    for file in fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        assert!(
            wswire::fuzzing::by_name(&name).is_some(),
            "no harness for target {name}"
        );
        let src = fs::read_to_string(&path).unwrap();
        let call = format!("wswire::fuzzing::{name}(data)");
        assert!(src.contains(&call), "{name}.rs does not call {call}");
    }
}
