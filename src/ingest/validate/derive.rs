//! The cross-field checks: answer and end after arrival, the answered flag consistent with
//! the answer time, and wait or answer time derived from the other (docs/schema.md).

/// The first cross-field check a row's times fail.
pub(super) enum Disorder {
    AnswerTimeButNotAnswered,
    AnswerBeforeArrival(i64),
    EndBeforeArrival(i64),
    /// (ended_at, answered_at)
    EndBeforeAnswer(i64, i64),
    NoAnswerTime,
}

/// The cross-field checks and derivations (docs/schema.md), shared by the row validator and the
/// column-at-a-time path: whether the contact was answered (the flag, else an answer time),
/// answer and end not before arrival nor end before answer (within `tol_us`), then the wait
/// derived from the timestamps when missing and the answer time from the wait.
pub(super) fn derive_times(
    arrived: i64,
    answered_flag: Option<bool>,
    answered_at: &mut Option<i64>,
    ended_at: Option<i64>,
    wait: &mut Option<i64>,
    tol_us: i64,
) -> Result<bool, Disorder> {
    let answered = answered_flag.unwrap_or(answered_at.is_some());
    if !answered && answered_at.is_some() {
        return Err(Disorder::AnswerTimeButNotAnswered);
    }
    if let Some(ans) = *answered_at {
        if ans < arrived - tol_us {
            return Err(Disorder::AnswerBeforeArrival(ans));
        }
    }
    if let Some(end) = ended_at {
        if end < arrived - tol_us {
            return Err(Disorder::EndBeforeArrival(end));
        }
        if let Some(ans) = *answered_at {
            if end < ans - tol_us {
                return Err(Disorder::EndBeforeAnswer(end, ans));
            }
        }
    }
    if wait.is_none() {
        *wait = match (answered, *answered_at, ended_at) {
            (true, Some(ans), _) => Some(((ans - arrived) / 1000).max(0)),
            (false, _, Some(end)) => Some(((end - arrived) / 1000).max(0)),
            _ => None,
        };
    }
    if answered && answered_at.is_none() {
        match *wait {
            Some(w) => *answered_at = Some(arrived + w * 1000),
            None => return Err(Disorder::NoAnswerTime),
        }
    }
    Ok(answered)
}
