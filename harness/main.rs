//! The `flowreplay` command: the library's command line with the built-in
//! node kinds.

/// The command replays dumps of millions of lines, which allocates many
/// small records; mimalloc spends far less time on that than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    flowreplay::cli::main_with(flowreplay::suite::Suite::builtin())
}
