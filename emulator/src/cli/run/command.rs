//! The command itself: started with the pod's environment, signals passed on,
//! its exit code passed back.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use rustix::process::Signal;
use tokio::sync::{mpsc, watch};

use super::tokens::{Context, refresh};
use super::volumes::LiveVolume;

/// Signals passed on to the command, as a container runtime passes them to PID 1.
const FORWARDED: [Signal; 6] = [
    Signal::INT,
    Signal::TERM,
    Signal::HUP,
    Signal::QUIT,
    Signal::USR1,
    Signal::USR2,
];

/// Starts the signal listeners before the command, so none is lost.
fn listen_for_signals() -> Result<mpsc::UnboundedReceiver<Signal>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let (tx, rx) = mpsc::unbounded_channel();
    // A terminal sends Ctrl-C and Ctrl-\ to its whole foreground process
    // group, the command included: passing them on too would deliver two.
    let from_terminal = std::io::stdin().is_terminal();
    for sig in FORWARDED {
        let mut stream = signal(SignalKind::from_raw(sig.as_raw()))
            .map_err(|e| format!("cannot listen for signal {}: {e}", sig.as_raw()))?;
        let skip = from_terminal && (sig == Signal::INT || sig == Signal::QUIT);
        let tx = tx.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if !skip && tx.send(sig).is_err() {
                    break;
                }
            }
        });
    }
    Ok(rx)
}

/// Runs the command with `env`, passing signals on and refreshing the tokens
/// in `volumes` until it ends; its exit code as a shell reports it.
pub(super) async fn run_command(
    command: &[OsString],
    env: Vec<(OsString, OsString)>,
    ctx: Arc<Context>,
    volumes: Vec<LiveVolume>,
) -> Result<ExitCode, String> {
    let Some((program, arguments)) = command.split_first() else {
        return Err("no command given (put it after --)".into());
    };
    let mut signals = listen_for_signals()?;
    let mut child = match tokio::process::Command::new(program)
        .args(arguments)
        .env_clear()
        .envs(env)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            let name = program.to_string_lossy();
            let (code, what) = match e.kind() {
                std::io::ErrorKind::NotFound => (127, "command not found".to_string()),
                std::io::ErrorKind::PermissionDenied => (126, "permission denied".to_string()),
                _ => (126, e.to_string()),
            };
            ctx.log.error(&format!("{name}: {what}"));
            return Ok(ExitCode::from(code));
        }
    };
    let pid = child.id().and_then(|id| rustix::process::Pid::from_raw(id as i32));
    let (stop, stopped) = watch::channel(false);
    let refresher = tokio::spawn(refresh(ctx, volumes, stopped));
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            Some(sig) = signals.recv() => {
                if let Some(pid) = pid {
                    // The child may have just exited; a failed kill is then harmless.
                    let _ = rustix::process::kill_process(pid, sig);
                }
            }
        }
    };
    let _ = stop.send(true);
    let _ = refresher.await;
    let status = status.map_err(|e| format!("waiting for the command: {e}"))?;
    Ok(ExitCode::from(exit_code(status)))
}

/// The command's exit code, or 128 + the signal that ended it, as shells report it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(sig)) => (128 + sig) as u8,
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_as_shells_report_them() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(15)), 143);
    }
}
