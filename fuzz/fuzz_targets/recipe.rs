//! Fuzzes the recipe front end: parsing any text must never panic, and every
//! problem it reports names a line inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = flareo_recipe::parse(text) {
        // YAML breaks lines at \n, \r\n and a bare \r; so do editors.
        let lines = text
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .lines()
            .count()
            .max(1);
        assert!(!errors.0.is_empty(), "a rejected recipe must say why");
        for problem in &errors.0 {
            if let Some(line) = problem.line {
                assert!(
                    line >= 1 && line <= lines + 1,
                    "line {line} outside input ({lines} lines)"
                );
            }
            let _ = errors.to_string();
        }
    }
});
