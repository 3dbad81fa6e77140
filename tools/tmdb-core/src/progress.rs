//! Progress on stderr, drawn the same way by every tool: one bar style and one rate format.
//!
//! A bar reads `PREFIX [=====>    ] DONE/TOTAL RATE ETA 12s MESSAGE` (a spinner and the count
//! when the total is unknown); counts are items, or bytes shown as sizes. A rate has one decimal
//! whatever it counts (`38.2/s`, `12.3 MB/s`, `40.0 req/s`): indicatif's own `{per_sec}` prints
//! four. Bars are drawn only when stderr is a terminal (docs/architecture.md, "Conventions every
//! binary keeps"); what a tool prints instead to a log is its own business.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// What a bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Items (records, IDs, requests): shown as plain numbers.
    Items,
    /// Bytes of input: shown as sizes (`12.5 MiB`), the rate in MB/s.
    Bytes,
}

/// A rate as every tool shows it: one decimal, then `UNIT/s` (or `/s` alone for an empty unit).
pub fn rate(per_sec: f64, unit: &str) -> String {
    let per_sec = if per_sec.is_finite() { per_sec } else { 0.0 };
    if unit.is_empty() {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.1} {unit}/s")
    }
}

/// The one bar style, for a known total or not.
pub fn style(unit: Unit, total_known: bool) -> ProgressStyle {
    let count = match (unit, total_known) {
        (Unit::Items, true) => "{pos}/{len}",
        (Unit::Items, false) => "{pos}",
        (Unit::Bytes, true) => "{bytes}/{total_bytes}",
        (Unit::Bytes, false) => "{bytes}",
    };
    let template = if total_known {
        format!("{{prefix}} [{{bar:30}}] {count} {{rate}} ETA {{eta}} {{msg}}")
    } else {
        format!("{{prefix}} {{spinner}} {count} {{rate}} {{msg}}")
    };
    ProgressStyle::with_template(&template)
        .expect("the progress template is valid")
        .progress_chars("=> ")
        .with_key(
            "rate",
            move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let shown = match unit {
                    Unit::Items => rate(state.per_sec(), ""),
                    Unit::Bytes => rate(state.per_sec() / 1e6, "MB"),
                };
                let _ = out.write_str(&shown);
            },
        )
}

/// A bar on stderr (hidden when stderr is not a terminal) counting `unit` up to `total`,
/// labelled `prefix` (the tool, and its subcommand when it has some).
pub fn bar(prefix: &str, total: Option<u64>, unit: Unit) -> ProgressBar {
    bar_to(ProgressDrawTarget::stderr(), prefix, total, unit)
}

/// [`bar`] drawn to `target`.
pub fn bar_to(
    target: ProgressDrawTarget,
    prefix: &str,
    total: Option<u64>,
    unit: Unit,
) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, target);
    bar.set_style(style(unit, total.is_some()));
    bar.set_prefix(prefix.to_owned());
    bar
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;

    use super::*;

    /// A terminal that keeps what is written to it.
    #[derive(Debug, Default, Clone)]
    struct Screen(Arc<Mutex<String>>);

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            120
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.write_str(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            self.write_str("\n")
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The last line `bar` drew after moving to `pos`.
    fn drawn(total: Option<u64>, unit: Unit, pos: u64) -> String {
        let screen = Screen::default();
        let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let bar = bar_to(target, "tool kind", total, unit);
        bar.set_position(pos);
        std::thread::sleep(std::time::Duration::from_millis(60));
        bar.inc(pos);
        bar.tick();
        let text = screen.0.lock().unwrap().clone();
        text.lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_owned()
    }

    /// The rate shown in a drawn line: the word before `/s`, with its unit.
    fn shown_rate(line: &str) -> &str {
        let end = line
            .find("/s")
            .unwrap_or_else(|| panic!("no rate in {line:?}"));
        let start = line[..end]
            .trim_end_matches(" MB")
            .rfind(' ')
            .map_or(0, |i| i + 1);
        &line[start..end]
    }

    fn one_decimal(number: &str) -> bool {
        let number = number.trim_end_matches(" MB");
        matches!(number.split_once('.'), Some((whole, frac))
            if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit())
                && frac.len() == 1 && frac.bytes().all(|b| b.is_ascii_digit()))
    }

    #[test]
    fn a_rate_has_one_decimal_whatever_it_counts() {
        assert_eq!(rate(38.24567, ""), "38.2/s");
        assert_eq!(rate(40.0, "req"), "40.0 req/s");
        assert_eq!(rate(12.35e6 / 1e6, "MB"), "12.3 MB/s");
        assert_eq!(rate(f64::NAN, "req"), "0.0 req/s");
    }

    #[test]
    fn items_and_bytes_bars_share_one_layout_and_one_rate_format() {
        let items = drawn(Some(600), Unit::Items, 120);
        let bytes = drawn(Some(600_000_000), Unit::Bytes, 120_000_000);
        for line in [&items, &bytes] {
            assert!(line.starts_with("tool kind ["), "{line:?}");
            assert!(line.contains("] "), "{line:?}");
            assert!(line.contains(" ETA "), "{line:?}");
            assert!(one_decimal(shown_rate(line)), "{line:?}");
        }
        assert!(items.contains("240/600 "), "{items:?}");
        assert!(bytes.contains(" MB/s"), "{bytes:?}");
        assert!(bytes.contains("MiB/"), "{bytes:?}");
        // The bars are the same width and at the same place.
        let bar_of = |l: &str| l[..l.find("] ").unwrap() + 1].len();
        assert_eq!(bar_of(&items), bar_of(&bytes));

        let spinner = drawn(None, Unit::Items, 5);
        assert!(spinner.starts_with("tool kind "), "{spinner:?}");
        assert!(one_decimal(shown_rate(&spinner)), "{spinner:?}");
        assert!(!spinner.contains(" ETA "), "{spinner:?}");
    }
}
