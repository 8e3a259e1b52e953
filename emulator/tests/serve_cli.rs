//! `rolechain serve`, `token` and `clock` as a person runs them: the ready
//! line, the admin API through the CLI, the audit log file, refused worlds,
//! and a clean stop on SIGTERM.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output};

mod common;
use common::{BIN, Served};

/// The emulator under test, with the CLI and raw HTTP pointed at it.
struct Server(Served);

impl std::ops::Deref for Server {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.0
    }
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Server(Served::start(|command| {
            command.args(args);
        }))
    }

    fn cli(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .env("ROLECHAIN_ENDPOINT", self.endpoint())
            .output()
            .unwrap()
    }

    /// A raw HTTP/1.1 GET, answered with the status line and body.
    fn get(&self, path: &str) -> (String, String) {
        let authority = self.endpoint().trim_start_matches("http://");
        let mut stream = TcpStream::connect(authority).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer.lines().next().unwrap_or_default().to_string();
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    fn stop(mut self) -> std::process::ExitStatus {
        self.0.signal("TERM")
    }
}

#[test]
fn serve_prints_a_ready_line_and_stops_on_sigterm() {
    let server = Server::start(&[]);
    assert_eq!(server.ready["event"], "ready");
    assert!(server.endpoint().starts_with("http://127.0.0.1:"));
    assert!(
        server.ready["issuerEndpoint"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:")
    );
    let thumbprint = server.ready["thumbprint"].as_str().unwrap();
    assert!(thumbprint.len() == 40 && thumbprint.bytes().all(|b| b.is_ascii_hexdigit()));
    let ca = std::fs::read_to_string(server.ready["caFile"].as_str().unwrap()).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));

    let (status, body) = server.get("/_rolechain/health");
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("\"ok\""));
    assert!(server.stop().success());
}

#[test]
fn token_and_clock_drive_a_running_emulator() {
    let server = Server::start(&["--clock-start", "2030-01-01T00:00:00Z", "--clock-rate", "0"]);
    let out = server.cli(&[
        "token",
        "--service-account",
        "my-namespace/dev-db-reader",
        "--audience",
        "openshift",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let minted: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        minted["claims"]["sub"],
        "system:serviceaccount:my-namespace:dev-db-reader"
    );
    assert_eq!(minted["claims"]["iat"], 1_893_456_000);
    assert_eq!(minted["expiresAt"], 1_893_456_000 + 3600);

    let out = server.cli(&["clock", "--advance", "3601"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "2030-01-01T01:00:01Z (rate 0.0)"
    );

    // Refusals say what is wrong and change nothing.
    let out = server.cli(&["token", "--service-account", "my-namespace/nobody"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ServiceAccountNotAllowed"));
    let out = server.cli(&[
        "token",
        "--service-account",
        "my-namespace/dev-db-reader",
        "--expiration-seconds",
        "60",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("10 minutes"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = server.cli(&["clock", "--set", "yesterday", "--advance", "5"]);
    assert_eq!(out.status.code(), Some(2));
    let out = server.cli(&["clock"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "2030-01-01T01:00:01Z (rate 0.0)"
    );
    server.stop();
}

#[test]
fn the_audit_log_file_gets_every_call() {
    let dir = std::env::temp_dir().join(format!("rolechain-serve-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("audit.jsonl");
    let server = Server::start(&["--audit-log", log.to_str().unwrap()]);
    // An unsigned call that needs a signature, and a garbage token.
    let (status, _) = server.get("/?Action=GetCallerIdentity&Version=2011-06-15");
    assert!(status.contains("403"), "{status}");
    let (status, body) = server.get(
        "/?Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::111111111111:role/x&RoleSessionName=s1&WebIdentityToken=not-a-jwt",
    );
    assert!(status.contains("400"), "{status}");
    assert!(body.contains("<Code>InvalidIdentityToken</Code>"), "{body}");
    let (_, audit) = server.get("/_rolechain/audit?eventName=AssumeRoleWithWebIdentity");
    assert!(audit.contains("InvalidIdentityToken"));
    server.stop();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["errorCode"], "MissingAuthenticationToken");
    assert_eq!(lines[1]["eventName"], "AssumeRoleWithWebIdentity");
    assert!(
        lines[1]["requestParameters"].get("webIdentityToken").is_none(),
        "tokens never reach the log"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_world_is_refused_with_its_place() {
    let dir = std::env::temp_dir().join(format!("rolechain-serve-world-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let world = dir.join("world.yaml");
    std::fs::write(&world, "accounts:\n  - id: \"111111111111\"\n    roles:\n      - name: r\n        trustPolicy: '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}]}'\n").unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--port",
            "0",
            "--issuer-port",
            "0",
            "--world",
            world.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("world.yaml: accounts[0].roles[0].trustPolicy: MalformedPolicyDocument"),
        "{err}"
    );
    std::fs::write(&world, "accounts:\n  - id: \"111111111111\"\n    rolez: []\n").unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--port",
            "0",
            "--issuer-port",
            "0",
            "--world",
            world.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("world.yaml:3:5: "), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
