// The post's JavaScript as published (as-published/*.jsx, *.tsx, verbatim),
// run as its readers would: as the body of an async function, with the SDK's
// classes in scope. This documents what they met, in the order they met it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CCOCTL_ROLE, ROLE_ARN, audit } from "./pod.mjs";

const AsyncFunction = (async () => {}).constructor;
const source = (name) => readFileSync(new URL(`../as-published/${name}`, import.meta.url), "utf8");
const asPublished = (text) => new AsyncFunction("STSClient", "AssumeRoleCommand", "DynamoDBClient", text);

test("verbatim, the placeholder session name is refused by STS", async () => {
	const run = asPublished(source("assume-role.as-published.jsx"));
	await assert.rejects(run(STSClient, AssumeRoleCommand, DynamoDBClient), (err) => {
		assert.equal(err.name, "ValidationError");
		assert.match(err.message, /roleSessionName/);
		return true;
	});
});

test("placeholders filled in, the `reponse` typo throws a ReferenceError after AssumeRole succeeded", async () => {
	const filled = source("assume-role.as-published.jsx")
		.replace("<arn of role in destination account>", ROLE_ARN)
		.replace("<a name for the session being assumed>", "as-published-typo");
	assert.notEqual(filled, source("assume-role.as-published.jsx"));
	await assert.rejects(asPublished(filled)(STSClient, AssumeRoleCommand, DynamoDBClient), {
		name: "ReferenceError",
		message: "response is not defined",
	});
	// STS had already issued the session the app then lost.
	const assumed = (await audit({ eventName: "AssumeRole", principal: CCOCTL_ROLE }))
		.filter((e) => e.requestParameters.roleSessionName === "as-published-typo");
	assert.equal(assumed.length, 1);
	assert.equal(assumed[0].errorCode, undefined);
});

test("the refresh snippet is TypeScript: as JavaScript it does not even parse", () => {
	// `catch (err: unknown)` is a type annotation; plain JavaScript has none.
	assert.throws(() => new AsyncFunction(source("refresh-on-expired.as-published.tsx")), SyntaxError);
});
