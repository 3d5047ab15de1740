//! wswire behind a hyper 1.x HTTP server (work in progress; see issue 5).
fn main() {}
