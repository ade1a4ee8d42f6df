//! Every scenario and dump of the desk against its golden, one test case
//! each.

fn main() -> std::process::ExitCode {
    flowreplay_starter::suite().run_tests()
}
