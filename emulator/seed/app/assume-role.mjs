// The post's "assume the role and build a DynamoDB client" snippet
// (shared/testdata/seed/assume-role.as-published.jsx), corrected. Each change
// is numbered in ../README.md, "Corrections to the JavaScript".
//
// The STS client is given no credentials, so the SDK's default chain finds the
// pod's web identity: the ccoctl Secret's `credentials` profile (role_arn +
// web_identity_token_file) gives a session of the ccoctl role in account A.
// With it the app assumes `dynamodb-reader` in account B and talks to the
// orders table with that second session.
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export const REGION = "eu-west-2";
export const ROLE_ARN = "arn:aws:iam::222222222222:role/dynamodb-reader";
export const ROLE_SESSION_NAME = "dev-dynamodb-reader";

export async function getClient({ roleSessionName = ROLE_SESSION_NAME } = {}) {
	const stsClient = new STSClient({region: REGION});
	const command = new AssumeRoleCommand({
		RoleArn: ROLE_ARN,
		RoleSessionName: roleSessionName,
		DurationSeconds: 900,
	});
	const response = await stsClient.send(command);
	if (!response.Credentials) {
		throw new Error(`AssumeRole of ${ROLE_ARN} returned no credentials`);
	}
	return new DynamoDBClient({
		region: REGION,
		credentials: {
			accessKeyId: response.Credentials.AccessKeyId,
			secretAccessKey: response.Credentials.SecretAccessKey,
			sessionToken: response.Credentials.SessionToken,
		}
	});
}
