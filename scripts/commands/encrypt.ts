/**
 * `seal-policies encrypt`: encrypt a file for an allowlist (namespace) or an owner address.
 * Small files become one Seal object; `--envelope` (automatic above 1 MiB) streams the data
 * under an AES-256-GCM key and Seal-encrypts only that key.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
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
import { resolvePolicyPackage } from '../../ts/seal/packages.js';
import type { CliIo, Command } from '../cli-io.js';
import { counted, progress, PROGRESS_MIN_BYTES } from '../progress.js';
import { deriveWalletKey, encryptWithWalletKey } from '../../ts/crypto/node/wallet-key.js';
import {
	checkInputFile,
	checkOutputFile,
	inputOutputPaths,
	optionalPositiveInt,
	parseCommandArgs,
	rejectPositionals,
	usageErrors,
} from '../args.js';
import { checkInMemorySize, MAX_IN_MEMORY_BYTES, writeOutputFile } from '../output-file.js';
import { checkStdin, peekInput } from '../stdin-input.js';
import { checkSuiOptions, SUI_OPTIONS, suiContext } from '../sui-context.js';

const USAGE = `usage: seal-policies encrypt (--allowlist ID | --owner ADDRESS | --wallet-key) --in FILE --out FILE [options]

Encrypts FILE so that only members of the allowlist (or only ADDRESS) can decrypt it.

options:
  --allowlist ID         namespace allowlist object id (members may decrypt)
  --owner ADDRESS        only this address may decrypt
  --wallet-key           no Seal: AES-256-GCM under a key derived from the signer's signature
                         (format 0x01; only the same ed25519/secp256k1/secp256r1 key decrypts;
                         no key servers or policy package needed)
  --in FILE, --out FILE  input and output files (the output is written whole or not at all);
                         --in - reads standard input
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
	'wallet-key': { type: 'boolean' },
	in: { type: 'string' },
	out: { type: 'string' },
	envelope: { type: 'boolean' },
	threshold: { type: 'string' },
	nonce: { type: 'string' },
	'no-verify': { type: 'boolean' },
} as const;

export interface EncryptRequest {
	/** A Seal policy, or the signer's wallet key (no Seal). */
	target: EncryptTarget | { policy: 'wallet-key' };
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
	const targets = [values.allowlist, values.owner, values['wallet-key']].filter(
		(value) => value !== undefined,
	);
	if (targets.length !== 1) {
		throw new InvalidInputError('--allowlist/--owner/--wallet-key', 'give exactly one of them');
	}
	if (values['wallet-key']) return { request: walletKeyRequest(values), values };
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

/** `--wallet-key`: Seal-only options make no sense with it. */
function walletKeyRequest(values: ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values']) {
	for (const option of ['envelope', 'threshold', 'nonce', 'no-verify'] as const) {
		if (values[option] !== undefined) {
			throw new InvalidInputError(
				`--${option}`,
				'only applies to Seal encryption, not --wallet-key',
			);
		}
	}
	const request: EncryptRequest = {
		target: { policy: 'wallet-key' },
		...inputOutputPaths(values),
		envelope: false,
		threshold: undefined,
		verify: true,
	};
	return request;
}

export const command: Command = {
	summary: 'encrypt a file for an allowlist or an owner (Seal, or envelope for large files)',
	usage: USAGE,
	async run(args, io) {
		const { request, values } = usageErrors(() => parseEncryptArgs(args));
		checkSuiOptions(values);
		const stdin = io.stdin ?? process.stdin;
		const fromStdin = request.input === '-';
		if (fromStdin) checkStdin(stdin, '--in');
		else checkInputFile(request.input, '--in');
		checkOutputFile(request.output, '--out');
		const inputName = fromStdin ? 'standard input' : request.input;
		if (request.target.policy === 'wallet-key') {
			// Before the signer or any output: the wallet-key format is one in-memory blob.
			const inMemory =
				'--wallet-key encrypts in memory; encrypt it for an --allowlist or --owner instead, which streams it as an envelope';
			let data: Uint8Array;
			if (fromStdin) {
				const peeked = await peekInput(stdin, MAX_IN_MEMORY_BYTES);
				if (!peeked.complete) {
					throw new InvalidInputError('--in', `standard input is larger than 2 GiB; ${inMemory}`);
				}
				data = peeked.head;
			} else {
				await checkInMemorySize(request.input, '--in', inMemory);
				data = await readFile(request.input);
			}
			return encryptWithWallet(request, inputName, data, values, io);
		}
		const target = request.target;
		// Standard input has no size: its first bytes decide between one object and an envelope.
		const peeked = fromStdin ? await peekInput(stdin, MAX_DIRECT_SEAL_BYTES) : undefined;
		const size = peeked
			? peeked.complete
				? peeked.head.length
				: undefined
			: (await stat(request.input)).size;
		const envelope = request.envelope ?? (size === undefined || size > MAX_DIRECT_SEAL_BYTES);
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
			`encrypting ${inputName} (${size ?? 'more than 1 MiB of'} bytes) for ${describeTarget(target)}, ${threshold}-of-${servers.length} key servers${envelope ? ', envelope' : ''}`,
		);
		let innerIdHex: string;
		let written: number;
		if (envelope) {
			const bar = progress({
				label: `encrypting ${inputName}`,
				total: size ?? 0,
				unit: 'bytes',
				// Standard input has no known total: no progress rather than a line per chunk.
				minTotal: size === undefined ? Infinity : PROGRESS_MIN_BYTES,
			});
			const source = peeked ? peeked.stream : createReadStream(request.input);
			const input = Readable.from(counted(source, (n) => bar.advance(n)));
			const { innerId, stream } = encryptForTargetEnvelope(input, {
				sealClient,
				packageId: originalId,
				target,
				threshold,
			});
			innerIdHex = toHex(innerId);
			written = await writeOutputFile(request.output, stream, '--out');
			bar.done();
		} else {
			const sealed = await sealEncrypt({
				sealClient,
				packageId: originalId,
				target,
				threshold,
				data: peeked ? peeked.head : await readFile(request.input),
			});
			innerIdHex = sealed.innerIdHex;
			written = await writeOutputFile(request.output, sealed.blob, '--out');
		}
		const result = {
			output: request.output,
			bytes: written,
			format: envelope ? 'seal-envelope' : 'seal-object',
			policy: target.policy,
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

/**
 * `--wallet-key`: the signer signs a fixed message, the key is derived from the signature
 * (ts/crypto/node/wallet-key.ts) and the file becomes one 0x01 blob. Nothing is sent anywhere.
 */
async function encryptWithWallet(
	request: EncryptRequest,
	inputName: string,
	data: Uint8Array,
	values: { network?: string; config?: string; transport?: string; 'deployments-dir'?: string },
	io: CliIo,
): Promise<number> {
	const signer = await suiContext(io, values).signer();
	const walletKey = await deriveWalletKey(signer);
	try {
		io.logger.info(
			`encrypting ${inputName} (${data.length} bytes) under the wallet key of ${walletKey.address}`,
		);
		const blob = encryptWithWalletKey(walletKey, data);
		const written = await writeOutputFile(request.output, blob, '--out');
		io.result(
			{
				output: request.output,
				bytes: written,
				format: 'wallet-aes',
				address: walletKey.address,
				keyVersion: walletKey.version,
			},
			`wrote ${request.output} (${written} bytes, wallet key of ${walletKey.address})`,
		);
		return 0;
	} finally {
		walletKey.key.fill(0);
	}
}
