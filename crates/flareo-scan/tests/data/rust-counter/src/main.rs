//! Prints a version and a number with two crates.io dependencies.
fn main() {
    let v = semver::Version::parse("1.2.3").expect("a version");
    let mut b = itoa::Buffer::new();
    println!("{v} {}", b.format(42));
}
