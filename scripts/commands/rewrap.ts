/**
 * `seal-policies rewrap`: move an envelope to a new key-server set and/or threshold. Only the
 * 32-byte data key is unsealed (by the signer, whom the policy must approve) and sealed again;
 * the data chunks are copied byte for byte.
 */
import { createReadStream } from 'node:fs';
import { readEnvelopeHeader, rewrapEnvelope } from '../../ts/crypto/node/envelope.js';
import { InvalidInputError, UsageError } from '../../ts/errors.js';
import { assertEnvelopeFile } from '../../ts/crypto/node/ciphertext-file.js';
import { newServerSet, rewrapThreshold } from '../../ts/seal/rewrap-plan.js';
import { normalizeObjectId, toHex } from '../../ts/identity.js';
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
		await assertEnvelopeFile(request.input, '--in');
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
