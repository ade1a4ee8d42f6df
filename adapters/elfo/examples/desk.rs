//! The desk's own flowreplay CLI: every verb, with the real elfo `pricer`
//! bound into the replay of `tests/desk.dump` (`cargo run -p flowreplay-elfo
//! --example desk -- check`), as a service's own CLI would be.

#[path = "../tests/desk/mod.rs"]
mod desk;

fn main() -> std::process::ExitCode {
    flowreplay::cli::main_with(desk::suite(0))
}
