//! The remote-write decoder: any request body. The first byte chooses how
//! the rest is read: even, as a protobuf `WriteRequest` that is first
//! snappy-compressed (so the fuzzer reaches the protobuf reader without
//! having to learn snappy); odd, as the body on the wire. Decoded once with
//! a fresh decoder and once with one whose series cache lives across
//! inputs, as the receiver's does. Must never panic or hang.

#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use understudy_remote_write::{Decoder, decode};

/// The receiver's default limit on a decompressed body, scaled down: the
/// fuzzer must not spend its time allocating 64 MiB.
const MAX_DECODED: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let body = if mode % 2 == 0 {
        match snap::raw::Encoder::new().compress_vec(rest) {
            Ok(b) => b,
            Err(_) => return,
        }
    } else {
        rest.to_vec()
    };
    let once = decode(&body, MAX_DECODED);
    static CACHED: OnceLock<Mutex<Decoder>> = OnceLock::new();
    let cached =
        CACHED.get_or_init(|| Mutex::new(Decoder::new(MAX_DECODED).with_cache_capacity(64)));
    let mut decoder = cached.lock().unwrap_or_else(|p| p.into_inner());
    let again = decoder.decode(&body);
    // The cache must not change what a body decodes to.
    match (&once, &again) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.skipped, b.skipped, "the cache changed what was skipped");
            let key = |d: &understudy_remote_write::Decoded| -> Vec<(String, i64, u64)> {
                d.samples
                    .iter()
                    .map(|s| (s.series.to_string(), s.timestamp_ms, s.value.to_bits()))
                    .collect()
            };
            assert_eq!(key(a), key(b), "the cache changed the samples");
        }
        (Err(_), Err(_)) => {}
        _ => panic!("the cache changed whether the body decodes: {once:?} vs {again:?}"),
    }
});
