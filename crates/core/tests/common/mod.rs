pub mod canned;
pub mod emulator;
