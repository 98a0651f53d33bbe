/**
 * The sweep of issue 11 across every command, in-process (cli-first-run.test.ts drives the real
 * entry points): usage errors are `UsageError` (exit 2); file-system failures name file and flag
 * before config, chain or key servers; format errors name the file; network failures name the
 * endpoint, the cause and the next step; config errors name their real source; SUI_PRIVATE_KEY
 * may come from .env; the wallet-key fallback works from the CLI.
 */
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	rmSync,
	statSync,
	truncateSync,
	writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, describe, expect, it } from 'vitest';

import { createCliIo, type CliIo } from '../../../scripts/cli-io.js';
import { COMMANDS } from '../../../scripts/cli-commands.js';
import { explainNetworkError } from '../../../scripts/network-errors.js';
import { peekInput } from '../../../scripts/stdin-input.js';
import { loadConfig, loadSignerSettings } from '../../../ts/config.js';
import { ConfigError, EndpointUnreachableError, InvalidInputError, UsageError } from '../../../ts/errors.js';
import { SignerError } from '../../../ts/chain/errors.js';
import { loadSigner } from '../../../ts/chain/signer.js';

const ID = `0x${'12'.repeat(32)}`;
const dirs: string[] = [];
afterAll(() => {
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
	const dir = mkdtempSync(join(tmpdir(), 'cli-sweep-'));
	dirs.push(dir);
	return dir;
}

/** An io with a clean environment (no Sui CLI in `HOME`), printing nothing. */
function quietIo(env: NodeJS.ProcessEnv = {}): CliIo & { results: unknown[] } {
	const io = createCliIo({ json: true, verbose: false, env: { HOME: tempDir(), ...env } });
	const results: unknown[] = [];
	return {
		...io,
		logger: { info: () => {}, warn: () => {}, debug: () => {} },
		results,
		result: (value) => void results.push(value),
	};
}

async function failure(name: string, args: string[], io: CliIo = quietIo()): Promise<Error> {
	const entry = COMMANDS[name];
	if (!entry) throw new Error(`no command ${name}`);
	const { command } = await entry.load();
	const error = await command.run(args, io).then(
		() => undefined,
		(e: unknown) => e,
	);
	if (!(error instanceof Error)) throw new Error(`${name} ${args.join(' ')} did not fail`);
	return error;
}

describe('command table', () => {
	it("each command's summary in the help table is the command's own", async () => {
		for (const [name, entry] of Object.entries(COMMANDS)) {
			const { command } = await entry.load();
			expect(entry.summary, name).toBe(command.summary);
		}
	});
});

describe('usage errors are UsageError (exit 2) in every command', () => {
	const cases: [string, string[]][] = [
		['encrypt', ['--bogus']],
		['encrypt', ['--in', 'a', '--out', 'b']],
		['encrypt', ['--wallet-key', '--in', 'a', '--out', 'b', '--threshold', '2']],
		['encrypt', ['--owner', ID, '--in', 'a', '--out', 'b', '--network', 'moonnet']],
		['encrypt', ['--owner', ID, '--in', 'a', '--out', 'b', '--transport', 'carrier-pigeon']],
		['decrypt', []],
		['decrypt', ['a.seal', '--out', 'a.out', '--ttl', '99']],
		['rewrap', ['--in', 'a']],
		['allowlist', ['frobnicate']],
		['allowlist', ['add', ID]],
		['publish', ['extra']],
		['publish', ['--network', 'moonnet']],
		['localnet', ['sideways']],
		['localnet', ['up', '--port', '80']],
		['localnet', ['up', '--threshold', '5']],
		['localnet', ['up', '--server-count', '2', '--threshold', '3']],
		['allowlist', ['show', ID, '--events', '-1']],
		['package', ['restrict']],
		['package', ['freeze', '--cap', '0x1']],
		['publish', ['--upgrade-policy', 'frozen']],
		['sui', ['install', '--version', 'latest']],
		['move', ['build', '--path', 'a', '--package-path', 'b']],
		['e2e', ['--network', 'mainnet']],
		['audit', ['check', 'x']],
		['audit', ['verify', 'x', '--expected-head', 'nothex']],
		['keyserver', ['start']],
		['keyserver', ['start', '--object-id', ID, '--node-url', 'http://x', '--port', 'many']],
		['keyserver', ['rotate']],
		['move', ['frobnicate']],
		['move', ['build', '--bogus']],
	];
	for (const [name, args] of cases) {
		it(`${name} ${args.join(' ')}`, async () => {
			const error = await failure(name, args);
			expect(error).toBeInstanceOf(UsageError);
		});
	}
});

describe('file-system failures: one line naming file and flag, before anything else', () => {
	// No policy package, key servers or signer are configured: a later check would name those.
	const dir = tempDir();
	const plain = join(dir, 'plain.txt');
	writeFileSync(plain, 'x');
	const adir = join(dir, 'adir');
	mkdirSync(adir);
	const missing = join(dir, 'missing.txt');
	const cases: [string, string[], string][] = [
		[
			'encrypt',
			['--owner', ID, '--in', missing, '--out', join(dir, 'o')],
			`--in: ${missing} does not exist`,
		],
		[
			'encrypt',
			['--owner', ID, '--in', adir, '--out', join(dir, 'o')],
			`--in: ${adir} is a directory, not a file`,
		],
		[
			'encrypt',
			['--owner', ID, '--in', plain, '--out', join(dir, 'nodir', 'o')],
			`--out: ${join(dir, 'nodir', 'o')}: directory ${join(dir, 'nodir')} does not exist`,
		],
		[
			'encrypt',
			['--owner', ID, '--in', plain, '--out', adir],
			`--out: ${adir} is a directory, not a file`,
		],
		['decrypt', [missing, '--out', join(dir, 'o')], `FILE: ${missing} does not exist`],
		['decrypt', [plain, missing, '--out-dir', dir], `FILE: ${missing} does not exist`],
		// A missing --out-dir is created, but only inside a directory that exists.
		[
			'decrypt',
			[plain, '--out-dir', join(dir, 'nodir', 'sub')],
			`--out-dir: ${join(dir, 'nodir', 'sub')}: directory ${join(dir, 'nodir')} does not exist`,
		],
		[
			'decrypt',
			[plain, '--out-dir', join(plain, 'sub')],
			`--out-dir: ${join(plain, 'sub')}: directory ${plain} is not a directory`,
		],
		['rewrap', ['--in', missing, '--out', join(dir, 'o')], `--in: ${missing} does not exist`],
		['rewrap', ['--in', adir, '--out', join(dir, 'o')], `--in: ${adir} is a directory, not a file`],
		['publish', ['--package-path', missing], `--package-path: ${missing} does not exist`],
		[
			'decrypt',
			[plain, '--out', join(dir, 'o'), '--audit-log', join(dir, 'nodir', 'log.jsonl')],
			`--audit-log: ${join(dir, 'nodir', 'log.jsonl')}: directory ${join(dir, 'nodir')} does not exist`,
		],
		[
			'rewrap',
			['--in', plain, '--out', join(dir, 'o'), '--audit-log', adir],
			`--audit-log: ${adir} is a directory, not a file`,
		],
		['publish', ['--package-path', plain], `--package-path: ${plain} is not a directory`],
		[
			'publish',
			['--package-path', adir],
			`--package-path: ${adir} has no Move.toml (not a Move package directory)`,
		],
	];
	for (const [name, args, message] of cases) {
		it(`${name}: ${message.replace(dir, 'DIR')}`, async () => {
			const error = await failure(name, args);
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error).not.toBeInstanceOf(UsageError);
			expect(error.message).toBe(message);
		});
	}

	it.skipIf(process.getuid?.() === 0)(
		'an unreadable input (skipped as root: root reads everything)',
		async () => {
			const locked = join(dir, 'locked.txt');
			writeFileSync(locked, 'x', { mode: 0o000 });
			const error = await failure('encrypt', [
				'--owner',
				ID,
				'--in',
				locked,
				'--out',
				join(dir, 'o'),
			]);
			expect(error.message).toBe(`--in: ${locked} is not readable (check its permissions)`);
		},
	);
});

describe('formats are named by file and by what they are', () => {
	it('rewrap of a non-envelope says what the file is, before chain or key servers', async () => {
		const dir = tempDir();
		const cases: [Uint8Array, RegExp][] = [
			[new Uint8Array([0x02, 0x00, 1, 2]), /is not an envelope: starts 02 00, a plain Seal object/],
			[new Uint8Array([0x01, 0x01, 1, 2]), /is not an envelope: starts 01 01, a wallet-key blob/],
			[new Uint8Array([0x42, 0x42]), /is not an envelope: starts 42 42, not a file written by/],
			[new Uint8Array([]), /is not an envelope: the file is empty/],
		];
		for (const [bytes, expected] of cases) {
			const input = join(dir, 'in.bin');
			writeFileSync(input, bytes);
			const error = await failure('rewrap', ['--in', input, '--out', join(dir, 'o')]);
			expect(error).toBeInstanceOf(InvalidInputError);
			expect(error.message).toMatch(expected);
			expect(error.message.startsWith(`--in: ${input} `)).toBe(true);
		}
	});

	it('decrypt of several inputs names the bad one and never advises what the CLI cannot do', async () => {
		const dir = tempDir();
		const good = join(dir, 'good.seal');
		const odd = join(dir, 'odd.seal');
		const broken = join(dir, 'broken.seal');
		writeFileSync(good, new Uint8Array([0x07, 1]));
		writeFileSync(odd, new Uint8Array([0x07, 1, 2, 3]));
		writeFileSync(broken, new Uint8Array([0x02, 0x00, 9, 9]));
		const io = quietIo({ SUI_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey() });
		const unknown = await failure('decrypt', [odd, '--out', join(dir, 'o')], io);
		expect(unknown.message).toMatch(
			new RegExp(`^${odd}: unknown format tag 0x07: .*add --wallet-key`),
		);
		expect(unknown.message).not.toMatch(/pass its key|deriveWalletKey/);
		const malformed = await failure('decrypt', [broken, '--out', join(dir, 'o')], io);
		// Two bytes after the tag: the Seal object ends inside its version and package id.
		expect(malformed.message).toMatch(new RegExp(`^${broken}: TruncatedInputError: .*package id`));
		// A damaged envelope is named at once, not after "no policy package" (none is configured).
		const truncated = join(dir, 'cut.seal');
		writeFileSync(truncated, new Uint8Array([0x02, 0x01, 7]));
		for (const [name, args] of [
			['decrypt', [truncated, '--out', join(dir, 'o')]],
			['rewrap', ['--in', truncated, '--out', join(dir, 'o')]],
		] as const) {
			const error = await failure(name, [...args], io);
			expect(error.message).toMatch(new RegExp(`^${truncated}: TruncatedInputError: `));
		}
	});
});

describe('inputs read whole, and outputs that cannot be written', () => {
	/** An io with a signer whose progress lines are kept, to see nothing was announced. */
	function recordingIo() {
		const lines: string[] = [];
		const io = quietIo({ SUI_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey() });
		return {
			lines,
			io: {
				...io,
				logger: { info: (m: string) => void lines.push(m), warn: () => {}, debug: () => {} },
			},
		};
	}

	it('a 3 GiB input is refused up front by --wallet-key encrypt and by decrypt (sparse file)', async () => {
		const dir = tempDir();
		const huge = join(dir, 'huge.bin');
		writeFileSync(huge, new Uint8Array([0x01, 0x01]));
		truncateSync(huge, 3 * 1024 ** 3);
		const { io, lines } = recordingIo();
		const encrypt = await failure(
			'encrypt',
			['--wallet-key', '--in', huge, '--out', join(dir, 'o')],
			io,
		);
		expect(encrypt).toBeInstanceOf(InvalidInputError);
		expect(encrypt.message).toBe(
			`--in: ${huge} is 3.0 GiB; --wallet-key encrypts in memory; encrypt it for an --allowlist or --owner instead, which streams it as an envelope (at most 2.0 GiB)`,
		);
		const decrypt = await failure('decrypt', [huge, '--out', join(dir, 'o')], io);
		expect(decrypt.message).toBe(
			`FILE: ${huge} is 3.0 GiB; it is not an envelope, and a Seal object or wallet-key blob is read whole into memory (at most 2.0 GiB)`,
		);
		expect(lines).toEqual([]);
	});

	it.skipIf(!existsSync('/proc/self'))(
		'an output that cannot be created names --out and the file, never the temporary name',
		async () => {
			const dir = tempDir();
			const plain = join(dir, 'plain.txt');
			writeFileSync(plain, 'x');
			const { io } = recordingIo();
			const error = await failure(
				'encrypt',
				['--wallet-key', '--in', plain, '--out', '/proc/x.bin'],
				io,
			);
			expect(error).toBeInstanceOf(InvalidInputError);
			// As root the directory check passes and the write itself fails; otherwise the check.
			expect(error.message).toMatch(
				/^--out: (cannot write \/proc\/x\.bin: no file can be created there \(ENOENT\); nothing was written|\/proc\/x\.bin: directory \/proc is not writable)/,
			);
			expect(error.message).not.toMatch(/\.tmp|\d{3,}\./);
		},
	);
});

describe('wallet-key fallback (format 0x01) from the CLI', () => {
	it('encrypt --wallet-key and decrypt round-trip with the signer alone (no key servers)', async () => {
		const dir = tempDir();
		const plain = join(dir, 'note.txt');
		writeFileSync(plain, 'meet at noon');
		const secret = Ed25519Keypair.generate().getSecretKey();
		const io = quietIo({ SUI_PRIVATE_KEY: secret });
		const { command: encrypt } = await COMMANDS['encrypt']!.load();
		expect(
			await encrypt.run(['--wallet-key', '--in', plain, '--out', join(dir, 'note.bin')], io),
		).toBe(0);
		const blob = readFileSync(join(dir, 'note.bin'));
		expect(blob[0]).toBe(0x01);
		expect(blob.includes(Buffer.from('meet at noon'))).toBe(false);
		const { command: decrypt } = await COMMANDS['decrypt']!.load();
		expect(await decrypt.run([join(dir, 'note.bin'), '--out', join(dir, 'back.txt')], io)).toBe(0);
		expect(readFileSync(join(dir, 'back.txt'), 'utf8')).toBe('meet at noon');
		// Another wallet cannot read it, and the error names the file.
		const other = quietIo({ SUI_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey() });
		const error = await failure('decrypt', [join(dir, 'note.bin'), '--out', join(dir, 'x')], other);
		expect(error.message).toMatch(
			/note\.bin: DecryptionFailedError: wallet blob failed authentication/,
		);
	});

	it('decrypt --out-dir creates a missing directory (mode 0700) and writes into it', async () => {
		const dir = tempDir();
		writeFileSync(join(dir, 'a.txt'), 'first');
		writeFileSync(join(dir, 'b.txt'), 'second');
		const io = quietIo({ SUI_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey() });
		const { command: encrypt } = await COMMANDS['encrypt']!.load();
		for (const name of ['a', 'b']) {
			const args = [
				'--wallet-key',
				'--in',
				join(dir, `${name}.txt`),
				'--out',
				join(dir, `${name}.seal`),
			];
			expect(await encrypt.run(args, io)).toBe(0);
		}
		const { command: decrypt } = await COMMANDS['decrypt']!.load();
		const plainDir = join(dir, 'plain');
		const inputs = [join(dir, 'a.seal'), join(dir, 'b.seal')];
		expect(await decrypt.run([...inputs, '--out-dir', `${plainDir}/`], io)).toBe(0);
		expect(statSync(plainDir).mode & 0o777).toBe(0o700);
		expect(readFileSync(join(plainDir, 'a'), 'utf8')).toBe('first');
		expect(readFileSync(join(plainDir, 'b'), 'utf8')).toBe('second');
	});

	it('decrypt --out-dir removes the directory it created when decryption fails', async () => {
		const dir = tempDir();
		writeFileSync(join(dir, 'a.txt'), 'first');
		const { command: encrypt } = await COMMANDS['encrypt']!.load();
		const owner = quietIo({ SUI_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey() });
		const args = ['--wallet-key', '--in', join(dir, 'a.txt'), '--out', join(dir, 'a.seal')];
		expect(await encrypt.run(args, owner)).toBe(0);
		const other = quietIo({ SUI_PRIVATE_KEY: Ed25519Keypair.generate().getSecretKey() });
		const plainDir = join(dir, 'plain');
		const error = await failure('decrypt', [join(dir, 'a.seal'), '--out-dir', plainDir], other);
		expect(error.message).toMatch(/DecryptionFailedError/);
		expect(existsSync(plainDir)).toBe(false);
	});

	it('--in - reads standard input; a terminal, rewrap and decrypt say why not (exit 2)', async () => {
		const dir = tempDir();
		const secret = Ed25519Keypair.generate().getSecretKey();
		const piped = (chunks: string[]) =>
			Object.assign(Readable.from(chunks.map((c) => Buffer.from(c))), { isTTY: false });
		const io = { ...quietIo({ SUI_PRIVATE_KEY: secret }), stdin: piped(['meet ', 'at ', 'noon']) };
		const { command: encrypt } = await COMMANDS['encrypt']!.load();
		expect(await encrypt.run(['--wallet-key', '--in', '-', '--out', join(dir, 'n.bin')], io)).toBe(
			0,
		);
		const { command: decrypt } = await COMMANDS['decrypt']!.load();
		expect(await decrypt.run([join(dir, 'n.bin'), '--out', join(dir, 'n.txt')], io)).toBe(0);
		expect(readFileSync(join(dir, 'n.txt'), 'utf8')).toBe('meet at noon');

		const terminal = { ...io, stdin: Object.assign(Readable.from([]), { isTTY: true }) };
		const tty = await failure(
			'encrypt',
			['--wallet-key', '--in', '-', '--out', join(dir, 'x')],
			terminal,
		);
		expect(tty).toBeInstanceOf(UsageError);
		expect(tty.message).toMatch(/^--in: '-' reads standard input, which is a terminal here/);
		const rewrap = await failure('rewrap', ['--in', '-', '--out', join(dir, 'x')], io);
		expect(rewrap).toBeInstanceOf(UsageError);
		expect(rewrap.message).toMatch(/^--in: rewrap reads its input twice/);
		const decryptStdin = await failure('decrypt', ['-', '--out', join(dir, 'x')], io);
		expect(decryptStdin).toBeInstanceOf(UsageError);
		expect(decryptStdin.message).toMatch(/^FILE: decrypt reads each input twice/);
	});
});

describe('peekInput: standard input decides between one object and an envelope', () => {
	it('a short input is complete; a long one streams every byte, head first', async () => {
		const short = await peekInput(Readable.from([Buffer.from('ab'), Buffer.from('c')]), 10);
		expect(short.complete).toBe(true);
		expect(Buffer.from(short.head).toString()).toBe('abc');
		const chunks = Array.from({ length: 5 }, (_, i) => Buffer.alloc(4, i));
		const long = await peekInput(Readable.from(chunks), 6);
		expect(long.complete).toBe(false);
		expect(long.head.length).toBe(8);
		const all: Buffer[] = [];
		for await (const chunk of long.stream) all.push(Buffer.from(chunk));
		expect(Buffer.concat(all)).toEqual(Buffer.concat(chunks));
	});
});

describe('SUI_PRIVATE_KEY and SUI_CONFIG_DIR from .env', () => {
	it('.env is read; the environment wins; the source is reported', () => {
		const dir = tempDir();
		const fromFile = Ed25519Keypair.generate().getSecretKey();
		const fromEnv = Ed25519Keypair.generate().getSecretKey();
		writeFileSync(join(dir, '.env'), `SUI_PRIVATE_KEY=${fromFile}\nSUI_CONFIG_DIR=/from/dotenv\n`);
		expect(loadSignerSettings({ env: {}, cwd: dir })).toEqual({
			SUI_PRIVATE_KEY: fromFile,
			SUI_CONFIG_DIR: '/from/dotenv',
			privateKeySource: '.env',
		});
		expect(loadSignerSettings({ env: { SUI_PRIVATE_KEY: fromEnv }, cwd: dir })).toMatchObject({
			SUI_PRIVATE_KEY: fromEnv,
			privateKeySource: 'env',
		});
		expect(loadSignerSettings({ env: {}, cwd: tempDir() })).toEqual({});
	});

	it('a bad key names its source and never its value', async () => {
		const error = await loadSigner({
			env: { SUI_PRIVATE_KEY: 'suiprivkey1secretsecret' },
			privateKeySource: '.env',
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(SignerError);
		expect((error as Error).message).toMatch(/^SUI_PRIVATE_KEY \(from \.env\) is not a valid/);
		expect((error as Error).message).not.toContain('secretsecret');
	});
});

describe('config errors name the real source', () => {
	it('--network, --config FILE, SEAL_CONFIG (env and .env), and the file itself', () => {
		const dir = tempDir();
		writeFileSync(join(dir, 'mine.yaml'), 'network: moon\n');
		const message = (options: Parameters<typeof loadConfig>[0]) => {
			try {
				loadConfig({ cwd: dir, env: {}, ...options });
			} catch (error) {
				expect(error).toBeInstanceOf(ConfigError);
				return (error as Error).message;
			}
			throw new Error('no error');
		};
		expect(message({ networkFlag: 'moon' })).toMatch(
			/^network \(from --network\): unknown network 'moon'/,
		);
		expect(message({ env: { SUI_NETWORK: 'moon' } })).toMatch(/^network \(from env\)/);
		expect(message({ configPath: 'mine.yaml' })).toMatch(/^network \(from file mine\.yaml\)/);
		expect(message({ env: { SEAL_CONFIG: 'mine.yaml' } })).toMatch(
			/^network \(from file mine\.yaml\)/,
		);
		expect(message({ configPath: 'nope.yaml' })).toMatch(
			/^config file \(from --config\): config file .*nope\.yaml does not exist/,
		);
		expect(message({ env: { SEAL_CONFIG: 'nope.yaml' } })).toMatch(/^SEAL_CONFIG \(from env\): /);
		writeFileSync(join(dir, '.env'), 'SEAL_CONFIG=nope.yaml\n');
		expect(message({})).toMatch(/^SEAL_CONFIG \(from \.env\): /);
		rmSync(join(dir, '.env'));
		writeFileSync(join(dir, 'config.yaml'), 'seal:\n  servers: 3\n');
		expect(message({})).toMatch(/^seal\.servers \(from config\.yaml\): must be a list/);
		// The flag outranks env and files.
		expect(
			loadConfig({ cwd: tempDir(), env: { SUI_NETWORK: 'moon' }, networkFlag: 'testnet' }).network,
		).toBe('testnet');
	});
});

/** A TCP port on which nothing listens (bound, then released). */
async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	await new Promise<void>((resolve) => server.close(() => resolve()));
	if (address === null || typeof address === 'string') throw new Error('no port');
	return address.port;
}

describe('network failures name the endpoint, the cause and the next step', () => {
	const fullNode = { url: 'http://127.0.0.1:9000', network: 'localnet' };
	const refused = (port: number) =>
		new TypeError('fetch failed', {
			cause: Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), {
				code: 'ECONNREFUSED',
				address: '127.0.0.1',
				port,
			}),
		});
	const never = async () => {
		throw new Error('no probe expected');
	};

	it('a refused connection to the full node names it and says how to start it', async () => {
		const error = await explainNetworkError(refused(9000), { fullNode }, never);
		expect(error).toBeInstanceOf(EndpointUnreachableError);
		expect(error?.role).toBe('full node');
		expect(error?.message).toMatch(
			/^full node http:\/\/127\.0\.0\.1:9000: connection refused .*— start the localnet with `seal-policies localnet up`/,
		);
	});

	it('a refused connection elsewhere is a key server, named by address', async () => {
		const error = await explainNetworkError(refused(2024), { fullNode }, never);
		expect(error?.role).toBe('key server');
		expect(error?.message).toMatch(
			/^key server at 127\.0\.0\.1:2024: connection refused .*localnet status/,
		);
	});

	it('an unknown host on testnet says to check the connection or SUI_RPC_URL', async () => {
		const cause = Object.assign(new Error('getaddrinfo ENOTFOUND fullnode.testnet.sui.io'), {
			code: 'ENOTFOUND',
			hostname: 'fullnode.testnet.sui.io',
		});
		const error = await explainNetworkError(
			new TypeError('fetch failed', { cause }),
			{
				fullNode: { url: 'https://fullnode.testnet.sui.io:443', network: 'testnet' },
			},
			never,
		);
		expect(error?.message).toMatch(
			/^full node https:\/\/fullnode\.testnet\.sui\.io:443: unknown host — .*SUI_RPC_URL/,
		);
	});

	it('the gRPC client drops the socket error: a probe of the full node recovers the cause', async () => {
		const grpc = Object.assign(new Error('fetch failed'), { name: 'RpcError', code: 'INTERNAL' });
		const down = await explainNetworkError(grpc, { fullNode }, async () => 'connection refused');
		expect(down?.message).toMatch(/^full node http:\/\/127\.0\.0\.1:9000: connection refused — /);
		// The node answers: not a reachability problem we can name; the error stays as it is.
		expect(await explainNetworkError(grpc, { fullNode }, async () => undefined)).toBeUndefined();
		// A bare fetch failure while the node answers: a key server did not.
		const bare = await explainNetworkError(
			new TypeError('fetch failed'),
			{ fullNode },
			async () => undefined,
		);
		expect(bare?.role).toBe('key server');
	});

	it('other errors are left alone', async () => {
		expect(await explainNetworkError(new Error('boom'), { fullNode }, never)).toBeUndefined();
		expect(
			await explainNetworkError(new InvalidInputError('x', 'y'), { fullNode }, never),
		).toBeUndefined();
	});

	it('plain and envelope encrypt report the same error for the same unreachable full node', async () => {
		const port = await closedPort();
		const dir = tempDir();
		const small = join(dir, 'small.bin');
		writeFileSync(small, 'x');
		const env = {
			SUI_RPC_URL: `http://127.0.0.1:${port}`,
			SEAL_POLICY_PACKAGE: `0x${'ab'.repeat(32)}`,
			SEAL_SERVER_IDS: `0x${'cd'.repeat(32)}`,
			SEAL_THRESHOLD: '1',
		};
		const messages: string[] = [];
		for (const transport of ['grpc', 'jsonrpc']) {
			for (const extra of [[], ['--envelope']]) {
				const io = quietIo(env);
				const args = [
					'--owner',
					ID,
					'--in',
					small,
					'--out',
					join(dir, 'o'),
					'--transport',
					transport,
				];
				const raw = await failure('encrypt', [...args, ...extra], io);
				const explained = await explainNetworkError(raw, io.endpoints ?? {});
				messages.push(explained?.message ?? `unexplained: ${raw.message}`);
			}
		}
		expect(new Set(messages)).toEqual(
			new Set([
				`full node http://127.0.0.1:${port}: connection refused (nothing is listening there) — start the localnet with \`seal-policies localnet up\` (check it with \`seal-policies localnet status\`), or point SUI_RPC_URL / --network elsewhere`,
			]),
		);
	}, 60_000);
});
