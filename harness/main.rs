//! The `flowreplay` command: parse arguments, call the library, print, exit.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
