//! The progress bar of long commands (`validate`, `data backfill`, `bench vectors`, `bench
//! backtest --stream`, the pattern memory index rebuilt by `up`): the units done of the
//! total, their rate per second and the time left, on standard error. It is drawn only
//! when standard error is a terminal and the command's output is not JSON, so piped runs,
//! logs and `--json` output never hold a bar, a carriage return or an escape sequence.

use coinswarm_server::progress::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressState, ProgressStyle};
use std::io::IsTerminal;

/// What the command writes on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Text for people: a bar may accompany it.
    Text,
    /// JSON (`--json`): for programs, so never a bar.
    Json,
}

impl Output {
    /// JSON when `json` is set.
    pub fn json_if(json: bool) -> Self {
        if json { Self::Json } else { Self::Text }
    }
}

/// A bar over one piece of work, counted in units the label names ("random windows",
/// "bars archived"). Cloning shares the bar, so threads can advance it together. It clears
/// itself once all its units are done (or it is dropped), so what the command prints next
/// starts on a clean line.
#[derive(Debug, Clone)]
pub struct WorkBar {
    bar: ProgressBar,
}

impl WorkBar {
    /// The bar every long command uses; drawn only on a terminal and only for text output.
    /// Nothing shows until [`WorkBar::start`].
    pub fn new(label: &str, output: Output) -> Self {
        Self::on_stderr(label, output, std::io::stderr().is_terminal())
    }

    fn on_stderr(label: &str, output: Output, stderr_is_terminal: bool) -> Self {
        let target =
            if drawn(stderr_is_terminal, output) { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        // Short enough for an 80-column terminal: `random windows [====>     ] 4/10 (31.2/s, ETA 0s)`.
        let style = ProgressStyle::with_template("{msg} [{bar:20}] {human_pos}/{human_len} ({rate}, ETA {eta})")
            .expect("the template is valid")
            .with_key("rate", |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let rate = state.per_sec();
                let _ = if rate >= 100.0 { write!(out, "{rate:.0}/s") } else { write!(out, "{rate:.1}/s") };
            })
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(0), target)
            .with_style(style)
            .with_message(label.to_string())
            .with_finish(ProgressFinish::AndClear);
        Self { bar }
    }

    /// The work starts: `total` units. Rate and ETA count from here; no work at all
    /// draws nothing.
    pub fn start(&self, total: u64) {
        if total == 0 {
            self.finish();
            return;
        }
        self.bar.set_length(total);
        self.bar.reset_elapsed();
    }

    /// `units` more are done.
    pub fn advance(&self, units: u64) {
        self.bar.inc(units);
        if self.bar.length().is_some_and(|total| self.bar.position() >= total) {
            self.finish();
        }
    }

    /// Prints `line` on standard error above the bar (or alone when it is not drawn).
    pub fn note(&self, line: &str) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// Clears the bar, whatever is left undone (runs that could not start, a failure).
    pub fn finish(&self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

impl Progress for WorkBar {
    fn start(&self, total: u64) {
        WorkBar::start(self, total);
    }

    fn advance(&self, units: u64) {
        WorkBar::advance(self, units);
    }

    fn note(&self, line: &str) {
        WorkBar::note(self, line);
    }
}

/// Counts runs that happen one after another, each building one fresh strategy first
/// (random windows, timescale profiles): a build means the run before it is done, and
/// [`RunsInTurn::all_done`] counts the last. So the bar shows finished runs, and its ETA
/// the time the remaining ones take.
#[derive(Debug)]
pub struct RunsInTurn {
    bar: WorkBar,
    built: std::sync::atomic::AtomicBool,
}

impl RunsInTurn {
    /// `total` runs, counted on `bar`.
    pub fn new(bar: WorkBar, total: u64) -> Self {
        bar.start(total);
        Self { bar, built: std::sync::atomic::AtomicBool::new(false) }
    }

    /// A run builds its strategy: the one before it (if any) is done.
    pub fn building(&self) {
        if self.built.swap(true, std::sync::atomic::Ordering::Relaxed) {
            self.bar.advance(1);
        }
    }

    /// The last run has returned.
    pub fn all_done(&self) {
        if self.built.load(std::sync::atomic::Ordering::Relaxed) {
            self.bar.advance(1);
        }
        self.bar.finish();
    }
}

/// Whether a bar is drawn: on a terminal, beside text.
fn drawn(stderr_is_terminal: bool, output: Output) -> bool {
    stderr_is_terminal && output == Output::Text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_is_drawn_only_for_text_output_on_a_terminal() {
        for (terminal, output, shown) in [
            (true, Output::Text, true),
            (true, Output::Json, false),
            (false, Output::Text, false),
            (false, Output::Json, false),
        ] {
            assert_eq!(drawn(terminal, output), shown, "terminal {terminal}, {output:?}");
        }
        // A drawn bar would go to this process's real standard error (tests/progress_bars.rs
        // runs one on a pseudo-terminal); the others never reach a terminal, but still count.
        for (terminal, output) in [(true, Output::Json), (false, Output::Text), (false, Output::Json)] {
            let bar = WorkBar::on_stderr("random windows", output, terminal);
            bar.start(10);
            bar.advance(3);
            assert!(bar.bar.is_hidden(), "terminal {terminal}, {output:?}");
            assert_eq!(bar.bar.position(), 3);
        }
    }

    #[test]
    fn runs_in_turn_count_a_run_once_the_next_one_starts_or_all_are_done() {
        let runs = RunsInTurn::new(WorkBar::on_stderr("random windows", Output::Text, false), 3);
        runs.building();
        assert_eq!(runs.bar.bar.position(), 0, "the first run is under way");
        runs.building();
        runs.building();
        assert_eq!(runs.bar.bar.position(), 2, "two runs done, the third under way");
        assert!(!runs.bar.bar.is_finished());
        runs.all_done();
        assert_eq!(runs.bar.bar.position(), 3);
        assert!(runs.bar.bar.is_finished());
    }

    #[test]
    fn a_bar_clears_itself_once_every_unit_is_done() {
        let bar = WorkBar::on_stderr("bars replayed", Output::Text, false);
        bar.start(4);
        bar.advance(3);
        assert!(!bar.bar.is_finished());
        bar.advance(1);
        assert!(bar.bar.is_finished());
        let nothing = WorkBar::on_stderr("episodes indexed", Output::Text, false);
        nothing.start(0);
        assert!(nothing.bar.is_finished(), "no work: nothing to wait for");
    }
}
