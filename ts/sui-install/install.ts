/**
 * `seal-policies sui install`: fetch the Sui release archive for this platform, check its
 * SHA-256 against the published digest, take `sui` out of it and put it in the per-user cache.
 * Order matters for safety: the archive is downloaded to a temporary name, verified, unpacked
 * into a temporary directory, and only then renamed into place, so an interrupted or
 * mismatching download is never used and never left behind as the installed binary.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';

import type { Logger } from '../logger.js';
import { cacheDir, currentFile, installDir, isExecutableFile, type CacheEnv } from './cache.js';
import { SuiInstallError } from './errors.js';
import { extractTarEntry } from './tar.js';
import { suiAssetName, suiExecutableName, suiPlatform, type SuiPlatform } from './platform.js';
import {
	DEFAULT_RELEASES_URL,
	findReleaseAsset,
	unreachable,
	type Fetch,
	type ReleaseAsset,
} from './release.js';

export interface InstallSuiOptions {
	/** Read for SEAL_POLICIES_CACHE_DIR, XDG_CACHE_HOME, HOME, LOCALAPPDATA, SUI_RELEASES_URL. */
	readonly env: CacheEnv;
	readonly tag: string;
	/** A digest the user trusts; must agree with the published one when both exist. */
	readonly sha256?: string;
	/** Default: this machine's. */
	readonly platform?: SuiPlatform;
	readonly fetch?: Fetch;
	readonly logger: Logger;
	/** Bytes downloaded so far, of `total`. */
	readonly onProgress?: (done: number, total: number) => void;
}

export interface InstallSuiResult {
	readonly binary: string;
	readonly tag: string;
	readonly platform: SuiPlatform;
	/** True when the release was already in the cache and nothing was downloaded. */
	readonly reused: boolean;
}

export async function installSui(options: InstallSuiOptions): Promise<InstallSuiResult> {
	const platform = options.platform ?? suiPlatform(process.platform, process.arch);
	const cache = cacheDir(options.env);
	if (cache === undefined) {
		throw new SuiInstallError(
			'no per-user cache directory (HOME is not set): set SEAL_POLICIES_CACHE_DIR to a writable directory',
		);
	}
	const dir = installDir(cache, options.tag, platform);
	const binary = path.join(dir, suiExecutableName(platform));
	const root = path.dirname(dir);
	if (isExecutableFile(binary)) {
		await markCurrent(cache, dir);
		return { binary, tag: options.tag, platform, reused: true };
	}
	await mkdir(root, { recursive: true });
	const asset = await findReleaseAsset({
		releasesUrl: options.env['SUI_RELEASES_URL']?.trim() || DEFAULT_RELEASES_URL,
		tag: options.tag,
		assetName: suiAssetName(options.tag, platform),
		fetch: options.fetch ?? fetch,
	});
	const expected = expectedDigest(asset, options.sha256);
	const suffix = `${process.pid}-${randomBytes(6).toString('hex')}`;
	const archive = path.join(root, `.download-${suffix}.tgz`);
	const staging = path.join(root, `.staging-${suffix}`);
	try {
		options.logger.info(
			`downloading ${asset.name} (${(asset.size / 1024 / 1024).toFixed(1)} MiB) from ${new URL(asset.url).host}`,
		);
		await download(asset, archive, expected, options);
		await mkdir(staging);
		const unpacked = path.join(staging, suiExecutableName(platform));
		await unpack(archive, suiExecutableName(platform), unpacked);
		await chmod(unpacked, 0o755);
		await writeFile(path.join(staging, 'archive.sha256'), `${expected}  ${asset.name}\n`);
		try {
			await rename(staging, dir);
		} catch (error) {
			// Another install of the same release finished first: use it.
			if (!isExecutableFile(binary)) throw error;
		}
		await markCurrent(cache, dir);
		return { binary, tag: options.tag, platform, reused: false };
	} finally {
		await rm(archive, { force: true });
		await rm(staging, { recursive: true, force: true });
	}
}

function expectedDigest(asset: ReleaseAsset, pinned: string | undefined): string {
	const given = pinned?.toLowerCase();
	if (given !== undefined && asset.sha256 !== undefined && given !== asset.sha256) {
		throw new SuiInstallError(
			`--sha256 ${given} differs from the digest the release publishes for ${asset.name} (${asset.sha256}); nothing was downloaded`,
		);
	}
	const expected = given ?? asset.sha256;
	if (expected === undefined) {
		throw new SuiInstallError(
			`the release publishes no SHA-256 digest for ${asset.name}: pass --sha256 <hex> from a source you trust`,
		);
	}
	return expected;
}

/** Streams the asset to `file`, hashing as it goes; refuses a short or mismatching body. */
async function download(
	asset: ReleaseAsset,
	file: string,
	expected: string,
	options: InstallSuiOptions,
): Promise<void> {
	let response: Response;
	try {
		response = await (options.fetch ?? fetch)(asset.url, {
			headers: { 'user-agent': 'seal-policies' },
		});
	} catch (error) {
		throw unreachable(asset.url, error);
	}
	if (!response.ok || response.body === null) {
		throw new SuiInstallError(
			`${asset.url} answered HTTP ${response.status}; nothing was installed`,
		);
	}
	const hash = createHash('sha256');
	const handle = await open(file, 'wx', 0o600);
	let received = 0;
	try {
		for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
			received += chunk.length;
			if (received > asset.size) break;
			hash.update(chunk);
			await handle.write(chunk);
			options.onProgress?.(received, asset.size);
		}
	} catch (error) {
		throw new SuiInstallError(
			`the download of ${asset.name} broke off after ${received} of ${asset.size} bytes (${(error as Error).message}); nothing was installed, run the command again`,
			{ cause: error },
		);
	} finally {
		await handle.close();
	}
	if (received !== asset.size) {
		throw new SuiInstallError(
			`the download of ${asset.name} has ${received} bytes, the release says ${asset.size}; nothing was installed, run the command again`,
		);
	}
	const actual = hash.digest('hex');
	if (actual !== expected) {
		throw new SuiInstallError(
			`checksum mismatch for ${asset.name}: expected sha256 ${expected}, got ${actual}; the download was deleted and nothing was installed`,
		);
	}
}

/** Gunzips `archive` and writes its `name` entry to `target`. */
async function unpack(archive: string, name: string, target: string): Promise<void> {
	const handle = await open(target, 'wx', 0o700);
	let found: boolean;
	try {
		found = await extractTarEntry(
			createReadStream(archive).pipe(createGunzip()),
			name,
			async (chunk) => {
				await handle.write(chunk);
			},
		);
	} catch (error) {
		if (error instanceof SuiInstallError) throw error;
		throw new SuiInstallError(
			`the Sui archive could not be unpacked: ${(error as Error).message}`,
			{
				cause: error,
			},
		);
	} finally {
		await handle.close();
	}
	if (!found) throw new SuiInstallError(`the Sui archive holds no ${name}; nothing was installed`);
}

/** Records `dir` as the release in use (write then rename: never a half-written name). */
async function markCurrent(cache: string, dir: string): Promise<void> {
	const file = currentFile(cache);
	const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
	await writeFile(temp, `${path.basename(dir)}\n`);
	await rename(temp, file);
}
