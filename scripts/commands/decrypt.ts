/**
 * `seal-policies decrypt`: decrypt one or many files encrypted by `encrypt`. Many Seal objects
 * share one key request per 100 identities; envelopes stream to their output.
 */
import { createReadStream, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { basename, dirname, join, resolve } from 'node:path';
import { AuditLog } from '../../ts/audit/log.js';
import type { HarnessConfig } from '../../ts/config.js';
import { decryptEnvelope, readEnvelopeHeader } from '../../ts/crypto/node/envelope.js';
import { InvalidInputError, UsageError } from '../../ts/errors.js';
import { readBlob, TAG_SEAL, TAG_WALLET_AES } from '../../ts/crypto/node/format.js';
import {
	checkEnvelopeFile,
	isEnvelopeFile,
	withFileNamedErrors,
} from '../../ts/crypto/node/ciphertext-file.js';
import { toHex } from '../../ts/identity.js';
import { createSealClient } from '../../ts/seal/client.js';
import {
	approveTxBuilder,
	batchDecrypt,
	guessPolicy,
	unlockIdentity,
	type PolicyKind,
} from '../../ts/seal/decrypt.js';
import { checkInMemorySize, writeOutputFile } from '../output-file.js';
import { resolvePolicyPackage } from '../../ts/seal/packages.js';
import {
	createSessionKey,
	DEFAULT_SESSION_TTL_MIN,
	SessionKeyRenewer,
} from '../../ts/seal/session.js';
import type { CliIo, Command } from '../cli-io.js';
import { counted, progress, PROGRESS_MIN_BYTES } from '../progress.js';
import { decryptWithWalletKey, deriveWalletKey } from '../../ts/crypto/node/wallet-key.js';
import {
	checkInputFile,
	checkOutputDir,
	checkOutputFile,
	parseCommandArgs,
	parsePositiveInt,
	samePath,
	usageErrors,
} from '../args.js';
import { checkSuiOptions, SUI_OPTIONS, suiContext, type SuiContext } from '../sui-context.js';

const USAGE = `usage: seal-policies decrypt FILE... (--out FILE | --out-dir DIR) [options]

Decrypts files written by \`seal-policies encrypt\` as the signer (SUI_PRIVATE_KEY or the Sui CLI
keystore). Key servers release keys only if the policy approves the signer.

options:
  --out FILE             output for a single input (written whole or not at all, mode 0600)
  --out-dir DIR          outputs for many inputs: DIR/<name without .seal> (DIR is created,
                         mode 0700, when missing; its parent must exist)
  --policy P             allowlist | owner | auto (default auto: owner when the identity names you)
  --ttl MIN              session-key lifetime, 1..30 minutes (default ${DEFAULT_SESSION_TTL_MIN}; renewed as needed)
  --no-verify            skip the key servers' proof-of-possession check
  --check-shares         verify every key share of each Seal object and envelope data key
                         (protects readers from an untrusted encryptor; one pairing per share)
  --audit-log FILE       append every key request (who, identity, servers, outcome) to this
                         hash-chained access log (default: SEAL_AUDIT_LOG / config auditLog;
                         check it with \`seal-policies audit verify FILE\`)
  --wallet-key           also read untagged legacy AES-GCM inputs under the signer's wallet key
                         (wallet-key blobs, format 0x01, are always decrypted with it; they
                         need no key servers)
  --network N, --config FILE, --transport grpc|jsonrpc, --deployments-dir DIR`;

/** `--audit-log FILE`, shared with `rewrap`. */
export const AUDIT_LOG_OPTION = { 'audit-log': { type: 'string' } } as const;

const OPTIONS = {
	...SUI_OPTIONS,
	...AUDIT_LOG_OPTION,
	out: { type: 'string' },
	'out-dir': { type: 'string' },
	policy: { type: 'string' },
	ttl: { type: 'string' },
	'no-verify': { type: 'boolean' },
	'check-shares': { type: 'boolean' },
	'wallet-key': { type: 'boolean' },
} as const;

export interface DecryptRequest {
	inputs: string[];
	/** Output path per input, same order. */
	outputs: string[];
	policy: PolicyKind | 'auto';
	ttlMin: number;
	verify: boolean;
	/** `--check-shares`: the SDK's share-consistency check on every Seal object and envelope key. */
	checkShares: boolean;
	/** `--audit-log` as given; the config's `auditLog` applies when undefined. */
	auditLog: string | undefined;
	/** `--wallet-key`: untagged legacy AES-GCM inputs are tried under the wallet key. */
	walletKey: boolean;
	/** The flag the outputs come from, for a write failure's message. */
	outputFlag: '--out' | '--out-dir';
}

export function parseDecryptArgs(args: string[]) {
	const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
	if (positionals.length === 0)
		throw new InvalidInputError('FILE', `at least one input file is required\n${USAGE}`);
	if ((values.out === undefined) === (values['out-dir'] === undefined)) {
		throw new InvalidInputError('--out/--out-dir', 'give exactly one of them');
	}
	if (values.out !== undefined && positionals.length > 1) {
		throw new InvalidInputError(
			'--out',
			`names one file but ${positionals.length} inputs were given; use --out-dir`,
		);
	}
	const outputs =
		values.out !== undefined
			? [values.out]
			: positionals.map((input) => join(values['out-dir'] ?? '.', outputName(input)));
	if (new Set(outputs).size !== outputs.length)
		throw new InvalidInputError('--out-dir', 'two inputs would write the same output name');
	const policy = values.policy ?? 'auto';
	if (policy !== 'allowlist' && policy !== 'owner' && policy !== 'auto') {
		throw new InvalidInputError('--policy', `expected allowlist, owner or auto, got '${policy}'`);
	}
	const ttlMin =
		values.ttl === undefined ? DEFAULT_SESSION_TTL_MIN : parsePositiveInt(values.ttl, '--ttl');
	if (ttlMin > 30) throw new InvalidInputError('--ttl', 'at most 30 minutes');
	const request: DecryptRequest = {
		inputs: positionals,
		outputs,
		policy,
		ttlMin,
		verify: !values['no-verify'],
		checkShares: values['check-shares'] ?? false,
		auditLog: parseAuditLogOption(values['audit-log']),
		walletKey: values['wallet-key'] ?? false,
		outputFlag: values.out !== undefined ? '--out' : '--out-dir',
	};
	for (const output of request.outputs) {
		const input = request.inputs.find((candidate) => samePath(candidate, output));
		if (input !== undefined)
			throw new InvalidInputError('--out', `would overwrite the input ${input}`);
	}
	return { request, values };
}

/** Validates `--audit-log FILE` (undefined when not given). */
export function parseAuditLogOption(value: string | undefined): string | undefined {
	if (value === undefined) return undefined;
	if (value.trim() === '') throw new InvalidInputError('--audit-log', 'needs a file path');
	return value;
}

/**
 * The access-log path: `--audit-log` (relative to the working directory), else the config's
 * `auditLog` (config.yaml `auditLog` or `SEAL_AUDIT_LOG`), else none.
 */
export function auditLogPath(
	option: string | undefined,
	config: Pick<HarnessConfig, 'auditLog'>,
): string | undefined {
	return option === undefined ? config.auditLog : resolve(option);
}

/** Opens the access log (verifying its chain) when one is configured. */
export async function openAuditLog(path: string | undefined): Promise<AuditLog | undefined> {
	return path === undefined ? undefined : AuditLog.open(path, { clock: () => new Date() });
}

/** Every input readable and every output writable, before config, chain or key servers. */
export function checkDecryptFiles(request: DecryptRequest, outDir: string | undefined): void {
	for (const input of request.inputs) {
		if (input === '-') {
			throw new UsageError(
				'FILE',
				"decrypt reads each input twice (its format, then its data), so it needs files; '-' (standard input) is not supported here",
			);
		}
		checkInputFile(input, 'FILE');
	}
	if (outDir === undefined) {
		for (const output of request.outputs) checkOutputFile(output, '--out');
	} else if (statSync(outDir, { throwIfNoEntry: false }) === undefined) {
		// A missing DIR is created later (`createOutDir`): its parent must take it.
		checkOutputDir(dirname(resolve(outDir)), '--out-dir', outDir);
	} else {
		checkOutputDir(outDir, '--out-dir');
	}
	if (request.auditLog !== undefined) checkOutputFile(request.auditLog, '--audit-log');
}

/** The config's access log (config.yaml `auditLog` / SEAL_AUDIT_LOG) must be writable too. */
export function checkConfiguredAuditLog(
	option: string | undefined,
	path: string | undefined,
): void {
	if (option === undefined && path !== undefined) {
		checkOutputFile(path, 'auditLog (config.yaml auditLog / SEAL_AUDIT_LOG)');
	}
}

/**
 * Creates a missing `--out-dir` (mode 0700: it will hold plaintext). Returns a cleanup that
 * removes it again if it is still empty, so a failed run leaves nothing behind.
 */
export async function createOutDir(outDir: string | undefined): Promise<() => Promise<void>> {
	if (outDir === undefined || statSync(outDir, { throwIfNoEntry: false }) !== undefined) {
		return async () => {};
	}
	await mkdir(outDir, { mode: 0o700 });
	return async () => {
		if ((await readdir(outDir)).length === 0) await rmdir(outDir);
	};
}

/** `x.seal` → `x`, anything else → `<name>.plain`. */
export function outputName(input: string): string {
	const name = basename(input);
	return name.endsWith('.seal') && name.length > 5 ? name.slice(0, -5) : `${name}.plain`;
}

export const command: Command = {
	summary: 'decrypt files (batch: one key request per 100 identities)',
	usage: USAGE,
	async run(args, io) {
		const { request, values } = usageErrors(() => parseDecryptArgs(args));
		checkSuiOptions(values);
		checkDecryptFiles(request, values['out-dir']);
		const ctx = suiContext(io, values);
		const logPath = auditLogPath(request.auditLog, ctx.config);
		checkConfiguredAuditLog(request.auditLog, logPath);
		// Open (and verify) the log before any key is requested: a damaged log stops us here.
		const audit = await openAuditLog(logPath);
		const removeIfEmpty = await createOutDir(values['out-dir']);
		try {
			return await decryptFiles(request, ctx, audit, io);
		} catch (error) {
			await removeIfEmpty();
			throw error;
		} finally {
			await audit?.close();
		}
	},
};

/**
 * The command after argument parsing: decrypts every input as `ctx`'s signer. Every input is
 * classified first (a bad one is named before any key or network is used). With `audit`, each
 * key request is on disk before any plaintext is; an audit failure stops the run.
 */
export async function decryptFiles(
	request: DecryptRequest,
	ctx: SuiContext,
	audit: AuditLog | undefined,
	io: CliIo,
): Promise<number> {
	const classified: Classified[] = [];
	for (const [index, input] of request.inputs.entries()) {
		classified.push(await classify(index, input, request.walletKey));
	}
	const objects = classified.filter((c) => c.kind === 'object');
	const envelopes = classified.filter((c) => c.kind === 'envelope');
	const wallet = classified.filter((c) => c.kind === 'wallet');

	const signer = await ctx.signer();
	const address = signer.toSuiAddress();
	io.logger.info(
		`decrypting ${request.inputs.length} file(s) as ${address} (${objects.length} Seal objects, ${envelopes.length} envelopes${wallet.length > 0 ? `, ${wallet.length} wallet-key blobs` : ''})`,
	);
	const written: { input: string; output: string; bytes: number }[] = [];
	if (wallet.length > 0) {
		// No key servers: the signer's own wallet key (ts/crypto/node/wallet-key.ts).
		const walletKey = await deriveWalletKey(signer);
		const plaintexts: Uint8Array[] = [];
		try {
			for (const item of wallet) {
				plaintexts.push(
					withFileNamedErrors(item.input, () =>
						decryptWithWalletKey(walletKey, item.data ?? new Uint8Array()),
					),
				);
			}
			for (const [i, item] of wallet.entries()) {
				const output = request.outputs[item.index] ?? '';
				const plaintext = plaintexts[i] ?? new Uint8Array();
				written.push({
					input: item.input,
					output,
					bytes: await writeOutputFile(output, plaintext, request.outputFlag, 0o600),
				});
			}
		} finally {
			walletKey.key.fill(0);
			for (const plaintext of plaintexts) plaintext.fill(0);
		}
	}
	if (objects.length === 0 && envelopes.length === 0) return report(io, address, written, audit);

	const { originalId, latestId } = await resolvePolicyPackage(ctx.config, ctx.deploymentsDir);
	const sealClient = createSealClient({
		suiClient: ctx.client,
		servers: ctx.config.seal.servers,
		verifyKeyServers: request.verify,
	});
	const renewer = new SessionKeyRenewer({
		create: () =>
			createSessionKey({
				suiClient: ctx.client,
				signer,
				packageId: originalId,
				ttlMin: request.ttlMin,
			}),
	});
	const buildTxBytes = approveTxBuilder({ packageId: latestId, client: ctx.client });
	const policyFor = (innerIdHex: string): PolicyKind =>
		request.policy === 'auto' ? guessPolicy(innerIdHex, address) : request.policy;

	if (objects.length > 0) {
		const items = objects.map((o) => ({
			data: o.data ?? new Uint8Array(),
			policy: policyFor(o.innerIdHex ?? ''),
		}));
		const bar = progress({
			label: 'decrypting Seal objects',
			total: items.length,
			unit: 'items',
			minTotal: PROGRESS_MIN_OBJECTS,
		});
		const plaintexts: Uint8Array[] = [];
		try {
			// One batch per key request (100 ids at most), so progress can be shown between them.
			for (let start = 0; start < items.length; start += MAX_IDS_PER_REQUEST) {
				const group = items.slice(start, start + MAX_IDS_PER_REQUEST);
				plaintexts.push(
					...(await batchDecrypt({
						sealClient,
						session: renewer,
						items: group,
						buildTxBytes,
						logger: io.logger,
						checkShareConsistency: request.checkShares,
						...(audit ? { audit } : {}),
					})),
				);
				bar.advance(group.length);
			}
			bar.done();
			for (const [i, { index, input }] of objects.entries()) {
				const output = request.outputs[index] ?? '';
				const plaintext = plaintexts[i] ?? new Uint8Array();
				written.push({
					input,
					output,
					bytes: await writeOutputFile(output, plaintext, request.outputFlag, 0o600),
				});
			}
		} finally {
			for (const plaintext of plaintexts) plaintext.fill(0);
		}
	}
	for (const { index, input } of envelopes) {
		const output = request.outputs[index] ?? '';
		const size = (await stat(input)).size;
		const bar = progress({
			label: `decrypting ${input}`,
			total: size,
			unit: 'bytes',
			minTotal: PROGRESS_MIN_BYTES,
		});
		const source = Readable.from(counted(createReadStream(input), (n) => bar.advance(n)));
		const opened = await withFileNamedErrors(input, () => readEnvelopeHeader(source));
		const sessionKey = await renewer.current();
		const txBytes = await unlockIdentity({
			sealClient,
			sessionKey,
			policy: policyFor(toHex(opened.header.innerId)),
			innerId: opened.header.innerId,
			threshold: opened.header.threshold,
			buildTxBytes,
			servers: opened.header.servers.map((s) => s.objectId),
			...(audit ? { audit } : {}),
		});
		const bytes = await writeOutputFile(
			output,
			decryptEnvelope(opened, {
				sealClient,
				sessionKey,
				txBytes,
				checkShareConsistency: request.checkShares,
			}),
			request.outputFlag,
			0o600,
		);
		bar.done();
		written.push({ input, output, bytes });
	}
	return report(io, address, written, audit);
}

/** Seal objects per key request (the key servers' limit) and per progress step. */
const MAX_IDS_PER_REQUEST = 100;
/** Batch progress is shown from this many Seal objects up. */
const PROGRESS_MIN_OBJECTS = 2 * MAX_IDS_PER_REQUEST;

function report(
	io: CliIo,
	address: string,
	written: { input: string; output: string; bytes: number }[],
	audit: AuditLog | undefined,
): number {
	const lines = written.map((w) => `${w.input} -> ${w.output} (${w.bytes} bytes)`);
	if (audit) lines.push(`access log: ${audit.path} (head ${audit.head})`);
	io.result(
		{
			address,
			files: written,
			...(audit ? { auditLog: { path: audit.path, head: audit.head } } : {}),
		},
		lines.join('\n'),
	);
	return 0;
}

interface Classified {
	index: number;
	input: string;
	kind: 'object' | 'envelope' | 'wallet';
	/** Whole-file bytes (Seal objects and wallet blobs; envelopes are streamed later). */
	data?: Uint8Array;
	innerIdHex?: string;
}

/**
 * What an input is, from its bytes: an envelope (02 01, streamed later), a Seal object, or a
 * wallet-key blob (0x01; with `--wallet-key` also an untagged legacy AES-GCM blob). Format
 * errors name the file.
 */
async function classify(index: number, input: string, walletKey: boolean): Promise<Classified> {
	// Envelopes may be large: classify them from their first two bytes and stream later.
	if (await isEnvelopeFile(input)) {
		await checkEnvelopeFile(input);
		return { index, input, kind: 'envelope' };
	}
	// Anything else is read whole; nothing that large was written as one blob.
	await checkInMemorySize(
		input,
		'FILE',
		'it is not an envelope, and a Seal object or wallet-key blob is read whole into memory',
	);
	const bytes = new Uint8Array(await readFile(input));
	if (bytes[0] === TAG_WALLET_AES || (walletKey && bytes[0] !== TAG_SEAL)) {
		return { index, input, kind: 'wallet', data: bytes };
	}
	const read = withFileNamedErrors(input, () => readBlob(bytes));
	if (read.format === 'seal-object') {
		return { index, input, kind: 'object', data: read.encryptedObject, innerIdHex: read.parsed.id };
	}
	if (read.format === 'seal-envelope') return { index, input, kind: 'envelope' };
	throw new InvalidInputError(
		input,
		`is a ${read.format} blob, not Seal-encrypted; decrypt it with --wallet-key`,
	);
}
