//! Any text through the profile reader: an error or a profile, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = callsla::ingest::Profile::parse(text, "fuzz.toml");
    }
});
