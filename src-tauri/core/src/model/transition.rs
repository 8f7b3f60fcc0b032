//! The job state machine as a pure function: which action moves which state where.
//!
//! Everything that changes a job's state, in this process or another one, goes through
//! [`transition`], so the table below is the whole truth about legal moves.

use crate::model::JobState;

/// Something that happens to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The engine picks the job up.
    Start,
    /// The user pauses: in-flight requests stop, multipart state is kept.
    Pause,
    /// The user resumes a paused job: it waits for a slot again.
    Resume,
    /// The user cancels: the multipart upload is aborted.
    Cancel,
    /// The user retries a failed or cancelled job.
    Retry,
    /// The object is on the server and verified.
    Complete,
    /// The job cannot go on without the user (fatal error, or retries exhausted).
    Fail,
    /// The engine gives a running job back to the queue (engine stopped, crash recovery).
    Requeue,
}

impl Action {
    /// The actions a user takes on a job (a button in the window, a command in the CLI), in the
    /// order the window shows them.
    pub const BY_USER: [Action; 4] = [Action::Pause, Action::Resume, Action::Retry, Action::Cancel];

    /// Its name in the IPC and the window ("pause").
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Cancel => "cancel",
            Action::Retry => "retry",
            Action::Complete => "complete",
            Action::Fail => "fail",
            Action::Requeue => "requeue",
        }
    }

    /// The states `self` moves a job out of, and the one it moves it to (every move of one
    /// action ends in the same state).
    pub fn moves(self) -> (Vec<JobState>, Option<JobState>) {
        let from: Vec<JobState> = JobState::ALL
            .into_iter()
            .filter(|s| transition(*s, self).is_some())
            .collect();
        let to = from.first().and_then(|s| transition(*s, self));
        (from, to)
    }
}

/// The state `from` moves to under `action`, or `None` when the action does not apply.
pub fn transition(from: JobState, action: Action) -> Option<JobState> {
    use Action::*;
    use JobState::*;
    match (from, action) {
        (Queued, Start) => Some(Running),
        (Queued | Running, Pause) => Some(Paused),
        (Paused, Resume) => Some(Queued),
        (Queued | Running | Paused | Failed, Cancel) => Some(Cancelled),
        (Failed | Cancelled, Retry) => Some(Queued),
        // A pause or cancel that lands while Complete is on the wire loses: the object exists.
        (Running | Paused | Cancelled, Complete) => Some(Completed),
        (Running, Fail) => Some(Failed),
        (Running, Requeue) => Some(Queued),
        _ => None,
    }
}

/// "job 12 is completed: only queued or running jobs can be paused", one clause per refused job,
/// and which jobs did change.
pub fn refusal_message(
    action: Action,
    refused: &[(crate::model::JobId, JobState)],
    changed: &[crate::model::JobId],
) -> String {
    let verb = match action {
        Action::Pause => "paused",
        Action::Resume => "resumed",
        Action::Cancel => "cancelled",
        Action::Retry => "retried",
        _ => "changed",
    };
    let takes: Vec<&str> = JobState::ALL
        .into_iter()
        .filter(|s| transition(*s, action).is_some())
        .map(JobState::as_str)
        .collect();
    let takes = match takes.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    let clauses: Vec<String> = refused
        .iter()
        .map(|(id, state)| format!("job {id} is {}", state.as_str()))
        .collect();
    let mut message = format!("{}: only {takes} jobs can be {verb}", clauses.join(", "));
    if !changed.is_empty() {
        let ids: Vec<String> = changed.iter().map(ToString::to_string).collect();
        message.push_str(&format!(" ({verb}: {})", ids.join(" ")));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::Action::*;
    use super::*;
    use JobState::*;

    const ACTIONS: [Action; 8] = [Start, Pause, Resume, Cancel, Retry, Complete, Fail, Requeue];

    #[test]
    fn each_user_action_moves_every_state_it_takes_to_one_state() {
        // The window's table (JOB_MOVES, generated from moves()) has one target per action.
        for action in Action::BY_USER {
            let (from, to) = action.moves();
            assert!(!from.is_empty(), "{action:?} moves nothing");
            for state in from {
                assert_eq!(transition(state, action), to, "{action:?} from {state:?}");
            }
        }
        assert_eq!(Pause.moves(), (vec![Queued, Running], Some(Paused)));
    }

    /// The full table, row by row: every (state, action) pair not listed must be refused.
    const ALLOWED: &[(JobState, Action, JobState)] = &[
        (Queued, Start, Running),
        (Queued, Pause, Paused),
        (Queued, Cancel, Cancelled),
        (Running, Pause, Paused),
        (Running, Cancel, Cancelled),
        (Running, Complete, Completed),
        (Running, Fail, Failed),
        (Running, Requeue, Queued),
        (Paused, Resume, Queued),
        (Paused, Cancel, Cancelled),
        (Paused, Complete, Completed),
        (Failed, Cancel, Cancelled),
        (Failed, Retry, Queued),
        (Cancelled, Retry, Queued),
        (Cancelled, Complete, Completed),
    ];

    #[test]
    fn transition_table_is_exactly_the_allowed_list() {
        for from in JobState::ALL {
            for action in ACTIONS {
                let expected = ALLOWED
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(transition(from, action), expected, "{from:?} + {action:?}");
            }
        }
    }

    #[test]
    fn completed_is_final() {
        for action in ACTIONS {
            assert_eq!(transition(Completed, action), None, "{action:?}");
        }
    }
}
