//! `keyhaven`: the vault from terminals and scripts. Thin over keyhaven-core:
//! parse, read input, call core, print.
// Text reaches the terminal only through `output`, which makes every line
// printable (a name from the vault file, a path or a remote's words can carry
// escape sequences).
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod askpass;
mod cli;
mod commands;
mod exit;
mod input;
mod notices;
mod output;
mod terminal;

use std::process::ExitCode;

/// Every block is wiped as it is freed: values pass through structures that
/// cannot hold `Zeroizing` buffers (the Aho-Corasick automata of `scan` and
/// `run`'s masker, serde's and clap's scratch), and their copies must not
/// outlive them in freed heap. A realloc moves through alloc, copy, wiped free.
#[global_allocator]
static ALLOCATOR: zalloc::ZeroizingAlloc<std::alloc::System> = zalloc::ZeroizingAlloc(std::alloc::System);

fn main() -> ExitCode {
    // First, while this is the only thread: nothing started later inherits them.
    let passphrases = input::PassphraseEnv::take();
    let cli = parse();
    output::set_quiet(cli.quiet);
    init_logging();
    match commands::dispatch(cli, passphrases) {
        Ok(code) => code,
        // A reader that went away (`keyhaven ls | head`) is not an error.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            output::error_line(&format!("keyhaven: {err:#}"));
            exit::code_for(&err)
        }
    }
}

/// The arguments, parsed with the colour `--color` asks for (clap's help
/// and errors; `auto` follows the terminal and NO_COLOR).
fn parse() -> cli::Cli {
    use clap::{CommandFactory, FromArgMatches};
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Run as `git-credential-keyhaven ACTION` (the package's link, which
    // `credential.helper = keyhaven` finds): `keyhaven git-credential ACTION`.
    let called =
        args.first().and_then(|arg0| std::path::Path::new(arg0).file_name()?.to_str().map(str::to_owned));
    if called.as_deref() == Some("git-credential-keyhaven") {
        args.insert(1, "git-credential".into());
    }
    let asked = args.iter().zip(args.iter().skip(1).map(Some).chain([None])).find_map(|(arg, next)| {
        let arg = arg.to_str()?;
        arg.strip_prefix("--color=").or_else(|| (arg == "--color").then(|| next?.to_str()).flatten())
    });
    let choice = match asked {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    };
    let matches = cli::Cli::command().color(choice).get_matches_from(args);
    cli::Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Logs go to stderr, off unless RUST_LOG asks. Nothing logged carries a value.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, SeekFrom};

    use keyhaven_core::{SecretName, envfile::Masker, scan::Needles};
    use rand::Rng;
    use secrecy::SecretString;

    /// Any value byte XORed with this, so the test's own needle is not a copy.
    const VEIL: u8 = 0x5A;

    /// The allocator's promise seen from the process's own memory: once the
    /// scan's needles and `run`'s masker are dropped, no writable mapping
    /// holds the value they were built from.
    #[test]
    fn dropped_matchers_leave_no_copy_of_a_value_in_memory() {
        let mut rng = rand::thread_rng();
        let mut text = String::with_capacity(256);
        for _ in 0..256 {
            text.push(char::from(rng.gen_range(b'a'..=b'z')));
        }
        // The middle: a freed block's first bytes are the allocator's own links.
        let veiled: Vec<u8> = text.bytes().skip(64).take(128).map(|byte| byte ^ VEIL).collect();
        let value = SecretString::from(text);
        {
            let name = SecretName::parse("LEAK_PROBE").unwrap();
            let needles = Needles::new(&[(name, 1, value.clone())]);
            needles.scan(&b"nothing secret\n"[..], |_| panic!("nothing to find")).unwrap();
            let mut masker = Masker::new([&value]);
            assert!(!masker.push(b"nothing secret\n").is_empty());
        }
        drop(value);
        assert_eq!(occurrences(&veiled), 0, "a dropped value is still in memory");
    }

    /// How many times the unveiled `veiled` occurs in the process's writable memory.
    fn occurrences(veiled: &[u8]) -> usize {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let mut mem = std::fs::File::open("/proc/self/mem").unwrap();
        let mut count = 0;
        for line in maps.lines() {
            let mut fields = line.split_whitespace();
            let (Some(range), Some(perms)) = (fields.next(), fields.next()) else { continue };
            if !perms.starts_with("rw") {
                continue;
            }
            let (start, end) = range.split_once('-').unwrap();
            let start = u64::from_str_radix(start, 16).unwrap();
            let end = u64::from_str_radix(end, 16).unwrap();
            let mut region = vec![0u8; (end - start) as usize];
            if mem.seek(SeekFrom::Start(start)).is_err() || mem.read_exact(&mut region).is_err() {
                continue;
            }
            count += region
                .windows(veiled.len())
                .filter(|window| {
                    window[0] == veiled[0] ^ VEIL && window.iter().zip(veiled).all(|(a, b)| a ^ VEIL == *b)
                })
                .count();
        }
        count
    }
}
