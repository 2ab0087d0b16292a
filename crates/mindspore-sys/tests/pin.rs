//! The constants of this crate agree with the files they mirror.

use std::path::PathBuf;

fn repo_file(rel: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn version_and_folder_follow_the_runtime_pin() {
    let pin = repo_file("../../tools/runtime/mindspore-runtime.json");
    assert!(
        pin.contains(&format!("\"mindspore\": \"{}\"", mindspore_sys::VERSION)),
        "tools/runtime/mindspore-runtime.json pins another version than {}",
        mindspore_sys::VERSION
    );
    assert_eq!(
        mindspore_sys::RUNTIME_SUBDIR,
        format!("mindspore-{}-linux-x64", mindspore_sys::VERSION)
    );
}

#[test]
fn abi_version_matches_the_shim_header() {
    let header = repo_file("shim/lite_mindspore_shim.h");
    let line = format!("#define LMS_ABI_VERSION {}", mindspore_sys::ABI_VERSION);
    assert!(
        header.lines().any(|l| l.trim() == line),
        "the header does not say `{line}`"
    );
}

#[test]
fn a_folder_without_the_runtime_is_refused_with_how_to_get_it() {
    let dir = std::env::temp_dir().join(format!("ms-sys-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Only meaningful before anything loaded the runtime in this process (tests here never do).
    let err = match mindspore_sys::load(Some(&dir)) {
        Ok(_) if std::env::var_os("MINDSPORE_LITE_LIB_DIR").is_some() => return,
        Ok(_) => panic!("an empty folder loaded"),
        Err(e) => e,
    };
    assert!(
        err.contains("fetch-runtime.mjs --engine mindspore"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
