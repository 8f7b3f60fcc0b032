//! The tray icon: a menu with Show Hoist, a live status line, Pause all / Resume all and Quit.
//! On Linux (libayatana-appindicator) clicks on the icon itself are not delivered, only menu
//! events, so showing the window is a menu item. The status line is refreshed every
//! [`STATUS_PERIOD`] from one aggregate query and the progress board, and only written when its
//! text changes.

use hoist_core::model::Selection;
use hoist_core::{CancellationToken, Core, ProgressSnapshot, QueueCounts, WatchCounts};
use std::time::Duration;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

const STATUS_PERIOD: Duration = Duration::from_secs(1);

const SHOW: &str = "show";
const PAUSE_ALL: &str = "pause-all";
const RESUME_ALL: &str = "resume-all";
const QUIT: &str = "quit";

/// What the tray's status line says, e.g. "3 uploading · 12 queued · 4.2 MB/s · watching 2
/// folders".
pub fn status_line(
    counts: &QueueCounts,
    progress: &ProgressSnapshot,
    watches: &WatchCounts,
) -> String {
    let mut parts = Vec::new();
    let has_work = counts.running + counts.queued > 0;
    let held = progress.held_for_metered && has_work;
    let waiting = held || (!progress.online && has_work);
    if held {
        parts.push("Paused on a metered connection".to_string());
    } else if waiting {
        parts.push("Waiting for network".to_string());
    } else if counts.running > 0 {
        parts.push(format!("{} uploading", counts.running));
    }
    if counts.queued > 0 {
        parts.push(format!("{} queued", counts.queued));
    }
    if counts.paused > 0 {
        parts.push(format!("{} paused", counts.paused));
    }
    if counts.failed > 0 {
        parts.push(format!("{} failed", counts.failed));
    }
    if counts.running > 0 && !waiting {
        let rate: f64 = progress.jobs.iter().map(|j| j.bytes_per_sec).sum();
        parts.push(format!(
            "{}/s",
            crate::cli::output::bytes(rate.round() as u64)
        ));
    }
    if parts.is_empty() {
        parts.push("No uploads in progress".into());
    }
    match watches.running {
        0 => {}
        1 => parts.push("watching 1 folder".into()),
        n => parts.push(format!("watching {n} folders")),
    }
    match watches.failing {
        0 => {}
        1 => parts.push("1 watch has a problem".into()),
        n => parts.push(format!("{n} watches have a problem")),
    }
    parts.join(" · ")
}

/// Builds the tray icon and starts refreshing its status line until `stop`.
pub fn install(app: &AppHandle, core: &Core, stop: &CancellationToken) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", "No uploads in progress", false, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &MenuItem::with_id(app, SHOW, "Show Hoist", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &status,
            &MenuItem::with_id(app, PAUSE_ALL, "Pause all", true, None::<&str>)?,
            &MenuItem::with_id(app, RESUME_ALL, "Resume all", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, QUIT, "Quit Hoist", true, None::<&str>)?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("hoist")
        .menu(&menu)
        .tooltip("Hoist")
        .on_menu_event(|app, event| on_menu(app, event.id.as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    tauri::async_runtime::spawn(refresh_status(status, core.clone(), stop.clone()));
    Ok(())
}

fn on_menu(app: &AppHandle, id: &str) {
    let core = app.state::<Core>().inner().clone();
    let outcome = match id {
        SHOW => {
            show_main_window(app);
            Ok(())
        }
        PAUSE_ALL => core.pause(&Selection::All).map(drop),
        RESUME_ALL => core.resume(&Selection::All).map(drop),
        QUIT => {
            app.exit(0);
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(e) = outcome {
        tracing::warn!(menu = id, error = %e, "tray action failed");
    }
}

/// Shows, unminimizes and focuses the queue window (tray, second launch).
pub fn show_main_window(app: &AppHandle) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let shown = window
        .show()
        .and_then(|()| window.unminimize())
        .and_then(|()| window.set_focus());
    if let Err(e) = shown {
        tracing::warn!(error = %e, "could not show the window");
    }
}

async fn refresh_status(item: MenuItem<Wry>, core: Core, stop: CancellationToken) {
    let mut shown = String::new();
    let mut tick = tokio::time::interval(STATUS_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let reading = {
            let core = core.clone();
            tauri::async_runtime::spawn_blocking(move || {
                Ok::<_, hoist_core::Error>((core.queue_counts()?, core.watch_counts()?))
            })
            .await
        };
        let (counts, watches) = match reading {
            Ok(Ok(read)) => read,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "tray status: cannot count jobs");
                continue;
            }
            Err(_) => continue,
        };
        let line = status_line(&counts, &core.progress(), &watches);
        if line != shown {
            if let Err(e) = item.set_text(&line) {
                tracing::debug!(error = %e, "tray status: cannot set the text");
            }
            shown = line;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hoist_core::JobProgress;
    use hoist_core::model::JobId;

    fn running(rates: &[f64], online: bool) -> ProgressSnapshot {
        ProgressSnapshot {
            jobs: rates
                .iter()
                .enumerate()
                .map(|(i, rate)| JobProgress {
                    id: JobId(i as i64),
                    bytes_done: 0,
                    bytes_total: 1,
                    bytes_per_sec: *rate,
                    retry_at: None,
                })
                .collect(),
            online,
            held_for_metered: false,
        }
    }

    #[test]
    fn status_line_counts_and_speed() {
        let counts = QueueCounts {
            running: 3,
            queued: 12,
            ..Default::default()
        };
        assert_eq!(
            status_line(
                &counts,
                &running(&[2e6, 1.2e6, 1e6], true),
                &WatchCounts::default()
            ),
            "3 uploading · 12 queued · 4.0 MiB/s"
        );
    }

    #[test]
    fn status_line_says_waiting_for_network_and_idle() {
        let counts = QueueCounts {
            running: 2,
            paused: 1,
            failed: 4,
            ..Default::default()
        };
        assert_eq!(
            status_line(
                &counts,
                &running(&[5e5, 5e5], false),
                &WatchCounts::default()
            ),
            "Waiting for network · 1 paused · 4 failed"
        );
        let idle = QueueCounts {
            completed: 9,
            ..Default::default()
        };
        assert_eq!(
            status_line(&idle, &running(&[], true), &WatchCounts::default()),
            "No uploads in progress"
        );
    }

    #[test]
    fn status_line_says_a_metered_connection_holds_the_queue_and_nothing_when_idle() {
        let queued = QueueCounts {
            queued: 5,
            ..Default::default()
        };
        let held = ProgressSnapshot {
            held_for_metered: true,
            ..running(&[], true)
        };
        assert_eq!(
            status_line(&queued, &held, &WatchCounts::default()),
            "Paused on a metered connection · 5 queued"
        );
        let idle = QueueCounts {
            completed: 2,
            ..Default::default()
        };
        assert_eq!(
            status_line(&idle, &held, &WatchCounts::default()),
            "No uploads in progress"
        );
    }

    #[test]
    fn status_line_counts_watches_and_their_problems() {
        let idle = QueueCounts::default();
        let watches = WatchCounts {
            running: 2,
            paused: 1,
            failing: 1,
        };
        assert_eq!(
            status_line(&idle, &running(&[], true), &watches),
            "No uploads in progress · watching 2 folders · 1 watch has a problem"
        );
        let one = WatchCounts {
            running: 1,
            ..Default::default()
        };
        let busy = QueueCounts {
            running: 1,
            ..Default::default()
        };
        assert_eq!(
            status_line(&busy, &running(&[1_048_576.0], true), &one),
            "1 uploading · 1.0 MiB/s · watching 1 folder"
        );
    }
}
