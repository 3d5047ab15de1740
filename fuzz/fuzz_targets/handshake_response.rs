#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wswire::fuzzing::handshake_response(data));
