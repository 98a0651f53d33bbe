/**
 * `seal-policies sui install`, offline: a local HTTP server on 127.0.0.1 plays GitHub's release
 * API and download host, serving crafted archives named as Sui's release workflow names them
 * (MystenLabs/sui .github/workflows/release.yml @ a6b096a1b0613fd0eafe484b0de2ac25d4b897fe).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
	chmodSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createCliIo, type CliIo } from '../../../scripts/cli-io.js';
import { command as suiCommand } from '../../../scripts/commands/sui.js';
import { PrerequisiteMissingError, UsageError } from '../../../ts/errors.js';
import { SUI_MISSING_MESSAGE, requireSui } from '../../../ts/localnet/sui.js';
import { findSuiBinary } from '../../../ts/move/sui-binary.js';
import { cacheDir } from '../../../ts/sui-install/cache.js';
import { SuiInstallError } from '../../../ts/sui-install/errors.js';
import { installSui } from '../../../ts/sui-install/install.js';
import { suiAssetName, suiExecutableName, suiPlatform } from '../../../ts/sui-install/platform.js';
import { extractTarEntry } from '../../../ts/sui-install/tar.js';
import { PINNED_SUI_TAG, suiReleaseTag } from '../../../ts/sui-install/version.js';
import { silentLogger } from '../../../ts/logger.js';
import { paxRecords, tarBytes, tgzBytes } from '../../support/tar-writer.js';

const TAG = PINNED_SUI_TAG;
const PLATFORM = suiPlatform(process.platform, process.arch);
const ASSET = suiAssetName(TAG, PLATFORM);
const SUI_SCRIPT = '#!/bin/sh\necho "sui 1.71.1-crafted"\n';
const ARCHIVE = tgzBytes([
	{ name: '../', type: '5' },
	{ name: './sui-node', data: Buffer.alloc(3000, 7) },
	{ name: './sui', data: Buffer.from(SUI_SCRIPT) },
	{ name: './sui-debug', data: Buffer.alloc(700, 1) },
]);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** What the server does for the next requests. */
interface Release {
	archive: Buffer;
	digest?: string | undefined;
	/** Send this many bytes of the archive, then cut the connection. */
	cutAfter?: number;
	status?: number;
	/** Answer the metadata request with this body instead (raw text). */
	metadata?: string;
	/** Status of the download itself. */
	downloadStatus?: number;
	/** The size the metadata announces (default: the archive's). */
	size?: number;
}
let release: Release = { archive: ARCHIVE, digest: `sha256:${sha256(ARCHIVE)}` };
const requests: string[] = [];
let base = '';

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
	requests.push(req.url ?? '');
	if (req.url === `/releases/tags/${TAG}`) {
		if (release.status !== undefined) {
			res.writeHead(release.status).end();
			return;
		}
		if (release.metadata !== undefined) {
			res.writeHead(200, { 'content-type': 'application/json' }).end(release.metadata);
			return;
		}
		const asset = (name: string) => ({
			name,
			size: release.size ?? release.archive.length,
			browser_download_url: `${base}/download/${name}`,
			...(release.digest === undefined ? {} : { digest: release.digest }),
		});
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ tag_name: TAG, assets: [asset(ASSET), asset(`${ASSET}.other`)] }));
		return;
	}
	if (req.url === `/download/${ASSET}`) {
		if (release.downloadStatus !== undefined) {
			res.writeHead(release.downloadStatus).end();
			return;
		}
		res.writeHead(200, { 'content-length': release.archive.length });
		if (release.cutAfter === undefined) {
			res.end(release.archive);
		} else {
			res.write(release.archive.subarray(0, release.cutAfter), () => res.socket?.destroy());
		}
		return;
	}
	res.writeHead(404).end();
});

const dirs: string[] = [];
function tempDir(): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'sui-install-'));
	dirs.push(dir);
	return dir;
}
beforeAll(async () => {
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
	await new Promise((resolve) => server.close(resolve));
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
	release = { archive: ARCHIVE, digest: `sha256:${sha256(ARCHIVE)}` };
	requests.length = 0;
});

function env(cache: string, extra: Record<string, string> = {}): Record<string, string> {
	return {
		SEAL_POLICIES_CACHE_DIR: cache,
		SUI_RELEASES_URL: `${base}/releases`,
		PATH: '',
		...extra,
	};
}

async function install(cache: string, extra: Record<string, string> = {}, sha?: string) {
	return installSui({
		env: env(cache, extra),
		tag: TAG,
		...(sha === undefined ? {} : { sha256: sha }),
		logger: silentLogger,
	});
}

/** Every file under `dir`, relative. */
function files(dir: string): string[] {
	return readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile())
		.map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
		.sort();
}

describe('platform mapping (asset names as Sui release workflow writes them)', () => {
	it('maps each Node platform/arch to its archive, and refuses the rest in one line', () => {
		expect(suiPlatform('linux', 'x64')).toBe('ubuntu-x86_64');
		expect(suiPlatform('linux', 'arm64')).toBe('ubuntu-aarch64');
		expect(suiPlatform('darwin', 'x64')).toBe('macos-x86_64');
		expect(suiPlatform('darwin', 'arm64')).toBe('macos-arm64');
		expect(suiPlatform('win32', 'x64')).toBe('windows-x86_64');
		expect(suiAssetName('testnet-v1.71.1', 'macos-arm64')).toBe(
			'sui-testnet-v1.71.1-macos-arm64.tgz',
		);
		for (const [platform, arch] of [
			['freebsd', 'x64'],
			['linux', 'ia32'],
			['win32', 'arm64'],
		] as const) {
			expect(() => suiPlatform(platform, arch)).toThrow(SuiInstallError);
			expect(() => suiPlatform(platform, arch)).toThrow(/^[^\n]*cargo install[^\n]*$/);
		}
	});

	it('takes a version or a tag, and refuses anything else as a usage error', () => {
		expect(suiReleaseTag('1.71.1')).toBe('testnet-v1.71.1');
		expect(suiReleaseTag('mainnet-v1.70.2')).toBe('mainnet-v1.70.2');
		expect(() => suiReleaseTag('latest')).toThrow(UsageError);
		expect(() => suiReleaseTag('../../etc')).toThrow(UsageError);
	});

	it('uses the per-user cache of each platform', () => {
		expect(cacheDir({ HOME: '/h' }, 'linux')).toBe('/h/.cache/seal-policies');
		expect(cacheDir({ HOME: '/h' }, 'darwin')).toBe('/h/Library/Caches/seal-policies');
		expect(cacheDir({ HOME: '/h', XDG_CACHE_HOME: '/x' }, 'linux')).toBe('/x/seal-policies');
		expect(cacheDir({ HOME: '/h', SEAL_POLICIES_CACHE_DIR: '/c' }, 'linux')).toBe('/c');
		expect(cacheDir({}, 'linux')).toBeUndefined();
	});
});

describe('install', () => {
	it('installs the verified `sui` and every command finds it (SUI_BIN > cache > PATH)', async () => {
		const cache = tempDir();
		const result = await install(cache);
		expect(result.reused).toBe(false);
		expect(readFileSync(result.binary, 'utf8')).toBe(SUI_SCRIPT);
		expect(result.binary).toBe(path.join(cache, 'sui', `${TAG}-${PLATFORM}`, 'sui'));
		// Only the wanted binary is kept; the archive and staging files are gone.
		expect(files(path.join(cache, 'sui'))).toEqual([
			'current',
			path.join(`${TAG}-${PLATFORM}`, 'archive.sha256'),
			path.join(`${TAG}-${PLATFORM}`, 'sui'),
		]);

		expect(findSuiBinary(env(cache))).toBe(result.binary);
		expect(requireSui(env(cache))).toBe(result.binary);
		// The installed release wins over a `sui` on PATH; SUI_BIN wins over both.
		const bin = tempDir();
		writeFileSync(path.join(bin, 'sui'), '#!/bin/sh\n');
		chmodSync(path.join(bin, 'sui'), 0o755);
		expect(findSuiBinary(env(cache, { PATH: bin }))).toBe(result.binary);
		expect(findSuiBinary(env(cache, { PATH: bin, SUI_BIN: 'sui' }))).toBe(path.join(bin, 'sui'));
		expect(findSuiBinary({ PATH: bin })).toBe(path.join(bin, 'sui'));
	});

	it('reuses the cache: a second install makes no request at all', async () => {
		const cache = tempDir();
		await install(cache);
		expect(requests.length).toBe(2);
		requests.length = 0;
		const again = await install(cache);
		expect(again.reused).toBe(true);
		expect(requests).toEqual([]);
	});

	it('refuses a checksum mismatch: nothing installed, nothing left behind', async () => {
		const cache = tempDir();
		release.digest = `sha256:${'0'.repeat(64)}`;
		const error = await install(cache).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(SuiInstallError);
		expect((error as Error).message).toMatch(
			new RegExp(
				`^checksum mismatch for ${ASSET}: expected sha256 0{64}, got ${sha256(ARCHIVE)}; the download was deleted`,
			),
		);
		expect(files(cache)).toEqual([]);
		expect(findSuiBinary(env(cache))).toBeUndefined();
	});

	it('refuses a digest the user pinned that the release contradicts, before downloading', async () => {
		const cache = tempDir();
		const error = await install(cache, {}, 'a'.repeat(64)).catch((e: unknown) => e);
		expect((error as Error).message).toMatch(/--sha256 a{64} differs from the digest/);
		expect(requests).toEqual([`/releases/tags/${TAG}`]);
	});

	it('needs a digest: none published and none given is refused; --sha256 supplies it', async () => {
		const cache = tempDir();
		release.digest = undefined;
		await expect(install(cache)).rejects.toThrow(/publishes no SHA-256 digest.*--sha256/);
		expect(files(cache)).toEqual([]);
		const result = await install(cache, {}, sha256(ARCHIVE).toUpperCase());
		expect(readFileSync(result.binary, 'utf8')).toBe(SUI_SCRIPT);
	});

	it('never uses a partial download, and a later run installs cleanly', async () => {
		const cache = tempDir();
		release.cutAfter = Math.floor(ARCHIVE.length / 2);
		const error = await install(cache).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(SuiInstallError);
		expect((error as Error).message).toMatch(/broke off|has \d+ bytes, the release says/);
		expect(files(cache)).toEqual([]);
		expect(findSuiBinary(env(cache))).toBeUndefined();
		delete release.cutAfter;
		expect((await install(cache)).reused).toBe(false);
	});

	it('refuses an archive without `sui`, or whose `sui` is a link', async () => {
		for (const archive of [
			tgzBytes([{ name: './sui-node', data: Buffer.from('x') }]),
			tgzBytes([{ name: './sui', type: '2', linkName: '/bin/sh' }]),
		]) {
			const cache = tempDir();
			release = { archive, digest: `sha256:${sha256(archive)}` };
			await expect(install(cache)).rejects.toThrow(/holds no sui|not a regular file/);
			expect(files(cache)).toEqual([]);
		}
	});

	it('names a missing release and a refusing server in one line', async () => {
		const cache = tempDir();
		release.status = 404;
		await expect(install(cache)).rejects.toThrow(/^Sui has no release 'testnet-v1\.71\.1'/);
		release.status = 500;
		await expect(install(cache)).rejects.toThrow(/answered HTTP 500/);
	});

	it('refuses plain http to another host', async () => {
		await expect(install(tempDir(), { SUI_RELEASES_URL: 'http://example.com/r' })).rejects.toThrow(
			/is not https; refusing/,
		);
	});
});

describe('release metadata and downloads that are not what they should be', () => {
	const metadata = (assets: unknown) => JSON.stringify({ tag_name: TAG, assets });
	const good = () => ({
		name: ASSET,
		size: ARCHIVE.length,
		browser_download_url: `${base}/download/${ASSET}`,
		digest: `sha256:${sha256(ARCHIVE)}`,
	});

	it('each malformed answer is one line, and nothing is installed', async () => {
		const cases: [string, RegExp][] = [
			['not json', /did not answer with JSON release metadata/],
			[JSON.stringify({ tag_name: TAG }), /answered without an assets list/],
			[metadata([null, 7, 'x', { name: 'other.tgz' }]), /has no sui-testnet-v1\.71\.1-/],
			[metadata([{ ...good(), browser_download_url: undefined }]), /has no download URL or size/],
			[metadata([{ ...good(), size: '12' }]), /has no download URL or size/],
			[metadata([{ ...good(), size: 1.5 }]), /has no download URL or size/],
			[
				metadata([{ ...good(), browser_download_url: 'http://example.com/sui.tgz' }]),
				/the download URL of .* is not https; refusing/,
			],
			[metadata([{ ...good(), browser_download_url: 'not a url' }]), /is not a URL/],
			// A digest that is not `sha256:<64 hex>` counts as none: --sha256 is then required.
			[metadata([{ ...good(), digest: `sha256:${'0'.repeat(63)}` }]), /publishes no SHA-256/],
			[metadata([{ ...good(), digest: `md5:${'0'.repeat(64)}` }]), /publishes no SHA-256/],
			[metadata([{ ...good(), digest: `xsha256:${sha256(ARCHIVE)}` }]), /publishes no SHA-256/],
			[metadata([{ ...good(), digest: `sha256:${sha256(ARCHIVE)}0` }]), /publishes no SHA-256/],
		];
		for (const [body, expected] of cases) {
			const cache = tempDir();
			release.metadata = body;
			await expect(install(cache), body).rejects.toThrow(expected);
			expect(files(cache)).toEqual([]);
		}
	});

	it('a digest in capitals is the same digest', async () => {
		release.digest = `SHA256:${sha256(ARCHIVE).toUpperCase()}`;
		expect((await install(tempDir())).reused).toBe(false);
	});

	it('a trailing slash on SUI_RELEASES_URL is the same URL; a rate limit says so', async () => {
		const slash = await install(tempDir(), { SUI_RELEASES_URL: `${base}/releases/` });
		expect(slash.reused).toBe(false);
		expect(requests[0]).toBe(`/releases/tags/${TAG}`);
		release.status = 403;
		await expect(install(tempDir())).rejects.toThrow(
			/answered HTTP 403 \(GitHub rate limit\? retry later\)$/,
		);
		release.status = 500;
		await expect(install(tempDir())).rejects.toThrow(/answered HTTP 500$/);
	});

	it('a refused download, a body longer or shorter than announced: nothing installed', async () => {
		release.downloadStatus = 404;
		const cache = tempDir();
		await expect(install(cache)).rejects.toThrow(/answered HTTP 404; nothing was installed/);
		delete release.downloadStatus;
		release.size = ARCHIVE.length - 10;
		await expect(install(cache)).rejects.toThrow(/has \d+ bytes, the release says \d+/);
		release.size = ARCHIVE.length + 10;
		await expect(install(cache)).rejects.toThrow(
			`has ${ARCHIVE.length} bytes, the release says ${ARCHIVE.length + 10}`,
		);
		expect(files(cache)).toEqual([]);
	});

	it('an archive that is not gzip is refused as unpackable', async () => {
		const archive = Buffer.from('this is not gzip at all');
		release = { archive, digest: `sha256:${sha256(archive)}` };
		const cache = tempDir();
		await expect(install(cache)).rejects.toThrow(/^the Sui archive could not be unpacked: /);
		expect(files(cache)).toEqual([]);
	});

	it('installing another release switches what commands use; the first stays cached', async () => {
		const cache = tempDir();
		const first = await install(cache);
		const other = 'testnet-v1.72.0';
		const otherDir = path.join(cache, 'sui', `${other}-${PLATFORM}`);
		mkdirSync(otherDir, { recursive: true });
		writeFileSync(path.join(otherDir, 'sui'), '#!/bin/sh\n', { mode: 0o755 });
		const second = await installSui({ env: env(cache), tag: other, logger: silentLogger });
		expect(second).toMatchObject({ reused: true, tag: other });
		expect(findSuiBinary(env(cache))).toBe(path.join(otherDir, 'sui'));
		expect((await install(cache)).binary).toBe(first.binary);
		expect(findSuiBinary(env(cache))).toBe(first.binary);
	});
});

describe('the installed `sui` is only what this code wrote', () => {
	it('a `current` naming anything else, another platform or a missing binary is ignored', async () => {
		const cache = tempDir();
		const { binary } = await install(cache);
		const current = path.join(cache, 'sui', 'current');
		const other = PLATFORM === 'ubuntu-x86_64' ? 'macos-arm64' : 'ubuntu-x86_64';
		for (const text of [
			'../../../bin',
			`${TAG}-${other}`,
			`../${TAG}-${PLATFORM}`,
			`${TAG}-${PLATFORM}-x`,
			`testnet-v1.71-${PLATFORM}`,
			`testnet-v.71.1-${PLATFORM}`,
			`testnet-v1..1-${PLATFORM}`,
			`testnet-v1.71.-${PLATFORM}`,
			`testnet-v1.72.0-${PLATFORM}`,
		]) {
			writeFileSync(current, `${text}\n`);
			expect(findSuiBinary(env(cache)), text).toBeUndefined();
		}
		writeFileSync(current, `${TAG}-${PLATFORM}\n`);
		expect(findSuiBinary(env(cache))).toBe(binary);
		rmSync(current);
		expect(findSuiBinary(env(cache))).toBeUndefined();
	});

	it('the cache directory follows the override, then XDG, then the platform default', () => {
		const all = { SEAL_POLICIES_CACHE_DIR: ' /c ', XDG_CACHE_HOME: '/x', HOME: '/h' };
		expect(cacheDir(all, 'linux')).toBe('/c');
		expect(cacheDir({ SEAL_POLICIES_CACHE_DIR: ' ', XDG_CACHE_HOME: ' /x ' }, 'linux')).toBe(
			'/x/seal-policies',
		);
		expect(cacheDir({ XDG_CACHE_HOME: ' ', HOME: ' /h ' }, 'linux')).toBe(
			'/h/.cache/seal-policies',
		);
		expect(cacheDir({ HOME: ' ' }, 'linux')).toBeUndefined();
		expect(cacheDir({ LOCALAPPDATA: ' /l ', HOME: '/h' }, 'win32')).toBe(
			path.join('/l', 'seal-policies'),
		);
		expect(cacheDir({ LOCALAPPDATA: ' ', HOME: '/h' }, 'win32')).toBeUndefined();
		expect(suiExecutableName('windows-x86_64')).toBe('sui.exe');
		expect(suiExecutableName('macos-arm64')).toBe('sui');
	});
});

async function closedPort(): Promise<number> {
	const probe = createNetServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as AddressInfo;
	await new Promise((resolve) => probe.close(resolve));
	return port;
}

describe('no network', () => {
	it('the command fails with one line naming the host and the cause, exit 1', async () => {
		const port = await closedPort();
		const io: CliIo = {
			...createCliIo({ json: false, verbose: false }),
			env: env(tempDir(), { SUI_RELEASES_URL: `http://127.0.0.1:${port}/releases` }),
			logger: silentLogger,
		};
		const error = await suiCommand.run(['install'], io).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(SuiInstallError);
		expect(error).not.toBeInstanceOf(UsageError);
		expect((error as Error).message).toBe(
			`could not reach 127.0.0.1:${port} (ECONNREFUSED): check the network or proxy and retry, or install sui yourself and set SUI_BIN`,
		);
	});
});

describe('the command line', () => {
	it('usage errors exit 2', async () => {
		const io = { ...createCliIo({ json: true, verbose: false }), logger: silentLogger };
		for (const args of [
			[],
			['uninstall'],
			['install', '--version', 'latest'],
			['install', '--sha256', 'xyz'],
			['which', '--version', '1.71.1'],
		]) {
			await expect(suiCommand.run(args, io), args.join(' ')).rejects.toBeInstanceOf(UsageError);
		}
	});
});

describe('through the real entry point', () => {
	const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
	const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
	const cli = (args: string[], cwd: string, extra: Record<string, string>) =>
		spawnSync(process.execPath, ['--import', TSX, path.join(ROOT, 'scripts', 'cli.ts'), ...args], {
			cwd,
			env: { HOME: cwd, PATH: '', ...extra },
			encoding: 'utf8',
			timeout: 60_000,
		});

	// Under mutation testing the children would run the instrumented sources, which only work
	// inside the test runner; mutants there are not observed through a child anyway.
	it.skipIf(process.env['STRYKER_MUTATOR_WORKER'] !== undefined)(
		'no network: one line, exit 1; localnet up / e2e without sui: the fix, exit 1, no request (skipped under mutation testing)',
		async () => {
			const dir = tempDir();
			const offline = cli(['sui', 'install'], dir, {
				SEAL_POLICIES_CACHE_DIR: path.join(dir, 'cache'),
				SUI_RELEASES_URL: `http://127.0.0.1:${await closedPort()}/releases`,
			});
			expect(offline.status).toBe(1);
			expect(offline.stderr.trim().split('\n')).toEqual([
				expect.stringMatching(
					/^error: SuiInstallError: could not reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
				),
			]);
			for (const args of [['localnet', 'up'], ['e2e']]) {
				const result = cli(args, dir, { SUI_RELEASES_URL: `${base}/releases` });
				expect(result.status, args.join(' ')).toBe(1);
				expect(result.stderr.trim().split('\n').at(-1)).toBe(
					`error: PrerequisiteMissingError: ${SUI_MISSING_MESSAGE}`,
				);
			}
			expect(requests).toEqual([]);
		},
	);
});

describe('without sui, localnet and e2e say what fixes it and download nothing', () => {
	it('the one line names `seal-policies sui install` and --install-sui', () => {
		expect(() => requireSui({ PATH: '' })).toThrow(PrerequisiteMissingError);
		expect(SUI_MISSING_MESSAGE).not.toContain('\n');
		expect(SUI_MISSING_MESSAGE).toContain(
			'run `seal-policies sui install` (or pass --install-sui)',
		);
	});
});

describe('tar reader', () => {
	const collect = async (tar: Buffer, name: string) => {
		const out: Buffer[] = [];
		const found = await extractTarEntry(Readable.from([tar]), name, async (chunk) => {
			out.push(Buffer.from(chunk));
		});
		return { found, data: Buffer.concat(out) };
	};

	it('finds a file behind a GNU long name, in chunks of any size', async () => {
		const long = `dir/${'n'.repeat(150)}`;
		const tar = tarBytes([
			{ name: '././@LongLink', type: 'L', data: Buffer.from(`${long}\0`) },
			{ name: long.slice(0, 99), data: Buffer.from('long') },
			{ name: './sui', data: Buffer.alloc(1500, 9) },
		]);
		expect((await collect(tar, long)).data.toString()).toBe('long');
		const pieces = Readable.from(
			Array.from({ length: Math.ceil(tar.length / 7) }, (_, i) => tar.subarray(i * 7, i * 7 + 7)),
		);
		const out: Buffer[] = [];
		expect(await extractTarEntry(pieces, 'sui', async (c) => void out.push(Buffer.from(c)))).toBe(
			true,
		);
		expect(Buffer.concat(out)).toEqual(Buffer.alloc(1500, 9));
	});

	it('reads pax paths, ustar prefixes and base-256 sizes; a same-named file elsewhere is not it', async () => {
		const tar = tarBytes([
			{ name: 'bin/sui', data: Buffer.from('not this one') },
			{ name: 'sui', prefix: 'deep/dir', data: Buffer.from('nor this') },
			{ name: 'PaxHeader', type: 'x', data: paxRecords({ mtime: '1', path: './sui' }) },
			{ name: 'placeholder-name', data: Buffer.alloc(700, 5), base256Size: true },
		]);
		const found = await collect(tar, 'sui');
		expect(found.found).toBe(true);
		expect(found.data).toEqual(Buffer.alloc(700, 5));
		expect((await collect(tar, 'deep/dir/sui')).data.toString()).toBe('nor this');
		expect((await collect(tar, 'bin/sui')).data.toString()).toBe('not this one');
		expect((await collect(tar, 'placeholder-name')).found).toBe(false);
		expect(await collect(tarBytes([]), 'sui')).toEqual({ found: false, data: Buffer.alloc(0) });
	});

	it('refuses a bad pax record and a non-octal size', async () => {
		const pax = tarBytes([
			{ name: 'PaxHeader', type: 'x', data: Buffer.from('zz path=./sui\n') },
			{ name: 'x', data: Buffer.from('y') },
		]);
		await expect(collect(pax, 'sui')).rejects.toThrow(/bad pax record/);
		const tar = tarBytes([{ name: './sui', data: Buffer.from('abc') }]);
		const bad = Buffer.from(tar);
		bad.write('00000000009\0', 124, 'ascii');
		// Keep the checksum right so the size itself is what is refused.
		bad.fill(0x20, 148, 156);
		let sum = 0;
		for (let i = 0; i < 512; i++) sum += bad[i] ?? 0;
		bad.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
		await expect(collect(bad, 'sui')).rejects.toThrow(/size '00000000009' is not octal/);
	});

	it('refuses a corrupt header and a truncated entry', async () => {
		const tar = tarBytes([{ name: './sui', data: Buffer.alloc(2000, 1) }]);
		const corrupt = Buffer.from(tar);
		corrupt[10] = 0x41;
		await expect(collect(corrupt, 'sui')).rejects.toThrow(/checksum does not match/);
		await expect(collect(tar.subarray(0, 1024), 'sui')).rejects.toThrow(/truncated/);
		// Ends inside a header: truncated too, not a clean end.
		await expect(collect(tar.subarray(0, 100), 'sui')).rejects.toThrow(/truncated/);
	});
});
