//! Hostile plugin for the host's sandbox tests: push allocates until allocation fails.

hostile_kit::hostile!(
    "memory-bomb",
    "Hostile: push allocates until allocation fails.",
    |_batch| {
        // Every chunk stays reachable and is written, so the memory is really
        // used; the end is a failed memory.grow (abort, i.e. a trap) or the
        // host's limit.
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(std::hint::black_box(vec![0xA5; 1 << 20]));
        }
    }
);
