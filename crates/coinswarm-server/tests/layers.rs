//! The server's layers, as docs/ARCHITECTURE.md draws them: a lower layer never imports a
//! higher one, transports and feeds never import each other, and nothing but the crate's
//! root imports the wiring (`app`). Read from the source, so a new import that breaks the
//! order fails here.

use std::path::{Path, PathBuf};

/// Each layer's folders and files (under `src/`), and the modules it must not import.
const RULES: &[(&str, &[&str], &[&str])] = &[
    (
        "kernel",
        &["config", "clock.rs", "metrics.rs", "progress.rs"],
        &["adapters", "session", "desk", "feeds", "transport", "app"],
    ),
    ("adapters", &["adapters"], &["session", "desk", "feeds", "transport", "app"]),
    ("session", &["session"], &["desk", "feeds", "transport", "app"]),
    ("desk", &["desk"], &["feeds", "transport", "app"]),
    ("feeds", &["feeds"], &["desk", "transport", "app"]),
    ("transport", &["transport"], &["feeds", "app"]),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The `crate::<module>` paths a file names, outside comments.
fn imported_modules(source: &str) -> Vec<String> {
    let mut modules = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            modules.push(name);
            rest = after;
        }
    }
    modules
}

#[test]
fn no_layer_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    let mut checked = 0;
    for (layer, places, forbidden) in RULES {
        let mut files = Vec::new();
        for place in *places {
            let path = src.join(place);
            assert!(
                path.exists(),
                "{layer}: {} is gone; update the layers here and in docs/ARCHITECTURE.md",
                path.display()
            );
            rust_files(&path, &mut files);
        }
        for file in files {
            checked += 1;
            let source = std::fs::read_to_string(&file).unwrap();
            for module in imported_modules(&source) {
                if forbidden.contains(&module.as_str()) {
                    broken.push(format!(
                        "{} ({layer}) imports crate::{module}",
                        file.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} files read");
    assert!(broken.is_empty(), "imports against the layers:\n{}", broken.join("\n"));
}

#[test]
fn the_check_sees_an_import_in_code_and_not_in_a_comment() {
    let source =
        "use crate::desk::Desk;\n// see crate::app\nlet x = crate::transport::api::router(s); // crate::feeds\n";
    assert_eq!(imported_modules(source), ["desk", "transport"]);
}
