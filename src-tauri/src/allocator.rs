//! The C allocator's arenas, capped at two, and what they hold given back
//! after a burst of work.
//!
//! glibc gives threads their own malloc arenas (up to eight per core) and
//! keeps what a thread freed in its arena rather than returning it to the
//! system. Background passes (passes.rs) each run on a thread of their own
//! with a 5,000-secret plan of about 12 MiB at its peak, so every arena a
//! pass happened to use kept that much: `make bench` (bench_passes.py) showed
//! the app's memory growing by 97 MiB over 160 s of passes before levelling
//! off. With two arenas, what one pass freed is what the next one uses: the
//! same bench grows by under 1 MiB, and the CPU a pass costs does not change
//! (the app's threads seldom allocate at once). Passes at three remotes can
//! still overlap and set a new high-water mark, so the last pass of a burst
//! gives the free pages back ([`give_back`]).

/// Call first thing in `main`, before any thread is spawned.
#[allow(unsafe_code)]
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets a parameter of glibc's allocator; called
    // before any other thread exists, so no arena is being created meanwhile.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the arenas' free pages to the system (glibc's `malloc_trim`,
/// which walks every arena, not only the heap's top). Call after a burst of
/// work has freed what it built; it costs a fraction of a millisecond.
#[allow(unsafe_code)]
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes each arena's lock itself; safe to call
    // from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
