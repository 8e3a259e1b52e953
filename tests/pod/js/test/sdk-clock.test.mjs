// What the SDK's own refreshing credentials do when only the emulator's clock
// jumps: the SDK decides "expired" by the pod's clock (Date.now, 5 minutes
// before the session's Expiration), never by STS's. A jump of the emulator is
// time that passed for AWS but not for the pod, so the SDK keeps sending the
// session it holds and gets the error the post's readers met; it does not
// treat ExpiredTokenException as a reason to refresh.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { ALICE_1, CCOCTL_ROLE, ORDERS, REGION, ROLE_ARN, advanceClock, audit, readerOnEmulatorClock, sessionName } from "./pod.mjs";

const sessions = async (session) => (await audit({ eventName: "AssumeRole", principal: CCOCTL_ROLE }))
	.filter((e) => e.requestParameters.roleSessionName === session).length;

test("fromTemporaryCredentials refreshes by the pod's clock, not by STS's", async () => {
	const session = sessionName("sdk-clock");
	const client = new DynamoDBClient({
		region: REGION,
		credentials: fromTemporaryCredentials({
			params: { RoleArn: ROLE_ARN, RoleSessionName: session, DurationSeconds: 900 },
			clientConfig: { region: REGION },
		}),
	});
	const get = () => client.send(new GetItemCommand({ TableName: ORDERS, Key: ALICE_1 }));
	assert.deepEqual((await get()).Item.customer, { S: "alice" });

	// STS's clock passes the session's end; the pod's clock does not move.
	await advanceClock(901);
	for (let attempt = 0; attempt < 2; attempt++) {
		await assert.rejects(get(), { name: "ExpiredTokenException" });
	}
	assert.equal(await sessions(session), 1, "the SDK assumed the role again although its clock said the session was fresh");
});

test("the same providers, told the emulator's time, refresh before STS refuses", async () => {
	const session = sessionName("sdk-clock-told");
	const client = readerOnEmulatorClock(session);
	const get = () => client.send(new GetItemCommand({ TableName: ORDERS, Key: ALICE_1 }));
	const expired = async () => (await audit({ errorCode: "ExpiredTokenException" })).length;
	assert.deepEqual((await get()).Item.customer, { S: "alice" });
	const expiredBefore = await expired();
	await advanceClock(901);
	assert.deepEqual((await get()).Item.customer, { S: "alice" });
	assert.equal(await sessions(session), 2);
	assert.equal(await expired(), expiredBefore, "a request went out with an expired session");
});
