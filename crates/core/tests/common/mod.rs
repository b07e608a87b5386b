pub mod canned;
pub mod emulator;
pub mod openbao;
