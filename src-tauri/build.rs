//! Build script of the `hoist` package (the repo root manifest points here). tauri-build reads
//! `tauri.conf.json` beside the root `Cargo.toml`, checks the capabilities under
//! `src-tauri/capabilities/`, and generates one permission per app command: a command missing
//! from [`COMMANDS`] (or from a capability) is refused at run time, so the web view can call
//! exactly what the capabilities grant.

/// Every `#[tauri::command]` in `src-tauri/src/commands/`, by name.
#[cfg(feature = "desktop")]
const COMMANDS: &[&str] = &[
    "list_jobs",
    "jobs_by_id",
    "pause_jobs",
    "resume_jobs",
    "cancel_jobs",
    "retry_jobs",
    "remove_jobs",
    "clear_finished",
    "pause_all",
    "resume_all",
    "add_from_picker",
    "choose_destination_folder",
    "set_drop_target",
    "list_destinations",
    "list_presets",
    "list_aws_profiles",
    "import_aws_profile",
    "add_destination",
    "edit_destination",
    "remove_destination",
    "test_destination",
    "get_settings",
    "set_settings",
    "engine_status",
    "progress_snapshot",
    "copy_text",
    "list_objects",
    "object_details",
    "delete_objects",
    "share_link",
    "download_objects",
    "show_in_folder",
    "get_autostart",
    "get_window_view",
    "set_window_view",
    "set_autostart",
    "list_watches",
    "default_ignores",
    "add_watch",
    "pause_watch",
    "resume_watch",
    "remove_watch",
    "set_watch_ignore",
    "edit_watch",
];

#[cfg(not(feature = "desktop"))]
fn main() {
    // A headless build has no window: nothing to generate.
}

#[cfg(feature = "desktop")]
fn main() {
    // tauri-build watches a custom capabilities path only if told to.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    if !std::path::Path::new("ui/dist/index.html").exists() {
        println!(
            "cargo:warning=ui/dist is missing: run `npm --prefix ui ci && npm --prefix ui run build` first"
        );
    }
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
