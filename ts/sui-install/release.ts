/**
 * A Sui release as GitHub describes it: `GET <releases>/tags/<tag>` answers with its assets,
 * each with `name`, `size`, `browser_download_url` and `digest` (`sha256:<hex>`, which GitHub
 * computes when an asset is uploaded). Sui's release workflow publishes no checksum or signature
 * file of its own (MystenLabs/sui .github/workflows/release.yml @ a6b096a1), so that digest —
 * or one the user passes with `--sha256` — is what the download is checked against.
 */
import { SuiInstallError } from './errors.js';

/** Sui's releases on GitHub; SUI_RELEASES_URL points elsewhere (a mirror, or a test server). */
export const DEFAULT_RELEASES_URL = 'https://api.github.com/repos/MystenLabs/sui/releases';

export interface ReleaseAsset {
	readonly name: string;
	readonly size: number;
	readonly url: string;
	/** Lowercase hex SHA-256, when the release metadata publishes one. */
	readonly sha256?: string;
}

export type Fetch = typeof fetch;

/** Only https, except plain http to this machine (a local mirror or test server). */
export function checkDownloadUrl(url: string, what: string): URL {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new SuiInstallError(`${what} '${url}' is not a URL`);
	}
	const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
	if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
		throw new SuiInstallError(`${what} ${url} is not https; refusing to download Sui over it`);
	}
	return parsed;
}

/** A fetch that failed before any answer, as one line naming the host and the cause. */
export function unreachable(url: string, error: unknown): SuiInstallError {
	const cause = (error as { cause?: { code?: string; message?: string } }).cause;
	const why = cause?.code ?? cause?.message ?? (error as Error).message;
	return new SuiInstallError(
		`could not reach ${new URL(url).host} (${why}): check the network or proxy and retry, or install sui yourself and set SUI_BIN`,
		{ cause: error },
	);
}

/** The asset named `assetName` of release `tag`. */
export async function findReleaseAsset(options: {
	releasesUrl: string;
	tag: string;
	assetName: string;
	fetch: Fetch;
}): Promise<ReleaseAsset> {
	const url = `${checkDownloadUrl(options.releasesUrl, 'SUI_RELEASES_URL').href.replace(/\/$/, '')}/tags/${encodeURIComponent(options.tag)}`;
	let response: Response;
	try {
		response = await options.fetch(url, {
			headers: { accept: 'application/vnd.github+json', 'user-agent': 'seal-policies' },
			signal: AbortSignal.timeout(30_000),
		});
	} catch (error) {
		throw unreachable(url, error);
	}
	if (response.status === 404) {
		throw new SuiInstallError(
			`Sui has no release '${options.tag}' (${url} answered 404): check --version against https://github.com/MystenLabs/sui/releases`,
		);
	}
	if (!response.ok) {
		throw new SuiInstallError(
			`${url} answered HTTP ${response.status}${response.status === 403 ? ' (GitHub rate limit? retry later)' : ''}`,
		);
	}
	let body: unknown;
	try {
		body = await response.json();
	} catch (error) {
		throw new SuiInstallError(`${url} did not answer with JSON release metadata`, { cause: error });
	}
	const assets = (body as { assets?: unknown }).assets;
	if (!Array.isArray(assets)) {
		throw new SuiInstallError(`${url} answered without an assets list`);
	}
	const asset = assets.find(
		(candidate): candidate is Record<string, unknown> =>
			typeof candidate === 'object' && candidate !== null && candidate.name === options.assetName,
	);
	if (asset === undefined) {
		throw new SuiInstallError(
			`Sui release ${options.tag} has no ${options.assetName} (no build for this platform in that release)`,
		);
	}
	const downloadUrl = asset['browser_download_url'];
	const size = asset['size'];
	if (typeof downloadUrl !== 'string' || typeof size !== 'number' || !Number.isSafeInteger(size)) {
		throw new SuiInstallError(`${url}: asset ${options.assetName} has no download URL or size`);
	}
	checkDownloadUrl(downloadUrl, `the download URL of ${options.assetName}`);
	const digest = asset['digest'];
	const sha256 =
		typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/i.test(digest)
			? digest.slice('sha256:'.length).toLowerCase()
			: undefined;
	return { name: options.assetName, size, url: downloadUrl, ...(sha256 ? { sha256 } : {}) };
}
