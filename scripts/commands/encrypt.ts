/**
 * `seal-policies encrypt`: encrypt a file for an allowlist (namespace) or an owner address.
 * Small files become one Seal object; `--envelope` (automatic above 1 MiB) streams the data
 * under an AES-256-GCM key and Seal-encrypts only that key.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { InvalidInputError } from '../../ts/errors.js';
import { fromHex, normalizeObjectId, toHex } from '../../ts/identity.js';
import { createSealClient, resolveThreshold } from '../../ts/seal/client.js';
import {
	MAX_DIRECT_SEAL_BYTES,
	encryptForTargetEnvelope,
	sealEncrypt,
	type EncryptTarget,
} from '../../ts/seal/encrypt.js';
import { writeFileAtomic } from '../../ts/atomic-file.js';
import { resolvePolicyPackage } from '../../ts/seal/packages.js';
import type { Command } from '../cli-io.js';
import {
	checkInputFile,
	checkOutputFile,
	inputOutputPaths,
	optionalPositiveInt,
	parseCommandArgs,
	rejectPositionals,
	usageErrors,
} from '../args.js';
import { SUI_OPTIONS, suiContext } from '../sui-context.js';

const USAGE = `usage: seal-policies encrypt (--allowlist ID | --owner ADDRESS) --in FILE --out FILE [options]

Encrypts FILE so that only members of the allowlist (or only ADDRESS) can decrypt it.

options:
  --allowlist ID         namespace allowlist object id (members may decrypt)
  --owner ADDRESS        only this address may decrypt
  --in FILE, --out FILE  input and output files (the output is written whole or not at all)
  --envelope             envelope encryption (default for inputs above 1 MiB)
  --threshold N          key servers needed to decrypt (default: config / SEAL_THRESHOLD)
  --nonce HEX            identity nonce (default: 16 random bytes)
  --no-verify            skip the key servers' proof-of-possession check
  --network N, --config FILE, --transport grpc|jsonrpc, --deployments-dir DIR

key servers: SEAL_SERVER_IDS / config.yaml seal.servers (testnet defaults to Mysten's open servers).`;

const OPTIONS = {
	...SUI_OPTIONS,
	allowlist: { type: 'string' },
	owner: { type: 'string' },
	in: { type: 'string' },
	out: { type: 'string' },
	envelope: { type: 'boolean' },
	threshold: { type: 'string' },
	nonce: { type: 'string' },
	'no-verify': { type: 'boolean' },
} as const;

export interface EncryptRequest {
	target: EncryptTarget;
	input: string;
	output: string;
	envelope: boolean | undefined;
	threshold: number | undefined;
	verify: boolean;
}

/** Validates the command line before anything is read or contacted. */
export function parseEncryptArgs(args: string[]) {
	const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
	rejectPositionals(positionals, USAGE);
	if ((values.allowlist === undefined) === (values.owner === undefined)) {
		throw new InvalidInputError('--allowlist/--owner', 'give exactly one of them');
	}
	const nonce = values.nonce === undefined ? undefined : fromHex(values.nonce, '--nonce');
	const target: EncryptTarget =
		values.allowlist !== undefined
			? {
					policy: 'allowlist',
					allowlistId: normalizeObjectId(values.allowlist, '--allowlist'),
					...(nonce ? { nonce } : {}),
				}
			: {
					policy: 'owner',
					owner: normalizeObjectId(values.owner ?? '', '--owner'),
					...(nonce ? { nonce } : {}),
				};
	const request: EncryptRequest = {
		target,
		...inputOutputPaths(values),
		envelope: values.envelope,
		threshold: optionalPositiveInt(values.threshold, '--threshold'),
		verify: !values['no-verify'],
	};
	return { request, values };
}

export const command: Command = {
	summary: 'encrypt a file for an allowlist or an owner (Seal, or envelope for large files)',
	usage: USAGE,
	async run(args, io) {
		const { request, values } = usageErrors(() => parseEncryptArgs(args));
		checkInputFile(request.input, '--in');
		checkOutputFile(request.output, '--out');
		const size = (await stat(request.input)).size;
		const envelope = request.envelope ?? size > MAX_DIRECT_SEAL_BYTES;
		const ctx = suiContext(io, values);
		const { originalId } = await resolvePolicyPackage(ctx.config, ctx.deploymentsDir);
		const servers = ctx.config.seal.servers;
		const threshold = resolveThreshold(servers, request.threshold ?? ctx.config.seal.threshold);
		const sealClient = createSealClient({
			suiClient: ctx.client,
			servers,
			verifyKeyServers: request.verify,
		});
		io.logger.info(
			`encrypting ${request.input} (${size} bytes) for ${describeTarget(request.target)}, ${threshold}-of-${servers.length} key servers${envelope ? ', envelope' : ''}`,
		);
		let innerIdHex: string;
		let written: number;
		if (envelope) {
			const { innerId, stream } = encryptForTargetEnvelope(createReadStream(request.input), {
				sealClient,
				packageId: originalId,
				target: request.target,
				threshold,
			});
			innerIdHex = toHex(innerId);
			written = await writeFileAtomic(request.output, stream);
		} else {
			const sealed = await sealEncrypt({
				sealClient,
				packageId: originalId,
				target: request.target,
				threshold,
				data: await readFile(request.input),
			});
			innerIdHex = sealed.innerIdHex;
			written = await writeFileAtomic(request.output, sealed.blob);
		}
		const result = {
			output: request.output,
			bytes: written,
			format: envelope ? 'seal-envelope' : 'seal-object',
			policy: request.target.policy,
			innerId: `0x${innerIdHex}`,
			packageId: originalId,
			threshold,
			servers: servers.map((s) => s.objectId),
		};
		io.result(result, `wrote ${request.output} (${written} bytes, identity 0x${innerIdHex})`);
		return 0;
	},
};

function describeTarget(target: EncryptTarget): string {
	return target.policy === 'allowlist'
		? `members of ${target.allowlistId}`
		: `owner ${target.owner}`;
}
