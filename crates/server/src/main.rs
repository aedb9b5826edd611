//! The `ferrodyn` binary.

fn main() {
    println!("ferrodyn: not yet serving");
}
