// The SDK's own refreshing credentials never meet ExpiredTokenException when
// they count time as STS does. The client's credentials are the SDK's:
// fromTemporaryCredentials (AssumeRole into dynamodb-reader, 900 s) over the
// default chain (the Secret's web-identity profile, 3600 s), each told the
// emulator's time (onEmulatorClock in pod.mjs). Across jumps of the virtual
// clock, past the projected token's lifetime, the SDK assumes the role again
// 5 minutes before each session ends, and exchanges the token file again,
// which `rolechain run` has refreshed as kubelet would.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
	ALICE_1, CCOCTL_ROLE, ORDERS, REGION, advanceClock, audit, readerOnEmulatorClock,
	readToken, sessionName, tokenClaims, virtualNowSeconds, waitForTokenChange,
} from "./pod.mjs";

test("fromTemporaryCredentials over the pod's web identity keeps working past the token's lifetime", async () => {
	const since = (await audit({})).length;
	const start = await virtualNowSeconds();
	const firstToken = readToken();
	const first = tokenClaims(firstToken);
	assert.equal(first.exp - first.iat, 3600, "the deployment's projected token lives 3600 s");
	assert.deepEqual(first.aud, ["openshift"]);

	const session = sessionName("sdk-refresh");
	const client = readerOnEmulatorClock(session);
	const assumeRoles = async () => (await audit({ eventName: "AssumeRole", principal: CCOCTL_ROLE }))
		.filter((e) => e.requestParameters.roleSessionName === session).length;
	const exchanges = async () => (await audit({ eventName: "AssumeRoleWithWebIdentity" })).length;
	const exchangesBefore = await exchanges();
	const read = async (label) => {
		const { Item } = await client.send(new GetItemCommand({ TableName: ORDERS, Key: ALICE_1 }));
		assert.deepEqual(Item?.customer, { S: "alice" }, label);
	};

	await read("t+0");
	assert.equal(await assumeRoles(), 1);
	assert.equal(await exchanges(), exchangesBefore + 1);

	// t+500: 400 s of the session left, more than the SDK's 5 minutes: kept.
	await advanceClock(500);
	await read("t+500");
	assert.equal(await assumeRoles(), 1);

	// t+901: past the session's end; the SDK knows and assumes the role first.
	await advanceClock(401);
	await read("t+901");
	assert.equal(await assumeRoles(), 2);

	// t+1601: 200 s left of the second session: renewed before it ends.
	await advanceClock(700);
	await read("t+1601");
	assert.equal(await assumeRoles(), 3);
	assert.equal(await exchanges(), exchangesBefore + 1, "the web-identity session (3600 s) is still good");

	// t+2900: past 80% of the token's life; `rolechain run` writes a new one.
	await advanceClock(1299);
	const secondToken = await waitForTokenChange(firstToken);
	const second = tokenClaims(secondToken);
	assert.ok(second.iat >= first.iat + 2880, `the new token was issued at ${second.iat}, before 80% of the old one's life`);
	assert.ok(second.exp > first.exp);
	assert.equal(second.sub, first.sub);
	await read("t+2900");
	assert.equal(await exchanges(), exchangesBefore + 1);

	// t+3700: the first token and the web-identity session made with it have
	// ended. The SDK exchanges again, reading the token file afresh.
	await advanceClock(800);
	assert.ok((await virtualNowSeconds()) > first.exp);
	await read("t+3700");
	assert.equal(await exchanges(), exchangesBefore + 2);
	const [latest] = await audit({ eventName: "AssumeRoleWithWebIdentity", limit: 1 });
	assert.ok(Date.parse(latest.eventTime) / 1000 >= start + 3700);

	// Not one error on the way, in the client or at the emulator.
	const errors = (await audit({})).slice(since).filter((e) => e.errorCode !== undefined);
	assert.deepEqual(errors.map((e) => `${e.eventName} ${e.errorCode}`), []);

	// The control: the first token, which the SDK would have sent had it not
	// re-read the file, is refused now.
	const stale = new STSClient({ region: REGION }).send(new AssumeRoleWithWebIdentityCommand({
		RoleArn: `arn:aws:iam::111111111111:role/${CCOCTL_ROLE}`,
		RoleSessionName: "stale-token",
		WebIdentityToken: firstToken,
	}));
	await assert.rejects(stale, { name: "ExpiredTokenException" });
});
