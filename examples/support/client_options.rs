//! The client example's command line (see `client.rs` for the options).

use std::time::Duration;

use wswire::extensions::deflate::{DeflateOffer, PERMESSAGE_DEFLATE};
use wswire::extensions::parse_header;

use super::frame_tap::FrameTap;

#[derive(Default)]
pub(crate) struct Options {
    pub(crate) url: String,
    pub(crate) binary: bool,
    pub(crate) messages: Vec<Vec<u8>>,
    pub(crate) fragment: Option<usize>,
    pub(crate) ping: Option<Vec<u8>>,
    pub(crate) close: u16,
    pub(crate) reason: String,
    pub(crate) expect_echo: bool,
    pub(crate) expect_close: Option<u16>,
    pub(crate) wait: Duration,
    pub(crate) quiet: bool,
    /// `None` with `--no-deflate`, else the permessage-deflate offer.
    pub(crate) deflate: Option<DeflateOffer>,
    pub(crate) deflate_threshold: Option<usize>,
    pub(crate) expect_extension: Vec<String>,
    /// For the messages sent, and received.
    pub(crate) expect_compressed: Option<[Expect; 2]>,
}

/// `--expect-compressed`: which data messages of one direction must have been compressed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    All,
    None,
    Any,
}

impl Expect {
    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "all" => Ok(Self::All),
            "none" => Ok(Self::None),
            "any" => Ok(Self::Any),
            _ => Err(format!(
                "--expect-compressed: {s:?} is not all, none or any"
            )),
        }
    }

    pub(crate) fn holds(self, tap: &FrameTap) -> bool {
        match self {
            Self::All => tap.compressed == tap.messages,
            Self::None => tap.compressed == 0,
            Self::Any => true,
        }
    }
}

/// Parses `--deflate-offer`'s parameters (`""` for none), as they would follow
/// `permessage-deflate;` in the header.
fn deflate_offer(params: &str) -> Result<DeflateOffer, String> {
    let header = if params.trim().is_empty() {
        PERMESSAGE_DEFLATE.to_owned()
    } else {
        format!("{PERMESSAGE_DEFLATE}; {params}")
    };
    let bad = || format!("--deflate-offer: not a valid permessage-deflate offer: {params:?}");
    let offers = parse_header(header.as_bytes()).map_err(|_| bad())?;
    match offers.as_slice() {
        [offer] => DeflateOffer::parse(offer.params()).ok_or_else(bad),
        _ => Err(bad()),
    }
}

impl Options {
    pub(crate) fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut o = Self {
            close: 1000,
            wait: Duration::from_secs(5),
            deflate: Some(DeflateOffer::default()),
            ..Self::default()
        };
        let mut sizes = Vec::new();
        let mut positional = Vec::new();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--binary" => o.binary = true,
                "--expect-echo" => o.expect_echo = true,
                "--quiet" => o.quiet = true,
                "--size" => sizes.push(number(&value("--size")?)?),
                "--fragment" => o.fragment = Some(number::<usize>(&value("--fragment")?)?.max(1)),
                "--ping" => o.ping = Some(value("--ping")?.into_bytes()),
                "--close" => o.close = number(&value("--close")?)?,
                "--reason" => o.reason = value("--reason")?,
                "--expect-close" => o.expect_close = Some(number(&value("--expect-close")?)?),
                "--wait" => o.wait = Duration::from_secs_f64(number::<f64>(&value("--wait")?)?),
                "--no-deflate" => o.deflate = None,
                "--deflate-offer" => o.deflate = Some(deflate_offer(&value("--deflate-offer")?)?),
                "--deflate-threshold" => {
                    o.deflate_threshold = Some(number(&value("--deflate-threshold")?)?);
                }
                "--expect-extension" => o.expect_extension.push(value("--expect-extension")?),
                "--expect-compressed" => {
                    let v = value("--expect-compressed")?;
                    let (sent, received) = v
                        .split_once(',')
                        .ok_or("--expect-compressed needs SENT,RECEIVED")?;
                    o.expect_compressed = Some([Expect::parse(sent)?, Expect::parse(received)?]);
                }
                "-h" | "--help" => return Err("help".to_owned()),
                "--" => positional.extend(args.by_ref()),
                s if s.starts_with("--") => return Err(format!("unknown option {s}")),
                _ => positional.push(arg),
            }
        }
        let mut positional = positional.into_iter();
        o.url = positional.next().ok_or("missing URL")?;
        o.messages = positional.map(String::into_bytes).collect();
        o.messages
            .extend(sizes.into_iter().map(|n| payload(n, o.binary)));
        Ok(o)
    }
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

/// A generated message of `n` bytes: printable ASCII for text, every byte value for binary.
fn payload(n: usize, binary: bool) -> Vec<u8> {
    if binary {
        (0..n).map(|i| (i * 7 % 256) as u8).collect()
    } else {
        (0..n).map(|i| b'a' + (i % 26) as u8).collect()
    }
}
