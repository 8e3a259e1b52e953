// The seed's chain with the post's JavaScript, corrected, inside `rolechain run`:
// the pod's default credentials, the AssumeRole into account B, the orders table.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ALICE_1, CCOCTL_ROLE, ORDERS, audit, getClient, sessionName } from "./pod.mjs";

test("the pod's default credentials are a web-identity session of the ccoctl role", async () => {
	// No credentials, no region: the deployment's environment and the Secret's profile.
	const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));
	assert.equal(identity.Account, "111111111111");
	// AWS_ROLE_SESSION_NAME of the deployment names the web-identity session.
	assert.equal(identity.Arn, `arn:aws:sts::111111111111:assumed-role/${CCOCTL_ROLE}/dev-dynamodb-reader`);

	const [exchange] = await audit({ eventName: "AssumeRoleWithWebIdentity", limit: 1 });
	assert.equal(exchange.errorCode, undefined);
	assert.equal(exchange.userIdentity.userName, "system:serviceaccount:my-namespace:dev-db-reader");
	assert.equal(exchange.responseElements.audience, "openshift");
});

test("getClient() assumes dynamodb-reader in account B and reads alice's order", async () => {
	const session = sessionName("chain-read");
	const client = await getClient({ roleSessionName: session });
	const { Item } = await client.send(new GetItemCommand({ TableName: ORDERS, Key: ALICE_1 }));
	assert.deepEqual(Item.customer, { S: "alice" });
	assert.deepEqual(Item.order_id, { S: "2026-0001" });
	assert.deepEqual(Item.status, { S: "shipped" });
	assert.deepEqual(Item.total, { N: "42.5" });

	// The read went out as the AssumeRole session of account B, which the
	// ccoctl role's session opened.
	const [assumed] = await audit({ eventName: "AssumeRole", principal: CCOCTL_ROLE, limit: 1 });
	assert.equal(assumed.requestParameters.roleArn, "arn:aws:iam::222222222222:role/dynamodb-reader");
	assert.equal(assumed.requestParameters.roleSessionName, session);
	assert.equal(assumed.requestParameters.durationSeconds, 900);
	const [read] = await audit({ eventName: "GetItem", principal: session });
	assert.equal(read.userIdentity.arn, `arn:aws:sts::222222222222:assumed-role/dynamodb-reader/${session}`);
	assert.equal(read.recipientAccountId, "222222222222");
	assert.equal(read.errorCode, undefined);
});

test("the role may read but not write: PutItem is denied in AWS's words", async () => {
	const session = sessionName("chain-write");
	const client = await getClient({ roleSessionName: session });
	const put = client.send(new PutItemCommand({
		TableName: ORDERS,
		Item: { customer: { S: "mallory" }, order_id: { S: "2026-9999" } },
	}));
	await assert.rejects(put, (err) => {
		assert.equal(err.name, "AccessDeniedException");
		assert.equal(err.$metadata.httpStatusCode, 400);
		assert.equal(
			err.message,
			`User: arn:aws:sts::222222222222:assumed-role/dynamodb-reader/${session} is not authorized to perform: ` +
				"dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-2:222222222222:table/orders " +
				"because no identity-based policy allows the dynamodb:PutItem action",
		);
		return true;
	});
	// Nothing was written.
	const { Item } = await client.send(new GetItemCommand({
		TableName: ORDERS,
		Key: { customer: { S: "mallory" }, order_id: { S: "2026-9999" } },
	}));
	assert.equal(Item, undefined);
	const [denied] = await audit({ eventName: "PutItem", principal: session, denied: "true" });
	assert.equal(denied.errorCode, "AccessDeniedException");
});
