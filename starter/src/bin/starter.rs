//! The desk's own flowreplay command line: every verb, with the desk's node
//! kinds and suite (`cargo run --bin starter -- run scenarios/orders.toml`).

fn main() -> std::process::ExitCode {
    flowreplay::cli::main_with(flowreplay_starter::suite())
}
