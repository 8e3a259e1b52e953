//! What the CLI tests share: `rolechain serve` on free ports, its ready line
//! read, stopped when dropped. (Each test file uses its own part of this.)
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_rolechain");

/// A `rolechain serve --port 0 --issuer-port 0 --evaluator native` process.
pub struct Served {
    child: Child,
    /// The JSON ready line: endpoint, issuer endpoint, CA file, thumbprint.
    pub ready: serde_json::Value,
}

impl Served {
    /// Starts the emulator with whatever `configure` adds (flags, environment)
    /// and waits for its ready line.
    pub fn start(configure: impl FnOnce(&mut Command)) -> Served {
        let mut command = Command::new(BIN);
        command.args(["serve", "--port", "0", "--issuer-port", "0", "--evaluator", "native"]);
        configure(&mut command);
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready = serde_json::from_str(&line).unwrap_or_else(|e| panic!("no ready line ({e}): {line:?}"));
        Served { child, ready }
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> &str {
        self.ready["endpoint"].as_str().unwrap()
    }

    /// `127.0.0.1:PORT`
    pub fn authority(&self) -> &str {
        self.endpoint().trim_start_matches("http://")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`TERM`, `9`, …) with kill(1) and waits for the exit.
    pub fn signal(&mut self, signal: &str) -> ExitStatus {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} failed");
        self.child.wait().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
