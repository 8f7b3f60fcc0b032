//! The queue: which jobs run, and the state machine that says how they move.
//!
//! [`Scheduler`] is the loop that drives one data directory's queue. It holds the engine lock
//! (one driver per data directory), turns rows left `running` by a crash back into `queued`, and
//! then, every tick (half a second) or when woken: starts queued jobs while fewer than the
//! configured number run, notices jobs that another process paused or cancelled through the
//! database and stops their tasks, and records each finished task's outcome. Each running job is
//! a tokio task executing [`crate::engine::run_job`] under a cancellation token of its own.

mod scheduler;

pub use crate::model::transition::{Action, refusal_message};
pub use scheduler::{Scheduler, Until, WATCHED_FINISHED_KEPT};
