//! Hostile plugin for the host's sandbox tests: push panics (a trap, with panic = "abort").

hostile_kit::hostile!(
    "panic",
    "Hostile: push panics (a trap, with panic = \"abort\").",
    |batch| {
        panic!(
            "hostile plugin panics on purpose in push (window {}..{})",
            batch.window_start, batch.window_end
        )
    }
);
