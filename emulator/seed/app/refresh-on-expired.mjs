// The post's "naive" refresh (shared/testdata/seed/refresh-on-expired.as-published.tsx),
// corrected. Each change is numbered in ../README.md, "Corrections to the JavaScript".
//
// The client from getClient() holds fixed credentials of a 900-second session;
// once STS's clock has passed their expiry, DynamoDB answers
// ExpiredTokenException. This wrapper then builds a new client (a new
// AssumeRole, whose STS client re-reads the pod's token file) and sends the
// request once more. Any other error reaches the caller unchanged.
import { getClient } from "./assume-role.mjs";

export class ConnectedClient {
	constructor(dynamodbClient, getClientOptions = {}) {
		this.dynamodbClient = dynamodbClient;
		this.getClientOptions = getClientOptions;
	}

	static async connect(getClientOptions = {}) {
		return new ConnectedClient(await getClient(getClientOptions), getClientOptions);
	}

	getClient() {
		return getClient(this.getClientOptions);
	}

	async send(command) {
		try {
			return await this.dynamodbClient.send(command);
		} catch (err) {
			if (err?.name === "ExpiredTokenException") {
				// Refresh client
				this.dynamodbClient = await this.getClient();
				// Retry request
				return await this.dynamodbClient.send(command);
			}
			throw err;
		}
	}
}
