//! Names the git commit in `keyhaven --version`.

include!("../../build/commit.rs");

fn main() {
    stamp_commit();
}
