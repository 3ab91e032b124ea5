//! Everything the user sees goes through here: colour choice, errors, sizes.

use std::io::Write;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use owo_colors::{OwoColorize, Style};

use super::ColorWhen;

/// Applies `--color` to every stream written through anstream, and to the
/// progress bars, which indicatif draws through `console` with its own
/// choice: both follow anstream's (which for `auto` also honours
/// `NO_COLOR`, `CLICOLOR` and `CLICOLOR_FORCE`).
pub fn init_color(when: ColorWhen) {
    let choice = match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let never = anstream::ColorChoice::Never;
    console::set_colors_enabled(anstream::AutoStream::choice(&std::io::stdout()) != never);
    console::set_colors_enabled_stderr(anstream::AutoStream::choice(&std::io::stderr()) != never);
}

/// `error: ...` on stderr, with the chain of causes.
pub fn error(e: &anyhow::Error) {
    let mut err = anstream::stderr();
    let _ = writeln!(err, "{} {e:#}", "error:".style(Style::new().red().bold()));
}

/// `warning: ...` on stderr.
pub fn warning(message: &str) {
    let mut err = anstream::stderr();
    let _ = writeln!(err, "{} {message}", "warning:".style(style::warn().bold()));
}

/// True when `e` is a write to a reader that went away (`| head -1`): an
/// I/O error of the command's own output, not one a library error wraps.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Ends the process as git ends when its reader goes away: silently, by
/// SIGPIPE (a shell reports 141). Rust ignores SIGPIPE so that writes to
/// child processes fail with an error instead; only here is it restored.
pub fn die_of_broken_pipe() -> ! {
    // SAFETY: resetting a signal's disposition and raising it touch no
    // Rust state; the process ends at the raise.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    std::process::exit(128 + libc::SIGPIPE)
}

/// Makes the first SIGINT or SIGTERM set `cancel` and the second exit at
/// once (130 or 143). Returns a flag that tells, once cancelled, whether
/// it was SIGTERM. The exit-at-once is registered first, so that the
/// first signal only sets the flag.
pub fn cancel_on_signals(cancel: &Arc<AtomicBool>) -> std::io::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let terminated = Arc::new(AtomicBool::new(false));
    for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        signal_hook::flag::register_conditional_shutdown(signal, code, cancel.clone())?;
        signal_hook::flag::register(signal, cancel.clone())?;
    }
    signal_hook::flag::register(SIGTERM, terminated.clone())?;
    Ok(terminated)
}

/// Where progress bars draw: stderr, or nowhere under `-q`.
pub fn progress(quiet: bool) -> indicatif::MultiProgress {
    let target =
        if quiet { indicatif::ProgressDrawTarget::hidden() } else { indicatif::ProgressDrawTarget::stderr() };
    indicatif::MultiProgress::with_draw_target(target)
}

/// A stdout that strips colour when it is not wanted.
pub fn stdout() -> anstream::AutoStream<std::io::StdoutLock<'static>> {
    anstream::AutoStream::auto(std::io::stdout().lock())
}

/// Writes pretty JSON and a newline.
pub fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // As an I/O error, so that a closed pipe is recognised as one.
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Pretty JSON and a newline, as a string.
pub fn json_string<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

/// Writes `content` to `path` whole or not at all: into a temporary file
/// beside it, renamed over it once complete, so a reader (or a failed run)
/// never sees half a file.
pub fn write_file(path: &std::path::Path, content: &str) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let name = path.file_name().with_context(|| format!("--output {}: not a file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.partial", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::write(&tmp, content).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Bytes for people: `512 B`, `1.5 KiB`, `3.2 MiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A count with thousands separators: `12,345`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The dimmed `... and N more (how to see them)` line closing a cut list.
pub fn more(indent: &str, hidden: usize, how: &str) -> String {
    format!("{indent}{}", format!("... and {} more ({how})", count(hidden as u64)).style(style::dim()))
}

/// A path as text output shows it: one holding a control character (a
/// newline, a tab, a terminal escape) is quoted with escapes, as git quotes
/// such names, so it stays on its line and cannot drive the terminal.
pub fn path(p: &str) -> std::borrow::Cow<'_, str> {
    if p.chars().any(char::is_control) {
        format!("{p:?}").into()
    } else {
        p.into()
    }
}

/// A message that may quote paths: control characters escaped in place.
pub fn message(m: &str) -> std::borrow::Cow<'_, str> {
    if m.chars().any(char::is_control) {
        m.chars()
            .flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] })
            .collect::<String>()
            .into()
    } else {
        m.into()
    }
}

/// `1 file` / `2 files`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Styles used across commands.
pub mod style {
    use owo_colors::Style;

    /// Section headings.
    pub fn heading() -> Style {
        Style::new().bold()
    }
    /// Team names.
    pub fn team() -> Style {
        Style::new().cyan().bold()
    }
    /// Things that are lost or wrong.
    pub fn bad() -> Style {
        Style::new().red()
    }
    /// Warnings.
    pub fn warn() -> Style {
        Style::new().yellow()
    }
    /// De-emphasised detail.
    pub fn dim() -> Style {
        Style::new().dimmed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_counts() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(5 << 20), "5.0 MiB");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(999), "999");
        assert_eq!(plural(1, "file", "files"), "1 file");
    }
}
