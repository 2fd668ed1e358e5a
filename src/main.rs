//! The `planledger` binary: a thin shell around `planledger::cli`.

fn main() {
    std::process::exit(planledger::cli::main());
}
