//! The core's layers, checked: every file's `crate::MODULE` paths may name only modules of a
//! lower layer (or its own module). A new top-level module must be placed in [`LAYERS`]. This
//! reads the source text, so it sees `use` lines and inline paths alike; comments are skipped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// From the bottom up. A module may use the modules of any earlier layer, never a later one or
/// another module of its own layer.
const LAYERS: &[&[&str]] = &[
    &["error", "http", "limits", "throttle"],
    &["digest", "options", "presets", "watcher"],
    &["model"],
    &["connection", "credentials", "event"],
    &["aws_import", "store"],
    &["backend"],
    &["destinations", "engine"],
    &["browse", "queue", "watches"],
    &["facade"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/engine/plan.rs` -> `engine`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    Path::new(first)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Every `crate::NAME` in the code of `text` (not in `//` comments), with its line number.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            if !name.is_empty() {
                found.push((number + 1, name));
            }
        }
    }
    found
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut unplaced = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" || module == "layers" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            unplaced.insert(module, file.display().to_string());
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for (line, used) in crate_paths(&text) {
            // Items re-exported at the crate root (`crate::Result`) are not modules.
            let Some(theirs) = layer_of(&used) else {
                continue;
            };
            if used != module && theirs >= own {
                upward.push(format!(
                    "{}:{line}: {module} uses {used}",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules missing from LAYERS in layers.rs: {unplaced:?}"
    );
    assert!(
        upward.is_empty(),
        "edges that point up (or sideways) the core's layers:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_checker_sees_paths_in_use_lines_and_inline_but_not_in_comments() {
    let text = "use crate::store::Store;\nlet x = crate::engine::plan::MIB; // crate::queue\n";
    let names: Vec<String> = crate_paths(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["store", "engine"]);
}
