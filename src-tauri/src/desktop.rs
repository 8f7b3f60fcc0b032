//! The window's run loop: the Tauri builder, plugins, state, drag-drop, the engine task, the
//! window events (see lib.rs for the whole picture).

use crate::{UiError, commands, events, notifications, tray};

use commands::engine::{EngineCell, EngineStatus};
use hoist_core::{CancellationToken, Core, ErrorKind, RunUntil};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tauri::async_runtime::JoinHandle;
use tauri::{AppHandle, DragDropEvent, Emitter, Manager, RunEvent, Window, WindowEvent};

/// How often a window whose queue is driven elsewhere tries to take the engine lock.
const ENGINE_RETRY: Duration = Duration::from_secs(5);
/// How long the exit waits for the engine to stop in-flight requests and commit.
const ENGINE_STOP_GRACE: Duration = Duration::from_secs(5);

/// How the window was asked to open.
#[derive(Debug, Clone, Default)]
pub struct WindowOptions {
    /// Start hidden in the tray (`hoist --minimized`, which is how the login entry starts it).
    pub minimized: bool,
    /// The data directory given on the command line, if any: the login entry passes it on, so
    /// Hoist started at login uses the same queue.
    pub data_dir: Option<std::path::PathBuf>,
    /// Files to queue once the window is up (`hoist FILE...`, "Open with Hoist").
    pub files: Vec<std::path::PathBuf>,
}

/// What is kept of the window across restarts: size, position and maximized, not visibility
/// (whether it shows at start is `show_at_start`'s: the tray, `--minimized`).
const WINDOW_STATE: tauri_plugin_window_state::StateFlags =
    tauri_plugin_window_state::StateFlags::all()
        .difference(tauri_plugin_window_state::StateFlags::VISIBLE);

/// The flag the login entry starts Hoist with.
pub const MINIMIZED_FLAG: &str = "--minimized";

/// Opens the queue window and runs until it is closed.
pub fn run_window(core: Core, options: WindowOptions) -> anyhow::Result<()> {
    let stop = CancellationToken::new();
    // The login entry runs this binary (the AppImage, when Hoist runs as one), minimized.
    let program = std::env::var_os("APPIMAGE")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::current_exe().ok())
        .unwrap_or_else(|| "hoist".into());
    let mut login_command = vec![program.display().to_string(), MINIMIZED_FLAG.to_string()];
    if let Some(dir) = &options.data_dir {
        login_command.push("--data-dir".into());
        login_command.push(dir.display().to_string());
    }
    // Without a home folder there is no login entry to write; the window opens all the same.
    let login_item = crate::login_item::LoginItem::in_autostart(login_command);
    let engine_task: Arc<Mutex<Option<JoinHandle<()>>>> = Arc::default();

    let app = tauri::Builder::default()
        // First, so that a second `hoist` hands over to this one before building anything.
        // A second `hoist` (or `hoist FILE...`) hands its files to this window and ends.
        .plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
            tray::show_main_window(app);
            match <crate::cli::Cli as clap::Parser>::try_parse_from(&argv) {
                Ok(args) => {
                    let files = args.files_from(std::path::Path::new(&cwd));
                    if !files.is_empty() {
                        tracing::info!(files = files.len(), "files handed over by another hoist");
                        commands::queue::enqueue_dropped(app, files);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "another hoist's arguments were not understood")
                }
            }
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(WINDOW_STATE)
                .build(),
        )
        .manage(login_item)
        .manage(core.clone())
        .manage(EngineCell::default())
        .manage(commands::queue::DropTarget::default())
        .manage(commands::destinations::PickedFolder::default())
        .manage(commands::download::LastDownloadFolder::default())
        .invoke_handler(tauri::generate_handler![
            commands::queue::list_jobs,
            commands::queue::jobs_by_id,
            commands::queue::pause_jobs,
            commands::queue::resume_jobs,
            commands::queue::cancel_jobs,
            commands::queue::retry_jobs,
            commands::queue::remove_jobs,
            commands::queue::clear_finished,
            commands::queue::pause_all,
            commands::queue::resume_all,
            commands::queue::add_from_picker,
            commands::queue::set_drop_target,
            commands::destinations::list_destinations,
            commands::destinations::choose_destination_folder,
            commands::destinations::list_presets,
            commands::destinations::list_aws_profiles,
            commands::destinations::import_aws_profile,
            commands::destinations::add_destination,
            commands::destinations::edit_destination,
            commands::destinations::remove_destination,
            commands::destinations::test_destination,
            commands::settings::get_settings,
            commands::settings::set_settings,
            commands::settings::get_autostart,
            commands::settings::set_autostart,
            commands::settings::get_window_view,
            commands::settings::set_window_view,
            commands::watches::list_watches,
            commands::watches::default_ignores,
            commands::watches::add_watch,
            commands::watches::pause_watch,
            commands::watches::resume_watch,
            commands::watches::remove_watch,
            commands::watches::set_watch_ignore,
            commands::watches::edit_watch,
            commands::engine::engine_status,
            commands::engine::progress_snapshot,
            commands::clipboard::copy_text,
            commands::browse::list_objects,
            commands::browse::object_details,
            commands::browse::delete_objects,
            commands::browse::share_link,
            commands::download::download_objects,
            commands::download::show_in_folder,
        ])
        .on_window_event(on_window_event)
        .setup({
            let stop = stop.clone();
            let engine_task = engine_task.clone();
            move |app| {
                events::spawn(app.handle(), &core, &stop);
                tray::install(app.handle(), &core, &stop)?;
                tauri::async_runtime::spawn(notifications::run(
                    app.handle().clone(),
                    core.clone(),
                    stop.clone(),
                ));
                show_at_start(app.handle(), &core, options.minimized);
                commands::queue::enqueue_dropped(app.handle(), options.files.clone());
                let task =
                    tauri::async_runtime::spawn(drive_engine(app.handle().clone(), core, stop));
                *engine_task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
                Ok(())
            }
        })
        .build(tauri::generate_context!())?;

    let on_exit = stop.clone();
    let code = app.run_return(move |_, event| {
        if let RunEvent::Exit = event {
            on_exit.cancel();
        }
    });
    stop.cancel();
    let task = engine_task.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(task) = task {
        let waited = tauri::async_runtime::block_on(tokio::time::timeout(ENGINE_STOP_GRACE, task));
        if waited.is_err() {
            tracing::warn!(
                "the engine did not stop in time; interrupted uploads resume on next start"
            );
        }
    }
    if code != 0 {
        anyhow::bail!("the window's event loop exited with code {code}");
    }
    Ok(())
}

/// Runs the queue until `stop`, or waits for another process's engine to go away.
async fn drive_engine(app: AppHandle, core: Core, stop: CancellationToken) {
    let cell = app.state::<EngineCell>();
    loop {
        match core.start_engine(RunUntil::Watching, stop.clone()) {
            Ok(engine) => {
                cell.set(&app, EngineStatus::Driving);
                match engine.join().await {
                    Ok(summary) => tracing::info!(?summary, "engine stopped"),
                    Err(e) => {
                        tracing::error!(error = %e, "the upload engine stopped");
                        let message = e.message().to_owned();
                        let _ = app.emit(events::ERROR, UiError::from(e));
                        cell.set(&app, EngineStatus::Stopped { message });
                    }
                }
                return;
            }
            Err(e) if e.kind() == ErrorKind::EngineBusy => cell.set(&app, EngineStatus::Elsewhere),
            Err(e) => {
                tracing::error!(error = %e, "the upload engine could not start");
                let message = e.message().to_owned();
                let _ = app.emit(events::ERROR, UiError::from(e));
                cell.set(&app, EngineStatus::Stopped { message });
                return;
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(ENGINE_RETRY) => {}
        }
    }
}

/// The window starts hidden (tauri.conf.json) and is shown here unless it was started with
/// [`MINIMIZED_FLAG`] (at login) or the user chose to start minimized to the tray.
fn show_at_start(app: &AppHandle, core: &Core, asked_minimized: bool) {
    if asked_minimized {
        tracing::info!("started minimized to the tray");
        return;
    }
    let minimized = match core.preferences() {
        Ok(preferences) => preferences.start_minimized,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read preferences; showing the window");
            false
        }
    };
    if !minimized {
        tray::show_main_window(app);
    }
}

/// Closing the window hides it to the tray when the user chose so (uploads go on); files
/// dropped on the window go to the queue, and hovering highlights the drop hint.
fn on_window_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        let core = window.app_handle().state::<Core>();
        let to_tray = core.preferences().map(|p| p.close_to_tray).unwrap_or(true);
        // The size and position are on disk now, not only at a clean exit: a session that ends
        // (logout, a kill) with the window in the tray keeps them too.
        use tauri_plugin_window_state::AppHandleExt;
        if let Err(e) = window.app_handle().save_window_state(WINDOW_STATE) {
            tracing::warn!(error = %e, "could not save the window's size and position");
        }
        if to_tray {
            api.prevent_close();
            if let Err(e) = window.hide() {
                tracing::warn!(error = %e, "could not hide the window");
            }
        }
        return;
    }
    let WindowEvent::DragDrop(drag) = event else {
        return;
    };
    let hover = |active: bool| {
        if let Err(e) = window.emit(events::DROP_HOVER, events::DropHover { active }) {
            tracing::warn!(error = %e, "could not send drop hover");
        }
    };
    match drag {
        DragDropEvent::Enter { .. } => hover(true),
        DragDropEvent::Leave => hover(false),
        DragDropEvent::Drop { paths, .. } => {
            hover(false);
            commands::queue::enqueue_dropped(window.app_handle(), paths.clone());
        }
        _ => {}
    }
}
