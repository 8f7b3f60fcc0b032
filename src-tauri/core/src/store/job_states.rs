//! Changing jobs' states. Every change goes through [`transition`]: a change the table does not
//! allow from the row's current state is skipped, inside the same transaction that read the
//! state, so two processes changing one row cannot leave it in an impossible state.

use super::{Store, now};
use crate::error::Result;
use crate::model::transition::{Action, transition};
use crate::model::{JobId, JobState, Selection};
use rusqlite::{OptionalExtension, params};

/// What a user's action did (see [`Store::apply_chosen`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// The jobs that moved, with their new state.
    pub changed: Vec<(JobId, JobState)>,
    /// The jobs the action does not apply to, with the state they are in.
    pub refused: Vec<(JobId, JobState)>,
    /// Ids that name no job (then nothing changed).
    pub missing: Vec<JobId>,
}

impl Store {
    /// Applies `action` to the selected jobs where the transition table allows it. Returns the
    /// jobs that changed with their new state. `error` is stored with `Fail` and cleared
    /// otherwise; `Retry` also resets the attempt count.
    pub fn apply(
        &self,
        selection: &Selection,
        action: Action,
        error: Option<(&str, &str)>,
    ) -> Result<Vec<(JobId, JobState)>> {
        Ok(self
            .apply_all_or_none(selection, action, error, false)?
            .changed)
    }

    /// A user's action on chosen jobs: as [`Store::apply`], and also says which jobs the
    /// transition table refused, with their state, read in the same transaction. When an id
    /// names no job, nothing changes and it is in [`Applied::missing`].
    pub fn apply_chosen(&self, selection: &Selection, action: Action) -> Result<Applied> {
        self.apply_all_or_none(selection, action, None, true)
    }

    fn apply_all_or_none(
        &self,
        selection: &Selection,
        action: Action,
        error: Option<(&str, &str)>,
        every_id_must_exist: bool,
    ) -> Result<Applied> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let current: Vec<(i64, String)> = match selection {
            Selection::All => {
                let mut stmt = tx.prepare_cached("SELECT id, state FROM jobs ORDER BY id")?;
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?
            }
            Selection::Ids(ids) => {
                let mut stmt = tx.prepare_cached("SELECT id, state FROM jobs WHERE id = ?1")?;
                let mut out = Vec::new();
                let mut missing = Vec::new();
                for id in ids {
                    match stmt
                        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()?
                    {
                        Some(row) => out.push(row),
                        None => missing.push(*id),
                    }
                }
                if every_id_must_exist && !missing.is_empty() {
                    return Ok(Applied {
                        missing,
                        ..Applied::default()
                    });
                }
                out
            }
        };
        let mut changed = Vec::new();
        let mut refused = Vec::new();
        {
            let mut update = tx.prepare_cached(
                "UPDATE jobs SET state = ?2, error_code = ?3, error_message = ?4, \
                 attempts = CASE WHEN ?5 THEN 0 ELSE attempts END, updated_at = ?6 WHERE id = ?1",
            )?;
            let t = now();
            for (id, state) in current {
                let Some(from) = JobState::parse(&state) else {
                    continue;
                };
                let Some(to) = transition(from, action) else {
                    refused.push((JobId(id), from));
                    continue;
                };
                let (code, message) = match (action, error) {
                    (Action::Fail, Some((code, message))) => (Some(code), Some(message)),
                    _ => (None, None),
                };
                update.execute(params![
                    id,
                    to.as_str(),
                    code,
                    message,
                    action == Action::Retry,
                    t
                ])?;
                if action == Action::Complete {
                    // Multipart state is done with once the job is: in one transaction, so a
                    // crash cannot leave a completed job with an upload to resume, or the reverse.
                    tx.execute("DELETE FROM uploads WHERE job_id = ?1", [id])?;
                    // A job the engine did not mark otherwise (skipped, renamed) was uploaded.
                    tx.execute(
                        "UPDATE jobs SET outcome = COALESCE(outcome, 'uploaded') WHERE id = ?1",
                        [id],
                    )?;
                }
                changed.push((JobId(id), to));
            }
        }
        tx.commit()?;
        Ok(Applied {
            changed,
            refused,
            missing: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::jobs::tests::store_with_jobs;

    /// Starts and completes job `id`.
    fn complete(store: &Store, id: JobId) {
        for action in [Action::Start, Action::Complete] {
            store
                .apply(&Selection::Ids(vec![id]), action, None)
                .unwrap();
        }
    }

    #[test]
    fn apply_skips_jobs_whose_state_forbids_the_action() {
        let (store, ids) = store_with_jobs(2);
        complete(&store, ids[0]);
        // Pausing everything changes only the queued job; a completed job cannot be paused.
        let changed = store.apply(&Selection::All, Action::Pause, None).unwrap();
        assert_eq!(changed, vec![(ids[1], JobState::Paused)]);
        assert_eq!(
            store.job(ids[0]).unwrap().unwrap().state,
            JobState::Completed
        );
    }

    #[test]
    fn a_users_action_was_checked_against_states_read_outside_its_transaction() {
        let (store, ids) = store_with_jobs(3);
        complete(&store, ids[0]);
        // The refusal comes from the same transaction that paused the others.
        let applied = store
            .apply_chosen(&Selection::Ids(ids.clone()), Action::Pause)
            .unwrap();
        assert_eq!(
            applied.changed,
            vec![(ids[1], JobState::Paused), (ids[2], JobState::Paused)]
        );
        assert_eq!(applied.refused, vec![(ids[0], JobState::Completed)]);
        assert!(applied.missing.is_empty());
        // An id that names no job: nothing changes, and it is named.
        let ghost = JobId(ids[2].0 + 100);
        let applied = store
            .apply_chosen(&Selection::Ids(vec![ids[1], ghost]), Action::Resume)
            .unwrap();
        assert_eq!(applied.missing, vec![ghost]);
        assert!(applied.changed.is_empty());
        assert_eq!(store.job(ids[1]).unwrap().unwrap().state, JobState::Paused);
    }

    #[test]
    fn failure_stores_code_and_message_and_retry_clears_them() {
        let (store, ids) = store_with_jobs(1);
        let sel = Selection::Ids(ids.clone());
        store.apply(&sel, Action::Start, None).unwrap();
        store.add_attempt(ids[0]).unwrap();
        store
            .apply(&sel, Action::Fail, Some(("access_denied", "no access")))
            .unwrap();
        let job = store.job(ids[0]).unwrap().unwrap();
        assert_eq!(job.state, JobState::Failed);
        assert_eq!(job.error_code, Some(crate::error::ErrorKind::AccessDenied));
        assert_eq!(job.attempts, 1);
        store.apply(&sel, Action::Retry, None).unwrap();
        let job = store.job(ids[0]).unwrap().unwrap();
        assert_eq!(
            (job.state, job.error_code, job.attempts),
            (JobState::Queued, None, 0)
        );
    }
}
