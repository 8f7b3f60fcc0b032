//! The UI's IPC types are generated from the Rust types (ts-rs): `ui/src/ipc/generated.ts`
//! holds one TypeScript declaration per type that crosses the bridge, so the two sides cannot
//! drift. The test below fails when the file differs from what the Rust types say; regenerate
//! it with `HOIST_WRITE_IPC_TYPES=1 cargo test -p hoist ipc_types`. The events are generated
//! too (`EventMap`: each name in `events.rs` and its payload type), and so is the job state
//! machine's table of user actions (`JOB_MOVES`, from `model/transition.rs`), which the
//! window's buttons and the mock IPC follow, and the command table (`Commands`, read from the
//! commands' own signatures by `ipc_commands.rs`), which `tauri.ts` calls through.

#[cfg(test)]
mod tests {
    use crate::commands::destinations::{DestinationEdit, DestinationForm, PresetView};
    use crate::commands::engine::EngineStatus;
    use crate::commands::watches::{WatchEdit, WatchForm};
    use crate::error::UiError;
    use crate::events::{
        self, DropHover, JobStateChange, MeteredHold, NetworkChange, QueueChanges, WatchesChanged,
    };
    use hoist_core::ErrorKind;
    use hoist_core::connection::{ConnectionReport, ConnectionStep, StepOutcome};
    use hoist_core::model::transition::Action;
    use hoist_core::model::{
        Destination, DestinationId, DestinationKind, Direction, Job, JobId, JobState, Outcome,
        WatchId,
    };
    use hoist_core::options::{Capabilities, IfExists, UploadOptions};
    use hoist_core::presets::Provider;
    use hoist_core::{
        DeleteFailure, DeleteReport, DownloadReport, EnqueueReport, JobProgress, Listing,
        ObjectDetails, ObjectEntry, Place, Preferences, ProgressSnapshot, RefusedKey, Removal,
        Settings, Skipped, Watch, WatchState,
    };
    use std::path::Path;
    use ts_rs::{Config, TS};

    fn declaration<T: TS>(config: &Config) -> String {
        let docs = T::docs().map(|d| format!("{d}\n")).unwrap_or_default();
        format!("{docs}export {}\n", T::decl(config))
    }

    fn generated() -> String {
        // Sizes, times and ids are JSON numbers (below 2^53), not bigints.
        let config = Config::new().with_large_int("number");
        let declarations = [
            declaration::<JobId>(&config),
            declaration::<WatchId>(&config),
            declaration::<Direction>(&config),
            declaration::<JobState>(&config),
            declaration::<Outcome>(&config),
            declaration::<IfExists>(&config),
            declaration::<Job>(&config),
            declaration::<DestinationId>(&config),
            declaration::<DestinationKind>(&config),
            declaration::<Provider>(&config),
            declaration::<UploadOptions>(&config),
            declaration::<Capabilities>(&config),
            declaration::<Destination>(&config),
            declaration::<DestinationForm>(&config),
            declaration::<DestinationEdit>(&config),
            declaration::<PresetView>(&config),
            declaration::<hoist_core::aws_import::AwsImport>(&config),
            declaration::<StepOutcome>(&config),
            declaration::<ConnectionStep>(&config),
            declaration::<ConnectionReport>(&config),
            declaration::<Preferences>(&config),
            declaration::<Settings>(&config),
            declaration::<Removal>(&config),
            declaration::<JobProgress>(&config),
            declaration::<ProgressSnapshot>(&config),
            declaration::<JobStateChange>(&config),
            declaration::<QueueChanges>(&config),
            declaration::<NetworkChange>(&config),
            declaration::<MeteredHold>(&config),
            declaration::<WatchesChanged>(&config),
            declaration::<DropHover>(&config),
            declaration::<Skipped>(&config),
            declaration::<EnqueueReport>(&config),
            declaration::<Place>(&config),
            declaration::<ObjectEntry>(&config),
            declaration::<Listing>(&config),
            declaration::<ObjectDetails>(&config),
            declaration::<DeleteFailure>(&config),
            declaration::<DeleteReport>(&config),
            declaration::<RefusedKey>(&config),
            declaration::<DownloadReport>(&config),
            declaration::<ErrorKind>(&config),
            declaration::<UiError>(&config),
            declaration::<EngineStatus>(&config),
            declaration::<WatchState>(&config),
            declaration::<Watch>(&config),
            declaration::<WatchForm>(&config),
            declaration::<WatchEdit>(&config),
        ];
        format!(
            "// Generated from the Rust types by src-tauri/src/ipc_types.rs: do not edit.\n\
             // HOIST_WRITE_IPC_TYPES=1 cargo test -p hoist ipc_types writes it again.\n\n{}\n{}",
            declarations.join("\n"),
            [
                event_map(&config),
                job_moves(),
                crate::ipc_commands::commands_table(
                    &Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/src/commands")
                ),
            ]
            .join("\n")
        )
    }

    /// `EventMap`: each event the shell sends (`events.rs`) and its payload's type.
    fn event_map(config: &Config) -> String {
        let entry = |name: &str, payload: String| format!("  '{name}': {payload};\n");
        let entries = [
            entry(events::QUEUE_CHANGES, QueueChanges::name(config)),
            entry(events::NETWORK, NetworkChange::name(config)),
            entry(events::METERED_HOLD, MeteredHold::name(config)),
            entry(events::WATCHES_CHANGED, WatchesChanged::name(config)),
            entry(events::PROGRESS, ProgressSnapshot::name(config)),
            entry(events::RESYNC, "null".into()),
            entry(events::ENGINE, EngineStatus::name(config)),
            entry(events::ENQUEUED, EnqueueReport::name(config)),
            entry(events::ERROR, UiError::name(config)),
            entry(events::DROP_HOVER, DropHover::name(config)),
        ];
        format!(
            "/** Each event the shell sends the window, and its payload (src-tauri/src/events.rs). */\n\
             export interface EventMap {{\n{}}}\n",
            entries.concat()
        )
    }

    /// The job state machine's user actions (`model/transition.rs`) as a TypeScript table, so
    /// the window's buttons and the mock IPC follow the core's rules instead of a copy.
    fn job_moves() -> String {
        let entries: Vec<String> = Action::BY_USER
            .into_iter()
            .map(|action| {
                let (from, to) = action.moves();
                let to = to.expect("every user action moves some state");
                format!(
                    "  {}: {{ from: {}, to: {} }},\n",
                    action.as_str(),
                    serde_json::to_string(&from).unwrap(),
                    serde_json::to_string(&to).unwrap()
                )
            })
            .collect();
        format!(
            "/** Which states each user action moves a job out of, and where to, in the order the \
             window shows them (model/transition.rs). */\n\
             export const JOB_MOVES = {{\n{}}} as const;\n",
            entries.concat()
        )
    }

    #[test]
    fn ipc_types_match_the_rust_types() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/ipc/generated.ts");
        let want = generated();
        if std::env::var_os("HOIST_WRITE_IPC_TYPES").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is not what the Rust types say: run HOIST_WRITE_IPC_TYPES=1 cargo test -p hoist \
             ipc_types, then fix the UI where it no longer type-checks",
            path.display()
        );
    }
}
