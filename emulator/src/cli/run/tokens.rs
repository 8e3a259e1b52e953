//! The pod's tokens: minted by the emulator, refreshed on its virtual clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rolechain::pod::{TokenSource, token_needs_refresh};
use serde_json::json;
use tokio::sync::watch;

use crate::cli::admin::call_async;

use super::Log;
use super::volumes::LiveVolume;

/// How often the virtual clock is read for token refreshes.
const POLL: Duration = Duration::from_millis(250);
/// A failing refresh is reported again at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// What token minting needs to know about the pod.
#[derive(Debug)]
pub(super) struct Context {
    pub(super) endpoint: String,
    pub(super) namespace: String,
    pub(super) service_account: String,
    pub(super) pod_name: String,
    pub(super) node_name: String,
    pub(super) log: Log,
}

/// A token as the emulator minted it.
#[derive(Debug, Clone)]
pub(super) struct Minted {
    pub(super) token: Vec<u8>,
    issued_at: i64,
    expires_at: i64,
}

/// A fresh token for `source`, from the emulator's issuer.
pub(super) async fn mint(ctx: &Context, source: &TokenSource) -> Result<Minted, String> {
    let body = json!({
        "namespace": ctx.namespace,
        "serviceAccount": ctx.service_account,
        "audiences": source.audience.iter().collect::<Vec<_>>(),
        "expirationSeconds": source.expiration_seconds,
        "pod": ctx.pod_name,
        "node": ctx.node_name,
    });
    let answer = call_async(&ctx.endpoint, "POST", "/_rolechain/tokens", Some(body)).await?;
    match (
        answer["token"].as_str(),
        answer["issuedAt"].as_i64(),
        answer["expiresAt"].as_i64(),
    ) {
        (Some(token), Some(issued_at), Some(expires_at)) => Ok(Minted {
            token: token.as_bytes().to_vec(),
            issued_at,
            expires_at,
        }),
        _ => Err(format!(
            "the emulator's token answer lacks token, issuedAt or expiresAt: {answer}"
        )),
    }
}

/// The virtual clock, in seconds (fractional, so 80% is met on time).
pub(super) async fn virtual_now(endpoint: &str) -> Result<f64, String> {
    let answer = call_async(endpoint, "GET", "/_rolechain/clock", None).await?;
    answer["epochMillis"]
        .as_f64()
        .map(|ms| ms / 1000.0)
        .ok_or_else(|| format!("the emulator's clock answer lacks epochMillis: {answer}"))
}

/// The kubelet's name for a data directory, from the virtual time.
pub(super) fn stamp(now: f64) -> String {
    chrono::DateTime::from_timestamp(now.floor() as i64, 0)
        .map(|t| t.format("%Y_%m_%d_%H_%M_%S").to_string())
        .unwrap_or_else(|| "0000_00_00_00_00_00".into())
}

/// Replaces tokens as the kubelet does, until told to stop. A failure is
/// reported (not too often) and retried; the old token stays in place.
pub(super) async fn refresh(ctx: Arc<Context>, mut volumes: Vec<LiveVolume>, mut stop: watch::Receiver<bool>) {
    if volumes.iter().all(|v| v.tokens.is_empty()) {
        return;
    }
    let mut failing_since: Option<Instant> = None;
    let mut last_report: Option<Instant> = None;
    let mut interval = tokio::time::interval(POLL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        match refresh_due(&ctx, &mut volumes).await {
            Ok(()) => {
                if failing_since.take().is_some() {
                    ctx.log.info("token refresh works again");
                }
                last_report = None;
            }
            Err(e) => {
                failing_since.get_or_insert_with(Instant::now);
                if last_report.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
                    ctx.log.error(&format!("token refresh failed, will retry: {e}"));
                    last_report = Some(Instant::now());
                }
            }
        }
    }
}

async fn refresh_due(ctx: &Context, volumes: &mut [LiveVolume]) -> Result<(), String> {
    let now = virtual_now(&ctx.endpoint).await?;
    for volume in volumes.iter_mut() {
        let due: Vec<usize> = (0..volume.tokens.len())
            .filter(|&i| token_needs_refresh(now, volume.tokens[i].issued_at, volume.tokens[i].expires_at))
            .collect();
        if due.is_empty() {
            continue;
        }
        let mut replaced = volume.tokens.clone();
        for &i in &due {
            replaced[i] = mint(ctx, &volume.plan.tokens[i])
                .await
                .map_err(|e| format!("volume {}: {e}", volume.plan.name))?;
        }
        let old = std::mem::replace(&mut volume.tokens, replaced);
        if let Err(e) = volume.write(&stamp(now)) {
            volume.tokens = old;
            return Err(e);
        }
        for &i in &due {
            ctx.log.info(&format!(
                "refreshed {} in volume {} (valid until {})",
                volume.plan.tokens[i].path,
                volume.plan.name,
                rolechain::clock::iso8601(volume.tokens[i].expires_at)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_follow_the_kubelet() {
        // 1_795_737_600 is 2026-11-27 00:00:00 UTC; the fraction is dropped.
        assert_eq!(stamp(1_795_737_600.7), "2026_11_27_00_00_00");
    }
}
