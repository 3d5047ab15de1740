//! Decodes the example frames of RFC 6455 §5.7 with wswire's pure codecs and prints what
//! each one holds, then re-encodes each header to show it round-trips.
//!
//! `cargo run --example rfc_frames`

use wswire::frame::{CloseFrame, Decoded, FrameHeader, MAX_HEADER_LEN, apply_mask};
use wswire::utf8::Utf8Validator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let examples: [(&str, &[u8]); 6] = [
        (
            "single-frame unmasked text",
            &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
        ),
        (
            "single-frame masked text",
            &[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ],
        ),
        ("fragmented text, first", &[0x01, 0x03, 0x48, 0x65, 0x6c]),
        ("fragmented text, last", &[0x80, 0x02, 0x6c, 0x6f]),
        ("unmasked ping", &[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
        (
            "close 1000 \"bye\"",
            &[0x88, 0x05, 0x03, 0xe8, 0x62, 0x79, 0x65],
        ),
    ];
    for (name, wire) in examples {
        let Decoded::Complete((header, n)) = FrameHeader::decode(wire)? else {
            return Err(format!("{name}: incomplete").into());
        };
        let mut payload = wire[n..].to_vec();
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        let mut reencoded = [0u8; MAX_HEADER_LEN];
        let m = header.encode(&mut reencoded)?;
        assert_eq!(&reencoded[..m], &wire[..n], "header round trip");
        print!(
            "{name:28} {:02x?}\n{:28} fin={} opcode={:?} masked={} len={} -> ",
            wire,
            "",
            header.fin,
            header.opcode,
            header.mask.is_some(),
            header.payload_len
        );
        match header.opcode {
            wswire::frame::Opcode::Close => match CloseFrame::decode(&payload)? {
                Some(f) => println!("close code {} reason {:?}", f.code, f.reason),
                None => println!("close without status"),
            },
            _ => {
                let mut v = Utf8Validator::new();
                v.feed(&payload)?;
                println!("{:?}", String::from_utf8_lossy(&payload));
            }
        }
    }
    Ok(())
}
