/**
 * `seal-policies rewrap`: move an envelope to a new key-server set and/or threshold. Only the
 * 32-byte data key is unsealed (by the signer, whom the policy must approve) and sealed again;
 * the data chunks are copied byte for byte.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { KeyServerEntry } from '../../ts/networks.js';
import { readEnvelopeHeader, rewrapEnvelope } from '../../ts/envelope.js';
import { InvalidInputError, UsageError } from '../../ts/errors.js';
import { SEAL_KIND_ENVELOPE, SEAL_KIND_OBJECT, TAG_SEAL, TAG_WALLET_AES } from '../../ts/format.js';
import { normalizeObjectId, toHex } from '../../ts/identity.js';
import type { Logger } from '../../ts/logger.js';
import { createSealClient, resolveThreshold } from '../../ts/seal/client.js';
import {
	approveTxBuilder,
	guessPolicy,
	unlockIdentity,
	type PolicyKind,
} from '../../ts/seal/decrypt.js';
import { writeOutputFile } from '../output-file.js';
import { resolvePolicyPackage } from '../../ts/seal/packages.js';
import { createSessionKey } from '../../ts/seal/session.js';
import type { Command } from '../cli-io.js';
import {
	AUDIT_LOG_OPTION,
	auditLogPath,
	checkConfiguredAuditLog,
	checkEnvelopeHeader,
	openAuditLog,
	parseAuditLogOption,
} from './decrypt.js';
import {
	checkInputFile,
	checkOutputFile,
	inputOutputPaths,
	optionalPositiveInt,
	parseCommandArgs,
	rejectPositionals,
	usageErrors,
} from '../args.js';
import { checkSuiOptions, SUI_OPTIONS, suiContext } from '../sui-context.js';

const USAGE = `usage: seal-policies rewrap --in FILE --out FILE [--servers ID,ID,...] [--threshold N] [options]

Re-seals an envelope's data key for a new key-server set and/or threshold without touching the
data. The current key servers (from the envelope) must release the key to the signer.

options:
  --servers IDS          new key-server object ids, comma-separated, weight 1 each
                         (default: the configured servers; API keys are taken from config.yaml)
  --threshold N          new threshold (default: the envelope's own; lowering it is warned about)
  --policy P             allowlist | owner | auto (default auto)
  --no-verify            skip the key servers' proof-of-possession check
  --check-shares         verify every key share of the sealed data key before re-sealing it
                         (protects against an untrusted encryptor; one pairing per share)
  --audit-log FILE       record the key request in this access log (default: SEAL_AUDIT_LOG /
                         config auditLog)
  --network N, --config FILE, --transport grpc|jsonrpc, --deployments-dir DIR`;

const OPTIONS = {
	...SUI_OPTIONS,
	...AUDIT_LOG_OPTION,
	in: { type: 'string' },
	out: { type: 'string' },
	servers: { type: 'string' },
	threshold: { type: 'string' },
	policy: { type: 'string' },
	'no-verify': { type: 'boolean' },
	'check-shares': { type: 'boolean' },
} as const;

export interface RewrapRequest {
	input: string;
	output: string;
	servers: string[] | undefined;
	threshold: number | undefined;
	policy: PolicyKind | 'auto';
	verify: boolean;
	/** `--check-shares`: the SDK's share-consistency check on the sealed data key. */
	checkShares: boolean;
	/** `--audit-log` as given; the config's `auditLog` applies when undefined. */
	auditLog: string | undefined;
}

export function parseRewrapArgs(args: string[]) {
	const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
	rejectPositionals(positionals, USAGE);
	const servers =
		values.servers === undefined
			? undefined
			: values.servers.split(',').map((id, i) => normalizeObjectId(id.trim(), `--servers[${i}]`));
	if (servers !== undefined && new Set(servers).size !== servers.length) {
		throw new InvalidInputError('--servers', 'lists a key server twice');
	}
	const policy = values.policy ?? 'auto';
	if (policy !== 'allowlist' && policy !== 'owner' && policy !== 'auto') {
		throw new InvalidInputError('--policy', `expected allowlist, owner or auto, got '${policy}'`);
	}
	const request: RewrapRequest = {
		...inputOutputPaths(values),
		servers,
		threshold: optionalPositiveInt(values.threshold, '--threshold'),
		policy,
		verify: !values['no-verify'],
		checkShares: values['check-shares'] ?? false,
		auditLog: parseAuditLogOption(values['audit-log']),
	};
	return { request, values };
}

/** The new server list: ids from --servers with details (API keys) from config when known. */
export function newServerSet(
	ids: string[] | undefined,
	configured: readonly KeyServerEntry[],
): KeyServerEntry[] {
	if (ids === undefined) return [...configured];
	return ids.map(
		(objectId) => configured.find((s) => s.objectId === objectId) ?? { objectId, weight: 1 },
	);
}

/**
 * The new threshold: the envelope's own unless `--threshold` asks for another. The configured
 * default threshold is deliberately ignored here, so a rewrap never lowers protection silently.
 */
export function rewrapThreshold(
	requested: number | undefined,
	envelopeThreshold: number,
	logger: Pick<Logger, 'warn'>,
): number {
	if (requested === undefined) return envelopeThreshold;
	if (requested < envelopeThreshold) {
		logger.warn(
			`lowering the threshold from ${envelopeThreshold} to ${requested}: fewer key servers will be needed to decrypt`,
		);
	}
	return requested;
}

export const command: Command = {
	summary: 'move an envelope to new key servers / threshold without re-encrypting its data',
	usage: USAGE,
	async run(args, io) {
		const { request, values } = usageErrors(() => parseRewrapArgs(args));
		checkSuiOptions(values);
		if (request.input === '-') {
			throw new UsageError(
				'--in',
				"rewrap reads its input twice (header, then data), so it needs a file; '-' (standard input) is not supported here",
			);
		}
		checkInputFile(request.input, '--in');
		checkOutputFile(request.output, '--out');
		if (request.auditLog !== undefined) checkOutputFile(request.auditLog, '--audit-log');
		await checkIsEnvelope(request.input);
		const ctx = suiContext(io, values);
		checkConfiguredAuditLog(request.auditLog, auditLogPath(request.auditLog, ctx.config));
		const signer = await ctx.signer();
		const { originalId, latestId } = await resolvePolicyPackage(ctx.config, ctx.deploymentsDir);
		const opened = await readEnvelopeHeader(createReadStream(request.input));
		const { header } = opened;
		if (header.packageId !== originalId) {
			throw new InvalidInputError(
				request.input,
				`was sealed under package ${header.packageId}, not the configured ${originalId}`,
			);
		}
		// Unseal with the envelope's own servers (details from config when configured there).
		const oldServers = header.servers.map(({ objectId, weight }) => ({
			...ctx.config.seal.servers.find((s) => s.objectId === objectId),
			objectId,
			weight,
		}));
		const newServers = newServerSet(request.servers, ctx.config.seal.servers);
		const threshold = resolveThreshold(
			newServers,
			rewrapThreshold(request.threshold, header.threshold, io.logger),
		);
		const oldClient = createSealClient({
			suiClient: ctx.client,
			servers: oldServers,
			verifyKeyServers: request.verify,
		});
		const newClient = createSealClient({
			suiClient: ctx.client,
			servers: newServers,
			verifyKeyServers: request.verify,
		});
		const sessionKey = await createSessionKey({
			suiClient: ctx.client,
			signer,
			packageId: originalId,
		});
		const innerIdHex = toHex(header.innerId);
		const policy =
			request.policy === 'auto' ? guessPolicy(innerIdHex, signer.toSuiAddress()) : request.policy;
		const audit = await openAuditLog(auditLogPath(request.auditLog, ctx.config));
		let txBytes: Uint8Array;
		try {
			txBytes = await unlockIdentity({
				sealClient: oldClient,
				sessionKey,
				policy,
				innerId: header.innerId,
				threshold: header.threshold,
				buildTxBytes: approveTxBuilder({ packageId: latestId, client: ctx.client }),
				servers: oldServers.map((s) => s.objectId),
				...(audit ? { audit, action: 'rewrap' as const } : {}),
			});
		} finally {
			await audit?.close();
		}
		io.logger.info(
			`rewrapping ${request.input}: ${header.threshold}-of-${oldServers.length} -> ${threshold}-of-${newServers.length}`,
		);
		const bytes = await writeOutputFile(
			request.output,
			rewrapEnvelope(opened, {
				access: {
					sealClient: oldClient,
					sessionKey,
					txBytes,
					checkShareConsistency: request.checkShares,
				},
				sealClient: newClient,
				threshold,
			}),
			'--out',
		);
		const result = {
			output: request.output,
			bytes,
			from: { threshold: header.threshold, servers: oldServers.map((s) => s.objectId) },
			to: { threshold, servers: newServers.map((s) => s.objectId) },
		};
		io.result(
			result,
			`wrote ${request.output} (${bytes} bytes): now ${threshold}-of-${newServers.length}`,
		);
		return 0;
	},
};

/**
 * Only envelopes can be rewrapped: anything else is named by what its first bytes say it is,
 * before the chain or key servers are asked anything.
 */
export async function checkIsEnvelope(input: string): Promise<void> {
	const file = await open(input, 'r');
	let head: Uint8Array;
	try {
		const buffer = new Uint8Array(2);
		const { bytesRead } = await file.read(buffer, 0, 2, 0);
		head = buffer.subarray(0, bytesRead);
	} finally {
		await file.close();
	}
	if (head[0] === TAG_SEAL && head[1] === SEAL_KIND_ENVELOPE) return checkEnvelopeHeader(input);
	const hex = [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
	const what =
		head.length === 0
			? 'the file is empty'
			: head[0] === TAG_SEAL && head[1] === SEAL_KIND_OBJECT
				? `starts ${hex}, a plain Seal object (decrypt and encrypt it again to change its key servers)`
				: head[0] === TAG_WALLET_AES
					? `starts ${hex}, a wallet-key blob (no key servers to change)`
					: `starts ${hex}, not a file written by \`seal-policies encrypt --envelope\``;
	throw new InvalidInputError('--in', `${input} is not an envelope: ${what}`);
}
