//! WebKit's JavaScript engine, set up through the environment: WebKitGTK
//! starts its web process with this process's environment, and
//! JavaScriptCore reads its options from `JSC_*` variables there (WebKitGTK
//! has no API for them).
//!
//! The JIT is off. The window runs a small UI whose search and paging happen
//! in Rust (core's listing.rs), so the interpreter keeps up: `make bench`
//! shows the start and keystroke times beside the memory. It saves about
//! 6 MiB of the web process, and keeps writable-then-executable JIT memory
//! out of the process that shows revealed values. A value already set wins,
//! so a developer can compare.

/// The variable this module sets; programs the app launches get it removed
/// (a WebKitGTK browser started from here would run without its JIT).
pub const JIT_VAR: &str = "JSC_useJIT";

/// Call first thing in `main`, while no other thread exists.
#[allow(unsafe_code)]
pub fn configure() {
    if std::env::var_os(JIT_VAR).is_none() {
        // SAFETY: called at the start of `main`, before any thread is spawned
        // (Tauri, logging and WebKit start later), so nothing reads or writes
        // the environment meanwhile.
        unsafe { std::env::set_var(JIT_VAR, "0") };
    }
}
