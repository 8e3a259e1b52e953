//! `rolechain token` and `rolechain clock`: the admin API of a running
//! emulator, from the command line.

use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};

/// Where the running emulator listens.
#[derive(Debug, Args)]
pub struct Endpoint {
    /// The emulator's endpoint (as `rolechain serve` printed it).
    #[arg(long, env = "ROLECHAIN_ENDPOINT", default_value = "http://127.0.0.1:4590")]
    pub(super) endpoint: String,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    endpoint: Endpoint,
    /// The service account, `namespace/name`.
    #[arg(long, value_name = "NAMESPACE/NAME")]
    service_account: String,
    /// An audience (repeat for several); the issuer's URL when none is given, as Kubernetes does.
    #[arg(long = "audience")]
    audiences: Vec<String>,
    /// Lifetime in seconds (Kubernetes: 600 up to 2^32; default 3600).
    #[arg(long)]
    expiration_seconds: Option<i64>,
    /// The issuer's name, when the world has several.
    #[arg(long)]
    issuer: Option<String>,
    /// Print the whole answer (claims, expiry) as JSON instead of the bare token.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ClockArgs {
    #[command(flatten)]
    endpoint: Endpoint,
    /// Set the clock to this time (ISO-8601, e.g. 2030-01-01T00:00:00Z).
    #[arg(long)]
    set: Option<String>,
    /// Move the clock by this many seconds (negative moves it back).
    #[arg(long, allow_hyphen_values = true)]
    advance: Option<f64>,
    /// Virtual seconds per real second from now on (0 freezes it).
    #[arg(long)]
    rate: Option<f64>,
}

pub fn token(args: TokenArgs) -> Result<std::process::ExitCode, String> {
    let (namespace, name) = args
        .service_account
        .split_once('/')
        .ok_or_else(|| format!("--service-account {}: expected namespace/name", args.service_account))?;
    let mut body = json!({ "namespace": namespace, "serviceAccount": name, "audiences": args.audiences });
    if let Some(s) = args.expiration_seconds {
        body["expirationSeconds"] = json!(s);
    }
    if let Some(i) = &args.issuer {
        body["issuer"] = json!(i);
    }
    let answer = call(&args.endpoint.endpoint, "POST", "/_rolechain/tokens", Some(body))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
    } else {
        println!("{}", answer["token"].as_str().unwrap_or_default());
    }
    Ok(std::process::ExitCode::SUCCESS)
}

pub fn clock(args: ClockArgs) -> Result<std::process::ExitCode, String> {
    let change = args.set.is_some() || args.advance.is_some() || args.rate.is_some();
    let answer = if change {
        let mut body = json!({});
        if let Some(s) = &args.set {
            body["set"] = json!(s);
        }
        if let Some(a) = args.advance {
            body["advanceSeconds"] = json!(a);
        }
        if let Some(r) = args.rate {
            body["rate"] = json!(r);
        }
        call(&args.endpoint.endpoint, "POST", "/_rolechain/clock", Some(body))?
    } else {
        call(&args.endpoint.endpoint, "GET", "/_rolechain/clock", None)?
    };
    println!(
        "{} (rate {})",
        answer["iso"].as_str().unwrap_or_default(),
        answer["rate"]
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// One admin API call; an error answer becomes its message.
pub(super) fn call(endpoint: &str, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(call_async(endpoint, method, path, body))
}

/// [`call`] for callers already inside a runtime (`rolechain run`'s refresh loop).
pub(super) async fn call_async(endpoint: &str, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
    let (status, bytes) = request(endpoint, method, path, body).await?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| {
        format!(
            "the emulator answered {status} with something other than JSON: {}",
            String::from_utf8_lossy(&bytes)
        )
    })?;
    if status.is_success() {
        Ok(value)
    } else {
        Err(format!(
            "{}: {}",
            value["error"].as_str().unwrap_or("Error"),
            value["message"].as_str().unwrap_or_default()
        ))
    }
}

/// One HTTP/1.1 exchange with the admin API, answered with the raw status and
/// body (`/_rolechain/ca.pem` is not JSON).
pub(super) async fn request(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<(hyper::StatusCode, Bytes), String> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("--endpoint {endpoint}: expected http://HOST:PORT"))?
        .trim_end_matches('/')
        .to_string();
    let stream = tokio::net::TcpStream::connect(&authority)
        .await
        .map_err(|e| format!("cannot reach the emulator at {endpoint}: {e} (is `rolechain serve` running?)"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", &authority)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(payload)))
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, bytes))
}
