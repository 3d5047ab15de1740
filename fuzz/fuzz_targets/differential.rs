#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wswire::fuzzing::differential(data, wswire_fuzz::other));
