// What every test of tests/pod/js shares: the pod `rolechain run` made (its
// environment, its token file), the emulator's admin API (clock, audit), and
// the seed's corrected app (emulator/seed/app), loaded with the pinned SDK.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";

// Inside `rolechain run` or nowhere: without its environment the SDK would
// look for credentials (and AWS) elsewhere.
for (const name of ["ROLECHAIN_ENDPOINT", "ROLECHAIN_POD_ROOT", "AWS_ENDPOINT_URL", "AWS_SHARED_CREDENTIALS_FILE"]) {
	if (!process.env[name]) {
		throw new Error(`${name} is not set: run these tests inside \`rolechain run\` (bash tests/pod/test.sh)`);
	}
}
export const ENDPOINT = process.env.ROLECHAIN_ENDPOINT.replace(/\/$/, "");
export const POD_ROOT = process.env.ROLECHAIN_POD_ROOT;
export const TOKEN_FILE = join(POD_ROOT, "var/run/secrets/openshift/serviceaccount/token");

// emulator/seed/app holds only the app's source, as a container image would
// before `npm ci`. Its imports of @aws-sdk/* resolve to the packages pinned
// here (tests/pod/js/package-lock.json).
register("./resolve-sdk.mjs", import.meta.url);
const app = new URL("../../../../emulator/seed/app/", import.meta.url);
export const { getClient, REGION, ROLE_ARN } = await import(new URL("assume-role.mjs", app));
export const { ConnectedClient } = await import(new URL("refresh-on-expired.mjs", app));

export async function admin(method, path, body) {
	const response = await fetch(`${ENDPOINT}/_rolechain/${path}`, {
		method,
		headers: body === undefined ? {} : { "content-type": "application/json" },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	assert.ok(response.ok, `${method} /_rolechain/${path}: ${response.status} ${text}`);
	return JSON.parse(text);
}

// The emulator's virtual clock, and how far ahead of this process's clock it
// is (kept by advanceClock; the clock runs at rate 1 between jumps).
let emulatorOffsetMs = 0;

export async function virtualNowSeconds() {
	const clock = await admin("GET", "clock");
	emulatorOffsetMs = clock.epochMillis - Date.now();
	return clock.epochSeconds;
}

/** Moves the emulator's clock (STS, SigV4, the issuer); this process's clock stays. */
export async function advanceClock(seconds) {
	const clock = await admin("POST", "clock", { advanceSeconds: seconds });
	emulatorOffsetMs = clock.epochMillis - Date.now();
	return clock;
}

/**
 * An SDK credentials provider whose credentials expire by the emulator's
 * clock. The SDK decides when to refresh by comparing `expiration` with its
 * own clock (Date.now); here `expiration` answers the session's end moved by
 * the emulator's lead, so "5 minutes left" means 5 minutes of virtual time.
 * Every call the SDK makes asks the wrapped provider afresh (forceRefresh):
 * the SDK calls it only when, by the emulator's clock, a refresh is due.
 * Signing keeps the real time, which the emulator accepts (docs/admin-api.md).
 */
export function onEmulatorClock(provider) {
	return async (options = {}) => {
		const identity = await provider({ ...options, forceRefresh: true });
		if (!(identity.expiration instanceof Date)) {
			return identity;
		}
		const end = identity.expiration.getTime();
		const moved = { ...identity };
		Object.defineProperty(moved, "expiration", {
			enumerable: true,
			get: () => new Date(end - emulatorOffsetMs),
		});
		return moved;
	};
}

/**
 * A DynamoDB client as dynamodb-reader whose credentials the SDK manages: the
 * pod's default chain (the web identity), then AssumeRole for 900 s as
 * `session`, both judged on the emulator's clock (onEmulatorClock).
 */
export function readerOnEmulatorClock(session) {
	return new DynamoDBClient({
		region: REGION,
		credentials: onEmulatorClock(fromTemporaryCredentials({
			params: { RoleArn: ROLE_ARN, RoleSessionName: session, DurationSeconds: 900 },
			masterCredentials: onEmulatorClock(fromNodeProviderChain()),
			clientConfig: { region: REGION },
		})),
	});
}

/** Audit events, oldest first; `query` holds the admin API's filters. */
export async function audit(query = {}) {
	const params = new URLSearchParams(query);
	return (await admin("GET", `audit?${params}`)).events;
}

export function readToken() {
	return readFileSync(TOKEN_FILE, "ascii");
}

export function tokenClaims(token) {
	return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
}

/** Waits (polling, up to `timeoutMs` of real time) until the token file no longer holds `previous`. */
export async function waitForTokenChange(previous, timeoutMs = 20_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const current = readToken();
		if (current !== previous) {
			return current;
		}
		assert.ok(Date.now() < deadline, `${TOKEN_FILE} was not refreshed within ${timeoutMs} ms`);
		await sleep(50);
	}
}

/** A session name no other test uses, so the audit can be filtered by it. */
export function sessionName(label) {
	return `${label}-${process.pid}-${Date.now()}`;
}

export const CCOCTL_ROLE = "my-namespace-creds-my-namespace-dev-dynamodb-reader";
export const ORDERS = "orders";
export const ALICE_1 = { customer: { S: "alice" }, order_id: { S: "2026-0001" } };
