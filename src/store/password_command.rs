//! Runs a profile's `password_command` — the way to use short-lived tokens (IAM auth, a password
//! manager's CLI) instead of a saved password.
//!
//! The command goes through the shell (`sh -c` on Unix, `cmd /C` on Windows) with stdin closed and a
//! timeout; on timeout it is killed together with everything it started (own process group on
//! Unix, `taskkill /T` on Windows). Its standard output, minus one trailing newline, is the
//! password, held in a [`Password`] (zeroized on drop). Errors quote the command and its standard
//! error, never its standard output.

use crate::net::connect::Password;
use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long a `password_command` may run before it is stopped.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest password a command may print (IAM tokens are a few KiB).
const MAX_COMMAND_OUTPUT: u64 = 1024 * 1024;
/// How much of a command's standard error is quoted in an error (its end is kept).
const STDERR_QUOTE_CHARS: usize = 2000;

/// Why a `password_command` gave no password. Quotes the command and its standard error, never its
/// standard output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordCommandError {
    #[error("the password command could not be started ({reason}); command: {command}")]
    Start { command: String, reason: String },
    #[error("the password command failed ({status}); command: {command}{}", quote_stderr(.stderr))]
    Failed { command: String, status: String, stderr: String },
    #[error("the password command did not finish within {} s and was stopped; command: {command}{}", .timeout.as_secs_f32(), quote_stderr(.stderr))]
    TimedOut { command: String, timeout: Duration, stderr: String },
    #[error("the password command printed no password (empty output); command: {command}{}", quote_stderr(.stderr))]
    Empty { command: String, stderr: String },
    #[error("the password command's output is unusable ({reason}); command: {command}")]
    BadOutput { command: String, reason: String },
}

fn quote_stderr(stderr: &str) -> String {
    if stderr.is_empty() {
        " (no error output)".to_string()
    } else {
        format!("; its error output: {stderr}")
    }
}

/// Run `command` through the shell (`sh -c` / `cmd /C`) and return its standard output, minus one
/// trailing newline, as the password. Stdin is closed. Past `timeout` the command and everything it
/// started are killed.
pub fn run_password_command(
    command: &str,
    timeout: Duration,
) -> Result<Password, PasswordCommandError> {
    let cmd_text = command.to_string();
    let start_err =
        |reason: String| PasswordCommandError::Start { command: cmd_text.clone(), reason };
    let mut child = shell(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| start_err(e.to_string()))?;
    let (out_tx, out_rx) = mpsc::sync_channel(1);
    let (err_tx, err_rx) = mpsc::sync_channel(1);
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let spawned =
        std::thread::Builder::new().name("password-command-stdout".into()).spawn(move || {
            let mut buf = Zeroizing::new(Vec::with_capacity(8192));
            let mut too_long = false;
            if let Some(mut out) = stdout {
                let read = out.by_ref().take(MAX_COMMAND_OUTPUT).read_to_end(&mut buf);
                // Anything beyond the limit is drained so the command is not blocked writing.
                too_long = read.is_ok()
                    && io::copy(&mut out, &mut io::sink()).map(|n| n > 0).unwrap_or(false);
            }
            let _ = out_tx.send((buf, too_long));
        });
    if let Err(e) = spawned {
        kill_tree(&mut child);
        return Err(start_err(format!("could not start a reader thread: {e}")));
    }
    let spawned =
        std::thread::Builder::new().name("password-command-stderr".into()).spawn(move || {
            let mut buf = Vec::new();
            if let Some(err) = stderr {
                let _ = err.take(MAX_COMMAND_OUTPUT).read_to_end(&mut buf);
            }
            let _ = err_tx.send(buf);
        });
    if let Err(e) = spawned {
        kill_tree(&mut child);
        return Err(start_err(format!("could not start a reader thread: {e}")));
    }

    let deadline = Instant::now() + timeout;
    let mut status: Option<ExitStatus> = None;
    let mut out: Option<(Zeroizing<Vec<u8>>, bool)> = None;
    let mut err: Option<Vec<u8>> = None;
    loop {
        if status.is_none() {
            match child.try_wait() {
                Ok(s) => status = s,
                Err(e) => {
                    kill_tree(&mut child);
                    return Err(start_err(format!("could not watch the command: {e}")));
                }
            }
        }
        if out.is_none() {
            match out_rx.try_recv() {
                Ok(o) => out = Some(o),
                Err(mpsc::TryRecvError::Disconnected) => {
                    out = Some((Zeroizing::new(Vec::new()), false))
                }
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        if err.is_none() {
            match err_rx.try_recv() {
                Ok(e) => err = Some(e),
                Err(mpsc::TryRecvError::Disconnected) => err = Some(Vec::new()),
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        if let (Some(status), Some(_), Some(_)) = (status, &out, &err) {
            let (stdout, too_long) = out.unwrap_or_default();
            return finish(cmd_text, status, stdout, too_long, &err.unwrap_or_default());
        }
        if Instant::now() >= deadline {
            kill_tree(&mut child);
            // Whatever the command wrote to stderr before it was stopped helps explain why.
            let stderr = err
                .or_else(|| err_rx.recv_timeout(Duration::from_millis(300)).ok())
                .unwrap_or_default();
            return Err(PasswordCommandError::TimedOut {
                command: cmd_text,
                timeout,
                stderr: stderr_text(&stderr),
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn finish(
    command: String,
    status: ExitStatus,
    mut stdout: Zeroizing<Vec<u8>>,
    too_long: bool,
    stderr: &[u8],
) -> Result<Password, PasswordCommandError> {
    let stderr = stderr_text(stderr);
    if !status.success() {
        return Err(PasswordCommandError::Failed { command, status: status.to_string(), stderr });
    }
    if too_long {
        return Err(PasswordCommandError::BadOutput {
            command,
            reason: format!("more than {MAX_COMMAND_OUTPUT} bytes"),
        });
    }
    let newline = if stdout.ends_with(b"\r\n") { 2 } else { usize::from(stdout.ends_with(b"\n")) };
    let keep = stdout.len() - newline;
    stdout.truncate(keep);
    if stdout.is_empty() {
        return Err(PasswordCommandError::Empty { command, stderr });
    }
    match String::from_utf8(std::mem::take(&mut *stdout)) {
        Ok(text) => Ok(Password::new(text)),
        Err(e) => {
            // Wipe the bytes the error handed back.
            drop(Zeroizing::new(e.into_bytes()));
            Err(PasswordCommandError::BadOutput { command, reason: "not UTF-8 text".into() })
        }
    }
}

fn stderr_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let count = text.chars().count();
    if count <= STDERR_QUOTE_CHARS {
        text.to_string()
    } else {
        let tail: String = text.chars().skip(count - STDERR_QUOTE_CHARS).collect();
        format!("…{tail}")
    }
}

#[cfg(unix)]
fn shell(command: &str) -> Command {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command);
    // Its own process group, so a timeout can stop everything the command started.
    cmd.process_group(0);
    cmd
}

#[cfg(windows)]
fn shell(command: &str) -> Command {
    use std::os::windows::process::CommandExt;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    let mut cmd = Command::new("cmd");
    // Verbatim: cmd.exe does its own parsing, which MSVC-style quoting by `arg` would break.
    cmd.arg("/C").raw_arg(command);
    cmd.creation_flags(CREATE_NO_WINDOW);
    cmd
}

/// Stop the command and everything it started, then reap it.
fn kill_tree(child: &mut Child) {
    let pid = child.id();
    #[cfg(unix)]
    let _ = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -KILL -{pid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    #[cfg(windows)]
    let _ = Command::new("taskkill")
        .args(["/T", "/F", "/PID", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_minus_one_trailing_newline_is_the_password() {
        assert_eq!(
            run_password_command("printf 'tok en\\n\\n'", DEFAULT_COMMAND_TIMEOUT)
                .unwrap()
                .as_str(),
            "tok en\n"
        );
        assert_eq!(
            run_password_command("printf 'x\\r\\n'", DEFAULT_COMMAND_TIMEOUT).unwrap().as_str(),
            "x"
        );
        assert_eq!(
            run_password_command("printf 'no newline'", DEFAULT_COMMAND_TIMEOUT).unwrap().as_str(),
            "no newline"
        );
    }

    #[test]
    fn failing_command_reports_stderr_not_stdout() {
        let err = run_password_command(
            "printf '%s-%s' leaked stdout; echo 'token expired' >&2; exit 3",
            DEFAULT_COMMAND_TIMEOUT,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, PasswordCommandError::Failed { .. }), "{err:?}");
        assert!(text.contains("token expired") && text.contains("exit status: 3"), "{text}");
        assert!(
            !text.contains("leaked-stdout") && !format!("{err:?}").contains("leaked-stdout"),
            "{text}"
        );
    }

    #[test]
    fn hanging_command_is_killed_at_the_timeout() {
        let started = Instant::now();
        let err =
            run_password_command("echo waiting >&2; sleep 5", Duration::from_secs(1)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert!(matches!(err, PasswordCommandError::TimedOut { .. }), "{err:?}");
        assert!(
            err.to_string().contains("within 1 s") && err.to_string().contains("waiting"),
            "{err}"
        );
        // A background child keeping stdout open can't stretch the wait either.
        let started = Instant::now();
        let err = run_password_command("sleep 5 & echo pw", Duration::from_secs(1)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
        assert!(matches!(err, PasswordCommandError::TimedOut { .. }), "{err:?}");
    }

    #[test]
    fn empty_output_and_missing_shell_command_are_errors() {
        let err =
            run_password_command("printf '\\n'; echo 'nothing here' >&2", DEFAULT_COMMAND_TIMEOUT)
                .unwrap_err();
        assert!(
            matches!(err, PasswordCommandError::Empty { ref stderr, .. } if stderr == "nothing here"),
            "{err:?}"
        );
        let err = run_password_command("definitely-not-a-command-xyz", DEFAULT_COMMAND_TIMEOUT)
            .unwrap_err();
        assert!(
            matches!(err, PasswordCommandError::Failed { ref stderr, .. } if stderr.contains("not found")),
            "{err:?}"
        );
        let err = run_password_command("printf '\\377\\376'", DEFAULT_COMMAND_TIMEOUT).unwrap_err();
        assert!(matches!(err, PasswordCommandError::BadOutput { .. }), "{err:?}");
    }
}
