//! Hostile plugin for the host's sandbox tests: push never returns.

hostile_kit::hostile!("infinite-loop", "Hostile: push never returns.", |_batch| {
    // black_box keeps the optimiser from proving the loop useless.
    let mut spins: u64 = 0;
    loop {
        spins = std::hint::black_box(spins.wrapping_add(1));
    }
});
