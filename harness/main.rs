//! The `flowreplay` command: parse arguments, call the library, print, exit.

mod cli;

/// The command replays dumps of millions of lines, which allocates many
/// small records; mimalloc spends far less time on that than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    restore_default_sigpipe();
    cli::main()
}

/// Rust ignores SIGPIPE, which turns `flowreplay stats big.dump | head` into a
/// panic on the first write after `head` exits. Restoring the default makes
/// the process end quietly instead, as other command-line tools do.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any other thread exists;
    // SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
