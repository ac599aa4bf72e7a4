//! Any text through the contract reader: an error or a contract, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = callsla::contract::Contract::parse(text, "fuzz.toml");
    }
});
