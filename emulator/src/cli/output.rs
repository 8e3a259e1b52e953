//! What the subcommands share for input and output: reading a file or stdin,
//! and colour only where a person is watching.

use std::io::{IsTerminal, Read};
use std::path::Path;

/// The bytes of `path` (standard input for `-`) and the name to show for it.
pub fn read_bytes(path: &Path) -> Result<(String, Vec<u8>), String> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {}", io_reason(&e)))?;
        return Ok(("<stdin>".to_string(), bytes));
    }
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok((name, bytes)),
        Err(e) => Err(format!("cannot read {name}: {}", io_reason(&e))),
    }
}

/// Reads `path` (standard input for `-`) as UTF-8 text.
pub fn read_input(path: &Path) -> Result<String, String> {
    let (name, bytes) = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| format!("{name} is not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}

/// `No such file or directory` rather than `No such file or directory (os error 2)`.
pub fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Red,
    Magenta,
    Yellow,
    Cyan,
    Blue,
    Green,
}

/// ANSI styling, only when stdout is a terminal and NO_COLOR is unset or empty (no-color.org).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    on: bool,
}

impl Style {
    pub fn for_stdout() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            on: std::io::stdout().is_terminal() && !no_color,
        }
    }

    /// No styling at all (tests, files).
    #[cfg(test)]
    pub fn plain() -> Style {
        Style { on: false }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    pub fn color(self, color: Color, text: &str) -> String {
        let code = match color {
            Color::Red => "1;31",
            Color::Magenta => "1;35",
            Color::Yellow => "1;33",
            Color::Cyan => "1;36",
            Color::Blue => "1;34",
            Color::Green => "1;32",
        };
        self.wrap(code, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_suffix_is_dropped() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&e), "No such file or directory");
    }
}
