// The post's naive refresh, corrected: once the 900-second session of
// getClient() has expired on STS's clock, the request fails with
// ExpiredTokenException; ConnectedClient builds a new client and retries.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ALICE_1, ConnectedClient, ORDERS, advanceClock, audit, getClient, sessionName } from "./pod.mjs";

test("an expired session: ExpiredTokenException, a new client, and the retry succeeds", async () => {
	const session = sessionName("naive-refresh");
	const connected = await ConnectedClient.connect({ roleSessionName: session });
	const first = await connected.send(new GetItemCommand({ TableName: ORDERS, Key: ALICE_1 }));
	assert.deepEqual(first.Item.status, { S: "shipped" });
	const firstClient = connected.dynamodbClient;

	// 901 s later (on the emulator's clock) the 900-second session is over.
	await advanceClock(901);
	// The old client alone now fails, as the app would see it without the wrapper.
	await assert.rejects(firstClient.send(new GetItemCommand({ TableName: ORDERS, Key: ALICE_1 })), {
		name: "ExpiredTokenException",
		message: "The security token included in the request is expired",
	});

	const since = (await audit({})).length;
	const retried = await connected.send(new GetItemCommand({ TableName: ORDERS, Key: ALICE_1 }));
	assert.deepEqual(retried.Item.order_id, { S: "2026-0001" });
	assert.notEqual(connected.dynamodbClient, firstClient, "the wrapper did not build a new client");

	// The audit tells the story of that one send: the expired read, a new
	// AssumeRole into dynamodb-reader, the read again, allowed.
	const story = (await audit({})).slice(since).map((e) => [e.eventName, e.errorCode ?? "ok"]);
	assert.deepEqual(story.filter(([name]) => name !== "AssumeRoleWithWebIdentity"), [
		["GetItem", "ExpiredTokenException"],
		["AssumeRole", "ok"],
		["GetItem", "ok"],
	]);
	const assumed = await audit({ eventName: "AssumeRole", principal: "my-namespace-creds" });
	assert.equal(assumed.filter((e) => e.requestParameters.roleSessionName === session).length, 2);
});

test("only ExpiredTokenException refreshes: other errors reach the caller, with no new session", async () => {
	const session = sessionName("naive-other");
	const connected = await ConnectedClient.connect({ roleSessionName: session });
	const client = connected.dynamodbClient;
	await assert.rejects(
		connected.send(new PutItemCommand({ TableName: ORDERS, Item: { customer: { S: "x" }, order_id: { S: "1" } } })),
		{ name: "AccessDeniedException" },
	);
	await assert.rejects(
		connected.send(new GetItemCommand({ TableName: "no-such-table", Key: ALICE_1 })),
		{ name: "AccessDeniedException" },
	);
	assert.equal(connected.dynamodbClient, client);
	const assumed = await audit({ eventName: "AssumeRole", principal: "my-namespace-creds" });
	assert.equal(assumed.filter((e) => e.requestParameters.roleSessionName === session).length, 1);
});

test("a second expiry is survived too, and a fresh client never sees the error", async () => {
	const session = sessionName("naive-twice");
	const connected = await ConnectedClient.connect({ roleSessionName: session });
	for (let round = 0; round < 2; round++) {
		await advanceClock(901);
		const { Item } = await connected.send(new GetItemCommand({ TableName: ORDERS, Key: ALICE_1 }));
		assert.deepEqual(Item.customer, { S: "alice" });
	}
	const expired = await audit({ eventName: "GetItem", errorCode: "ExpiredTokenException" });
	assert.ok(expired.length >= 2);
	// A client built after the jump has a session of the new time.
	const fresh = await getClient({ roleSessionName: sessionName("naive-fresh") });
	const { Item } = await fresh.send(new GetItemCommand({ TableName: ORDERS, Key: ALICE_1 }));
	assert.deepEqual(Item.customer, { S: "alice" });
});
