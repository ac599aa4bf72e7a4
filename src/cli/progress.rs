//! Progress on standard error for long work: a spinner naming the current step with the time
//! elapsed (`run`, `metrics`, `ingest`) that turns into a bar with the share done and the time
//! left while an input is read (bytes) or repeat contacts are searched (contacts), and a bar
//! with rows and ETA where the total is known (`generate`). Drawn only when standard error is a terminal and neither `-q` nor `-v` is
//! given (`-v` prints timed lines instead); never into outputs or pipes. Cleared when done.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress display; does nothing when it is not wanted ([`Progress::wanted`]).
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Whether progress is drawn: standard error is a terminal, without `-q` or `-v`.
    pub(crate) fn wanted() -> bool {
        std::io::stderr().is_terminal() && !crate::util::quiet() && !crate::util::explaining()
    }

    /// A spinner for work in named steps.
    pub(crate) fn steps() -> Progress {
        if !Self::wanted() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(spinner_style());
        bar.enable_steady_tick(Duration::from_millis(120));
        // Long work inside a step reports how far it is: the spinner becomes a bar.
        let hooked = bar.clone();
        crate::util::on_work(Box::new(move |what, done, total| {
            if hooked.length() != Some(total) {
                if let Ok(style) =
                    ProgressStyle::with_template("callsla: {msg} [{bar:30}] {percent}% ({elapsed}, {eta} left)")
                {
                    hooked.set_style(style.progress_chars("=> "));
                }
                hooked.set_length(total);
            }
            hooked.set_message(what);
            hooked.set_position(done);
        }));
        Progress { bar: Some(bar) }
    }

    /// A bar of `total` rows, with the rate and the time left.
    pub(crate) fn rows(total: u64, what: &'static str) -> Progress {
        if !Self::wanted() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::new(total);
        let template = "callsla: {msg} [{bar:30}] {human_pos}/{human_len} rows, {eta} left";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what);
        Progress { bar: Some(bar) }
    }

    /// The step now under way (a bar of the previous step's work turns back into the spinner).
    pub(crate) fn step(&self, name: &str) {
        if let Some(bar) = &self.bar {
            if bar.length().is_some() {
                bar.unset_length();
                bar.set_style(spinner_style());
            }
            bar.set_message(name.to_string());
        }
    }

    /// How many rows are done.
    pub(crate) fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} callsla: {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
