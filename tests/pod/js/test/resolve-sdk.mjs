// A module-resolution hook (node:module register): bare @aws-sdk/* imports of
// files outside tests/pod/js (the app in emulator/seed/app) resolve to the
// packages installed here by `npm ci`, as if the app's image had them.
const PACKAGES = new URL("../package.json", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
	try {
		return await nextResolve(specifier, context);
	} catch (err) {
		if (err?.code === "ERR_MODULE_NOT_FOUND" && specifier.startsWith("@aws-sdk/")) {
			return nextResolve(specifier, { ...context, parentURL: PACKAGES });
		}
		throw err;
	}
}
