//! Unit tests of the console: command parsing, frame rendering, and the state machine.

mod command;
mod console;
mod render;
