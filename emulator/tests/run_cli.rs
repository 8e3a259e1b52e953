//! `rolechain run` as a person runs it: the seed's Deployment and Secret give
//! a command the pod's token, credentials file and environment; the token is
//! refreshed when the virtual clock passes 80% of its lifetime; exit codes and
//! signals pass through; bad input is refused with exit code 2.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;

mod common;
use common::{BIN, Served};
const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/seed");
const TOKEN: &str = "var/run/secrets/openshift/serviceaccount";

fn deployment() -> String {
    format!("{SEED}/deployment.yaml")
}

fn secret() -> String {
    format!("{SEED}/secret.yaml")
}

/// `rolechain run` with the seed's pod, the in-process emulator and `args` after `--`.
fn run_seed(extra: &[&str], command: &[&str]) -> Output {
    Command::new(BIN)
        .args([
            "run",
            "--evaluator",
            "native",
            "--deployment",
            &deployment(),
            "--secret",
            &secret(),
        ])
        .args(extra)
        .arg("--")
        .args(command)
        .env_remove("ROLECHAIN_ENDPOINT")
        .env("AWS_ACCESS_KEY_ID", "AKIADEVELOPERSOWNKEY")
        .env("AWS_PROFILE", "developer")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The claims of a JWT, `None` unless it has three parts and a JSON payload.
fn claims(token: &str) -> Option<serde_json::Value> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).ok()?;
    serde_json::from_slice(&payload).ok()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rolechain-run-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The lines `NAME=VALUE` of `env` output, as a map.
fn env_of(out: &str) -> std::collections::BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_seed_pod_sees_its_token_credentials_and_environment() {
    let script = r#"
        printf 'ROOT=%s\n' "$ROLECHAIN_POD_ROOT"
        printf 'TOKEN=%s\n' "$(cat "$ROLECHAIN_POD_ROOT/var/run/secrets/openshift/serviceaccount/token")"
        printf 'WITF=%s\n' "$(sed -n 's/^web_identity_token_file = //p' "$AWS_SHARED_CREDENTIALS_FILE")"
        printf 'ROLE=%s\n' "$(sed -n 's/^role_arn = //p' "$AWS_SHARED_CREDENTIALS_FILE")"
        env | grep -E '^(AWS_|NODE_EXTRA|ROLECHAIN_)'
    "#;
    let out = run_seed(&[], &["sh", "-c", script]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    let vars = env_of(&stdout);
    let root = Path::new(&vars["ROOT"]);

    // The token: the pod's service account, audience `openshift`, an hour.
    let claims = claims(&vars["TOKEN"]).unwrap_or_else(|| panic!("not a JWT: {}", vars["TOKEN"]));
    assert_eq!(claims["sub"], "system:serviceaccount:my-namespace:dev-db-reader");
    assert_eq!(claims["aud"], serde_json::json!(["openshift"]));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    assert!(
        claims["kubernetes.io"]["pod"]["name"]
            .as_str()
            .unwrap()
            .starts_with("my-app-")
    );

    // The ccoctl profile, its token path rewritten to the refreshed token.
    assert_eq!(Path::new(&vars["WITF"]), root.join(TOKEN).join("token"));
    assert_eq!(
        vars["ROLE"],
        "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader"
    );

    // The container's env, mapped; the emulator's; none of the developer's.
    assert_eq!(vars["AWS_REGION"], "eu-west-2");
    assert_eq!(vars["AWS_ROLE_SESSION_NAME"], "dev-dynamodb-reader");
    assert_eq!(
        Path::new(&vars["AWS_SHARED_CREDENTIALS_FILE"]),
        root.join("var/run/secrets/cloud/credentials")
    );
    assert!(vars["AWS_ENDPOINT_URL"].starts_with("http://127.0.0.1:"));
    assert_eq!(vars["ROLECHAIN_ENDPOINT"], vars["AWS_ENDPOINT_URL"]);
    assert_eq!(vars["AWS_EC2_METADATA_DISABLED"], "true");
    assert!(Path::new(&vars["AWS_CONFIG_FILE"]).starts_with(root));
    assert_eq!(vars["AWS_CA_BUNDLE"], vars["NODE_EXTRA_CA_CERTS"]);
    assert!(!vars.contains_key("AWS_ACCESS_KEY_ID"), "{stdout}");
    assert!(!vars.contains_key("AWS_PROFILE"), "{stdout}");

    // Each rewrite said once on stderr; the temporary root gone afterwards.
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("rewrote /var/run/secrets/cloud in env AWS_SHARED_CREDENTIALS_FILE"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rewrote /var/run/secrets/openshift/serviceaccount in Secret"),
        "{stderr}"
    );
    assert!(!root.exists());
}

#[test]
fn the_kubelet_layout_and_quiet() {
    let root = temp_dir("layout");
    let script = "cd \"$ROLECHAIN_POD_ROOT/var/run/secrets/openshift/serviceaccount\" && readlink token && readlink ..data && ls -a && stat -c %a ../../cloud/..data/credentials";
    let out = run_seed(&["--root", root.to_str().unwrap(), "--quiet"], &["sh", "-c", script]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "..data/token");
    assert!(
        lines[1].starts_with("..20") && lines[2..].contains(&lines[1]),
        "{stdout}"
    );
    assert!(lines.contains(&"token") && lines.contains(&"..data"), "{stdout}");
    assert_eq!(lines.last(), Some(&"644"));
    // A root that was given stays, with the files in it.
    assert!(root.join(TOKEN).join("token").exists());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_python_client_exchanges_the_token_at_sts() {
    // Without an SDK: the profile's role and token file, one unsigned
    // AssumeRoleWithWebIdentity at AWS_ENDPOINT_URL, as every SDK sends it.
    let program = r#"
import configparser, os, urllib.parse, urllib.request
profile = configparser.ConfigParser()
profile.read(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
default = profile["default"]
token = open(default["web_identity_token_file"]).read()
body = urllib.parse.urlencode({"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
    "RoleArn": default["role_arn"], "RoleSessionName": os.environ["AWS_ROLE_SESSION_NAME"],
    "WebIdentityToken": token}).encode()
answer = urllib.request.urlopen(urllib.request.Request(os.environ["AWS_ENDPOINT_URL"], data=body)).read().decode()
print("assumed" if "<AccessKeyId>ASIA" in answer else answer)
"#;
    let out = run_seed(&["--quiet"], &["python3", "-c", program]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "assumed");
}

#[test]
fn exit_codes_pass_through() {
    assert_eq!(run_seed(&["-q"], &["sh", "-c", "exit 7"]).status.code(), Some(7));
    assert_eq!(run_seed(&["-q"], &["true"]).status.code(), Some(0));
    // Death by a signal reads as the shell reports it: 128 + the signal.
    assert_eq!(
        run_seed(&["-q"], &["sh", "-c", "kill -KILL $$"]).status.code(),
        Some(137)
    );
    let missing = run_seed(&["-q"], &["rolechain-no-such-command"]);
    assert_eq!(missing.status.code(), Some(127));
    assert!(text(&missing.stderr).contains("rolechain-no-such-command: command not found"));
}

#[test]
fn signals_reach_the_command() {
    let mut child = Command::new(BIN)
        .args([
            "run",
            "-q",
            "--evaluator",
            "native",
            "--deployment",
            &deployment(),
            "--secret",
            &secret(),
        ])
        .args([
            "--",
            "sh",
            "-c",
            "trap 'echo got USR1' USR1; trap 'echo got TERM; exit 42' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .env_remove("ROLECHAIN_ENDPOINT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    let kill = |signal: &str| {
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    kill("-USR1");
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "got USR1");
    kill("-TERM");
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest.trim(), "got TERM");
    assert_eq!(status.code(), Some(42));
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("rolechain run did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bad_input_is_refused_with_exit_code_2() {
    let dir = temp_dir("bad");
    let service = dir.join("service.yaml");
    std::fs::write(&service, "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n").unwrap();
    let refused = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("run")
            .args(args)
            .args(["--", "true"])
            .env_remove("ROLECHAIN_ENDPOINT")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        text(&out.stderr)
    };
    let e = refused(&["--deployment", service.to_str().unwrap()]);
    assert!(e.contains("no pod found"), "{e}");
    let e = refused(&["--deployment", dir.join("nope.yaml").to_str().unwrap()]);
    assert!(e.contains("cannot read"), "{e}");
    // The Secret the pod mounts was not given.
    let e = refused(&["--deployment", &deployment()]);
    assert!(
        e.contains("Secret my-namespace/dev-dynamodb-reader") && e.contains("--secret"),
        "{e}"
    );
    let e = refused(&[
        "--deployment",
        &deployment(),
        "--secret",
        &secret(),
        "--container",
        "other",
    ]);
    assert!(e.contains("my-container"), "{e}");
    // Nothing listens there.
    let e = refused(&[
        "--deployment",
        &deployment(),
        "--secret",
        &secret(),
        "--endpoint",
        "http://127.0.0.1:9",
    ]);
    assert!(e.contains("rolechain serve"), "{e}");
    // The world decides who gets a token.
    let e = refused(&["--service-account", "my-namespace/stranger", "--audience", "openshift"]);
    assert!(e.contains("ServiceAccountNotAllowed"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_service_account_with_the_webhook_variables() {
    let out = Command::new(BIN)
        .args(["run", "-q", "--evaluator", "native", "--service-account", "my-namespace/dev-db-reader"])
        .args(["--audience", "sts.amazonaws.com", "--role-arn", "arn:aws:iam::111111111111:role/r"])
        .args(["--secret", &secret(), "--env", "AWS_REGION=eu-west-2"])
        .args(["--", "sh", "-c", "env | grep -E '^AWS_'; printf 'TOKEN=%s\\n' \"$(cat \"$AWS_WEB_IDENTITY_TOKEN_FILE\")\"; printf 'CRED=%s\\n' \"$(sed -n 's/^web_identity_token_file = //p' \"$ROLECHAIN_POD_ROOT/var/run/secrets/cloud/credentials\")\""])
        .env_remove("ROLECHAIN_ENDPOINT")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let vars = env_of(&stdout);
    assert_eq!(vars["AWS_ROLE_ARN"], "arn:aws:iam::111111111111:role/r");
    assert_eq!(vars["AWS_REGION"], "eu-west-2");
    assert!(vars["AWS_WEB_IDENTITY_TOKEN_FILE"].ends_with("/var/run/secrets/openshift/serviceaccount/token"));
    assert!(!vars["AWS_WEB_IDENTITY_TOKEN_FILE"].starts_with("/var/"));
    assert_eq!(vars["CRED"], vars["AWS_WEB_IDENTITY_TOKEN_FILE"]);
    let claims = claims(&vars["TOKEN"]).unwrap();
    assert_eq!(claims["aud"], serde_json::json!(["sts.amazonaws.com"]));
}

/// `rolechain serve` on free ports, stopped when dropped.
struct Server(Served);

impl Server {
    fn start() -> Server {
        Server(Served::start(|_| {}))
    }

    fn advance(&self, seconds: i64) {
        let out = Command::new(BIN)
            .args([
                "clock",
                "--endpoint",
                self.0.endpoint(),
                "--advance",
                &seconds.to_string(),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The seed's pod against `server`, with files under `root`, running until
/// the test creates `ROOT/stop`, then `last` (a shell command, may be empty).
fn seed_pod_until_stopped(server: &Server, root: &Path, last: &str) -> std::process::Child {
    let wait = format!("while [ ! -e \"$ROLECHAIN_POD_ROOT/stop\" ]; do sleep 0.05; done; {last}");
    Command::new(BIN)
        .args([
            "run",
            "--endpoint",
            server.0.endpoint(),
            "--root",
            root.to_str().unwrap(),
        ])
        .args(["--deployment", &deployment(), "--secret", &secret()])
        .args(["--", "sh", "-c", &wait])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn the_token_is_refreshed_at_eighty_percent_of_its_virtual_lifetime() {
    let server = Server::start();
    let root = temp_dir("refresh");
    let stop = root.join("stop");
    let mut run = seed_pod_until_stopped(&server, &root, "");
    let dir = root.join(TOKEN);
    let token = dir.join("token");
    assert!(
        wait_for(Duration::from_secs(20), || token.exists()),
        "no token appeared"
    );
    let first = std::fs::read_to_string(&token).unwrap();

    // A reader that keeps opening `..data/token`: every read is a whole JWT.
    let reading = Arc::new(AtomicBool::new(true));
    let reader = {
        let (reading, data) = (reading.clone(), dir.join("..data/token"));
        std::thread::spawn(move || {
            let mut reads = 0u32;
            while reading.load(Ordering::Relaxed) {
                match std::fs::read_to_string(&data) {
                    Ok(t) => {
                        assert!(claims(&t).is_some(), "a partial token: {t:?}");
                        reads += 1;
                    }
                    // Only the path walk racing the removal of a directory
                    // `..data` no longer points at; never a partial file.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("{e}"),
                }
            }
            reads
        })
    };

    // 55% of the hour: no refresh.
    server.advance(1980);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(std::fs::read_to_string(&token).unwrap(), first);
    // Past 80% (2880 s): refreshed within a few polls.
    server.advance(920);
    assert!(
        wait_for(Duration::from_secs(10), || std::fs::read_to_string(&token).unwrap()
            != first),
        "no refresh after 80% of the lifetime"
    );
    let second = std::fs::read_to_string(&token).unwrap();
    let (a, b) = (claims(&first).unwrap(), claims(&second).unwrap());
    assert!(b["iat"].as_i64().unwrap() >= a["iat"].as_i64().unwrap() + 2900);
    assert_eq!(b["sub"], a["sub"]);
    // A jump past expiry refreshes at once too.
    server.advance(7200);
    assert!(
        wait_for(Duration::from_secs(10), || std::fs::read_to_string(&token).unwrap()
            != second),
        "no refresh after a jump past expiry"
    );
    // The old data directories are gone: one hidden directory besides `..data`.
    let hidden = |dir: &Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                name.starts_with("..") && name != "..data"
            })
            .count()
    };
    assert_eq!(hidden(&dir), 1);

    reading.store(false, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    std::fs::write(&stop, "").unwrap();
    let status = wait_with_timeout(&mut run, Duration::from_secs(20));
    let mut stderr = String::new();
    run.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("refreshed token in volume bound-sa-token").count(),
        2,
        "{stderr}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_failing_refresh_is_reported_and_the_command_lives_on() {
    let server = Server::start();
    let root = temp_dir("failing");
    let mut run = seed_pod_until_stopped(&server, &root, "exit 5");
    let token = root.join(TOKEN).join("token");
    assert!(wait_for(Duration::from_secs(20), || token.exists()));
    let before = std::fs::read_to_string(&token).unwrap();
    drop(server);
    std::thread::sleep(Duration::from_millis(800));
    std::fs::write(root.join("stop"), "").unwrap();
    let status = wait_with_timeout(&mut run, Duration::from_secs(20));
    let mut stderr = String::new();
    run.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("token refresh failed, will retry"), "{stderr}");
    // The kubelet keeps serving the old token.
    assert_eq!(std::fs::read_to_string(&token).unwrap(), before);
    std::fs::remove_dir_all(&root).unwrap();
}
