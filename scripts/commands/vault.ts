/**
 * `seal-policies vault init|put|get|import|export|rotate|reseal|stats`: a records vault in a SQLite
 * file (`--db`) or PostgreSQL (`--postgres URL --vault-id HEX`). Epoch keys are sealed with the
 * configured key servers; records never leave this process unencrypted except into `--out` files
 * (mode 0600, written whole or not at all).
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Pool } from 'pg';
import type { CliIo, Command } from '../cli-io.js';
import {
	checkInputFile,
	checkOutputFile,
	parseCommandArgs,
	parsePositiveInt,
	requiredPath,
	samePath,
	usageErrors,
} from '../args.js';
import { SUI_OPTIONS, suiContext, type SuiContext } from '../sui-context.js';
import { writeFileAtomic } from '../../ts/atomic-file.js';
import { InvalidInputError } from '../../ts/errors.js';
import { VaultDatabaseError } from '../../ts/vault/errors.js';
import { fromHex, normalizeObjectId } from '../../ts/identity.js';
import type { Logger } from '../../ts/logger.js';
import { readAllowlist } from '../../ts/policies/allowlist.js';
import { createSealClient, resolveThreshold } from '../../ts/seal/client.js';
import { approveTxBuilder } from '../../ts/seal/decrypt.js';
import { resolvePolicyPackage } from '../../ts/seal/packages.js';
import {
	createSessionKey,
	DEFAULT_SESSION_TTL_MIN,
	SessionKeyRenewer,
} from '../../ts/seal/session.js';
import { parsePin } from '../../ts/vault/epoch-chain.js';
import { openPostgresStorage } from '../../ts/vault/postgres-storage.js';
import { exportRecordLines, importRecordsFile } from '../../ts/vault/records-file.js';
import { checkNewRecordId } from '../../ts/vault/record-id.js';
import { checkRecordSize } from '../../ts/vault/record-size.js';
import { openSqliteStorage } from '../../ts/vault/sqlite-storage.js';
import type { VaultStorage } from '../../ts/vault/storage.js';
import {
	Vault,
	vaultStats,
	type MembershipSource,
	type VaultSealOptions,
	type VaultStats,
} from '../../ts/vault/vault.js';

const USAGE = `usage: seal-policies vault <init|put|get|import|export|rotate|reseal|stats> [options]

A records vault: many small records under one allowlist or owner, one Seal-sealed key per epoch.

  vault init --allowlist ID | --owner ADDR [--threshold N]   create the vault (epoch 0); prints
                                                             its pin
  vault put ID (--in FILE | --value TEXT)                    store (or replace) one record
  vault get ID --out FILE                                    decrypt one record into FILE
  vault import FILE                                          JSON lines {"id","data":base64}; a
                                                             re-run skips ids already stored
  vault export --out FILE                                    every record as JSON lines
  vault rotate [--if-members-removed]                        new epoch for later writes; prints
                                                             the new pin
  vault reseal [--epochs N,N…]                               re-encrypt every record (default)
                                                             or those of N… under a new epoch and
                                                             retire the old ones; a re-run after
                                                             a crash finishes the same reseal
  vault stats                                                records, epochs, servers (no keys)

every command but init and stats checks the vault against its pin (one of):
  --pin EPOCH:HASH           printed by init, rotate and reseal: keep the newest outside the
                             database (a database writer cannot forge epochs up to it)
  --trust-first-use          accept the database's epoch 0 and metadata as they are

storage (one of):
  --db FILE                  SQLite vault file (created by init)
  --postgres URL --vault-id HEX   PostgreSQL (init prints the vault id)
options:
  --ttl MIN                  session-key lifetime, 1..30 minutes (default ${DEFAULT_SESSION_TTL_MIN})
  --auto-rotate              (allowlist vaults) rotate first if a member was removed since the
                             current epoch began
  --no-verify                skip the key servers' proof-of-possession check
  --network N, --config FILE, --transport grpc|jsonrpc, --deployments-dir DIR, --json`;

const OPTIONS = {
	...SUI_OPTIONS,
	db: { type: 'string' },
	postgres: { type: 'string' },
	'vault-id': { type: 'string' },
	allowlist: { type: 'string' },
	owner: { type: 'string' },
	threshold: { type: 'string' },
	in: { type: 'string' },
	value: { type: 'string' },
	out: { type: 'string' },
	ttl: { type: 'string' },
	pin: { type: 'string' },
	'trust-first-use': { type: 'boolean' },
	epochs: { type: 'string' },
	'if-members-removed': { type: 'boolean' },
	'auto-rotate': { type: 'boolean' },
	'no-verify': { type: 'boolean' },
} as const;

const SUBCOMMANDS = [
	'init',
	'put',
	'get',
	'import',
	'export',
	'rotate',
	'reseal',
	'stats',
] as const;
export type VaultSubcommand = (typeof SUBCOMMANDS)[number];

/** Every mistake in the command line is a UsageError (exit 2), found before config or network. */
export function parseVaultArgs(args: string[]) {
	return usageErrors(() => checkVaultArgs(args));
}

function checkVaultArgs(args: string[]) {
	const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
	const [sub, ...rest] = positionals;
	if (!SUBCOMMANDS.includes(sub as VaultSubcommand)) {
		throw new InvalidInputError(
			'subcommand',
			`${sub === undefined ? 'missing' : `unknown '${sub}'`}: expected one of ${SUBCOMMANDS.join('|')}\n${USAGE}`,
		);
	}
	if ((values.db === undefined) === (values.postgres === undefined)) {
		throw new InvalidInputError('--db/--postgres', 'give exactly one storage');
	}
	if (values.postgres !== undefined) checkPostgresUrl(values.postgres);
	if (values.postgres !== undefined && sub !== 'init' && values['vault-id'] === undefined) {
		throw new InvalidInputError('--vault-id', 'is required with --postgres (init prints it)');
	}
	if (values['vault-id'] !== undefined && !/^(0x)?[0-9a-fA-F]{32}$/.test(values['vault-id'])) {
		throw new InvalidInputError('--vault-id', 'expected the 32 hex digits `vault init` printed');
	}
	if (values.db !== undefined) {
		const db = statSync(values.db, { throwIfNoEntry: false });
		if (db?.isDirectory()) {
			throw new InvalidInputError('--db', `${values.db} is a directory, not a vault file`);
		}
		if (sub === 'init' && db !== undefined) {
			throw new InvalidInputError(
				'--db',
				`${values.db} already exists; vault init creates a new file (open it with the other subcommands)`,
			);
		}
	}
	const want = sub === 'put' || sub === 'get' ? 1 : sub === 'import' ? 1 : 0;
	if (rest.length !== want) {
		throw new InvalidInputError(
			'arguments',
			`vault ${sub} takes ${want === 0 ? 'no' : want} positional argument${want === 1 ? '' : 's'}\n${USAGE}`,
		);
	}
	if (sub === 'put' || sub === 'get') checkNewRecordId(rest[0]!, 'ID');
	if (sub === 'init') {
		if ((values.allowlist === undefined) === (values.owner === undefined)) {
			throw new InvalidInputError('--allowlist/--owner', 'vault init needs exactly one target');
		}
		if (values.allowlist !== undefined) normalizeObjectId(values.allowlist, '--allowlist');
		if (values.owner !== undefined) normalizeObjectId(values.owner, '--owner');
		if (values.threshold !== undefined) parsePositiveInt(values.threshold, '--threshold');
	}
	if (sub === 'put') {
		if ((values.in === undefined) === (values.value === undefined)) {
			throw new InvalidInputError('--in/--value', 'vault put needs exactly one of them');
		}
		if (values.in !== undefined) {
			checkInputFile(values.in, '--in');
			checkRecordSize(statSync(values.in).size, '--in');
		} else {
			checkRecordSize(Buffer.byteLength(values.value ?? '', 'utf8'), '--value');
		}
	}
	if (sub === 'import') checkInputFile(rest[0]!, 'FILE');
	if (sub === 'get' || sub === 'export') {
		const out = requiredPath(values.out, '--out');
		for (const input of [values.db, values.in, rest[0]]) {
			if (input !== undefined && samePath(input, out)) {
				throw new InvalidInputError('--out', `would overwrite ${input}`);
			}
		}
		checkOutputFile(out, '--out');
	}
	const ttlMin =
		values.ttl === undefined ? DEFAULT_SESSION_TTL_MIN : parsePositiveInt(values.ttl, '--ttl');
	if (ttlMin > 30) throw new InvalidInputError('--ttl', 'at most 30 minutes');
	const pinned = sub !== 'init' && sub !== 'stats';
	if (pinned && (values.pin === undefined) === !values['trust-first-use']) {
		throw new InvalidInputError(
			'--pin/--trust-first-use',
			values.pin === undefined
				? `vault ${sub} needs the vault's pin (--pin EPOCH:HASH, printed by init, rotate and reseal) or --trust-first-use`
				: 'give one of them, not both',
		);
	}
	if (!pinned && (values.pin !== undefined || values['trust-first-use'])) {
		throw new InvalidInputError('--pin', `vault ${sub} does not check a pin`);
	}
	const pin = values.pin === undefined ? undefined : parsePin(values.pin, '--pin');
	if (values.epochs !== undefined && sub !== 'reseal') {
		throw new InvalidInputError('--epochs', 'only vault reseal takes --epochs');
	}
	const epochs =
		values.epochs === undefined
			? undefined
			: values.epochs.split(',').map((e) => parseEpoch(e.trim()));
	return { sub: sub as VaultSubcommand, arg: rest[0], values, ttlMin, pin, epochs };
}

function parseEpoch(text: string): number {
	if (!/^(0|[1-9][0-9]{0,9})$/.test(text) || Number(text) > 0xffffffff) {
		throw new InvalidInputError('--epochs', `'${text}' is not an epoch number (0, 1, 2…)`);
	}
	return Number(text);
}

/** `--postgres` must be a `postgres://` or `postgresql://` URL (else pg reads it as a host name). */
function checkPostgresUrl(value: string): void {
	let url: URL | undefined;
	try {
		url = new URL(value);
	} catch {
		url = undefined;
	}
	if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
		throw new InvalidInputError(
			'--postgres',
			'expected a URL like postgres://user@host:5432/database',
		);
	}
}

/** The `--postgres` URL without its password, for messages. */
export function redactedPostgresUrl(value: string): string {
	const url = new URL(value);
	if (url.password !== '') url.password = '***';
	return url.toString();
}

export type VaultArgs = ReturnType<typeof parseVaultArgs>;

export const command: Command = {
	summary: 'records vault: many records under one policy, one sealed key per epoch',
	usage: USAGE,
	async run(args, io) {
		const parsed = parseVaultArgs(args);
		quietSqliteWarning();
		return runVault(parsed, suiContext(io, parsed.values), io);
	},
};

/**
 * `node:sqlite` prints an ExperimentalWarning on load (Node 22); it says nothing about the vault
 * and would clutter every command's stderr. Other warnings pass through.
 */
function quietSqliteWarning(): void {
	const emit = process.emitWarning.bind(process);
	process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
		const text = typeof warning === 'string' ? warning : warning.message;
		if (text.startsWith('SQLite is an experimental feature')) return;
		(emit as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
	}) as typeof process.emitWarning;
}

/** Logs `label: N[/total]` at most once a second, and once at the end. */
function progress(logger: Logger, label: string, total?: number) {
	let last = 0;
	return (done: number, final = false) => {
		const now = Date.now();
		if (!final && now - last < 1000) return;
		last = now;
		logger.info(`${label}: ${done}${total === undefined ? '' : `/${total}`}`);
	};
}

/** The command after parsing (tests call it with an offline context). */
export async function runVault(parsed: VaultArgs, ctx: SuiContext, io: CliIo): Promise<number> {
	const { sub, arg, values } = parsed;
	let pool: Pool | undefined;
	const storage = async (mode: 'create' | 'open'): Promise<VaultStorage> => {
		if (values.db !== undefined) return openSqliteStorage({ path: values.db, mode });
		// Loaded only here: `--help` and SQLite vaults never pay for it.
		const { default: pg } = await import('pg');
		pool = new pg.Pool({ connectionString: values.postgres });
		try {
			return await openPostgresStorage({
				pool,
				mode,
				...(mode === 'open' ? { vaultId: fromHex(values['vault-id'] ?? '', '--vault-id') } : {}),
			});
		} catch (error) {
			// Name the database as the user gave it (never as a key server or full node).
			if (error instanceof VaultDatabaseError && error.problem === 'unavailable') {
				throw new VaultDatabaseError(
					'unavailable',
					`--postgres ${redactedPostgresUrl(values.postgres ?? '')}: ${error.message}`,
					{ cause: error },
				);
			}
			throw error;
		}
	};

	// An existing vault names its own package; stats needs neither Seal nor a package.
	let opened: VaultStorage | undefined;
	let originalId: string;
	let latestId: string;
	try {
		if (sub !== 'init') {
			opened = await storage('open');
			const meta = await opened.readMeta();
			if (sub === 'stats') {
				const stats = await vaultStats(opened, meta);
				await opened.close();
				await pool?.end();
				io.result(stats, statsText(stats));
				return 0;
			}
			originalId = meta.packageId;
			latestId = await latestPackageOf(ctx, originalId);
		} else {
			({ originalId, latestId } = await resolvePolicyPackage(ctx.config, ctx.deploymentsDir));
		}
	} catch (error) {
		await opened?.close();
		await pool?.end();
		throw error;
	}
	let vault: Vault | undefined;
	try {
		const servers = ctx.config.seal.servers;
		const sealClient = createSealClient({
			suiClient: ctx.client,
			servers,
			verifyKeyServers: !values['no-verify'],
		});
		// Created on first use: init and stats never ask for keys (rotate does: only a holder of
		// the current epoch's key can commit to the next one).
		const session = new SessionKeyRenewer({
			create: async () =>
				createSessionKey({
					suiClient: ctx.client,
					signer: await ctx.signer(),
					packageId: originalId,
					ttlMin: parsed.ttlMin,
				}),
		});
		const seal: VaultSealOptions = {
			sealClient,
			session,
			buildTxBytes: approveTxBuilder({ packageId: latestId, client: ctx.client }),
			logger: io.logger,
		};
		const membershipOf = (allowlistId: string): MembershipSource => ({
			members: async () =>
				(await readAllowlist({ client: ctx.client, allowlistId, eventLimit: 0 })).members,
		});

		if (sub === 'init') {
			const target =
				values.allowlist !== undefined
					? { policy: 'allowlist' as const, allowlistId: values.allowlist }
					: { policy: 'owner' as const, owner: values.owner ?? '' };
			const threshold = resolveThreshold(
				servers,
				values.threshold === undefined
					? ctx.config.seal.threshold
					: parsePositiveInt(values.threshold, '--threshold'),
			);
			vault = await Vault.create({
				...seal,
				storage: await storage('create'),
				target,
				packageId: originalId,
				threshold,
				...(target.policy === 'allowlist' ? { membership: membershipOf(target.allowlistId) } : {}),
			});
			const stats = await vault.stats();
			io.result(
				{
					vaultId: stats.vaultId,
					policy: stats.policy,
					target: stats.target,
					epoch: 0,
					threshold,
					pin: vault.pin,
				},
				`vault ${stats.vaultId} created for ${stats.policy} ${stats.target} (${threshold}-of-${stats.servers.length} key servers, epoch 0)\npin: ${vault.pin}\nkeep the pin outside the database and pass it as --pin`,
			);
			return 0;
		}

		if (opened === undefined) throw new Error('unreachable: storage not opened');
		const meta = await opened.readMeta();
		const membership = meta.policy === 'allowlist' ? membershipOf(meta.target) : undefined;
		vault = await Vault.open({
			...seal,
			storage: opened,
			...(membership ? { membership } : {}),
			...(values['auto-rotate'] ? { autoRotate: true } : {}),
			...(parsed.pin ? { pin: parsed.pin } : { trustFirstUse: true }),
		});

		switch (sub) {
			case 'put': {
				const data =
					values.in !== undefined
						? new Uint8Array(await readFile(values.in))
						: new Uint8Array(Buffer.from(values.value ?? '', 'utf8'));
				const { epoch } = await vault.putMany([{ id: arg ?? '', data }]);
				data.fill(0);
				io.result({ id: arg, epoch, bytes: data.length }, `stored '${arg}' (epoch ${epoch})`);
				return 0;
			}
			case 'get': {
				const data = await vault.get(arg ?? '');
				if (data === undefined)
					throw new InvalidInputError('ID', `no record '${arg}' in the vault`);
				const bytes = await writeFileAtomic(values.out ?? '', data, 0o600);
				data.fill(0);
				io.result(
					{ id: arg, out: values.out, bytes },
					`'${arg}' -> ${values.out} (${bytes} bytes)`,
				);
				return 0;
			}
			case 'import': {
				const report = progress(io.logger, 'imported');
				const result = await importRecordsFile(vault, arg ?? '', {
					onProgress: ({ done }) => report(done),
				});
				report(result.total, true);
				io.result(
					result,
					`imported ${result.imported} record(s), ${result.skipped} already stored, ${result.total} in the file`,
				);
				return 0;
			}
			case 'export': {
				const total = (await vault.stats()).records;
				const report = progress(io.logger, 'exported', total);
				let done = 0;
				const bytes = await writeFileAtomic(
					values.out ?? '',
					exportRecordLines(vault, {
						onProgress: (n) => {
							done = n;
							report(n);
						},
					}),
					0o600,
				);
				report(done, true);
				io.result(
					{ out: values.out, records: done, bytes },
					`${done} record(s) -> ${values.out} (${bytes} bytes)`,
				);
				return 0;
			}
			case 'rotate': {
				if (values['if-members-removed']) {
					if (membership === undefined) {
						throw new InvalidInputError(
							'--if-members-removed',
							'only allowlist vaults have members',
						);
					}
					const rotated = await vault.rotateIfMembershipShrank();
					const pin = await vault.verify();
					const epoch = (await vault.stats()).currentEpoch;
					io.result(
						{ rotated, epoch, pin },
						rotated
							? `members were removed: epoch ${epoch} started\npin: ${pin}`
							: `no member removed; epoch ${epoch} stays\npin: ${pin}`,
					);
					return 0;
				}
				const epoch = await vault.rotate();
				io.result(
					{ rotated: true, epoch, pin: vault.pin },
					`epoch ${epoch} started\npin: ${vault.pin}`,
				);
				return 0;
			}
			case 'reseal': {
				const report = progress(io.logger, 'resealed');
				const result = await vault.reseal({
					...(parsed.epochs ? { epochs: parsed.epochs } : {}),
					onProgress: (moved) => report(moved),
				});
				report(result.moved, true);
				io.result(
					{ ...result, pin: vault.pin },
					`${result.moved} record(s) resealed into epoch ${result.epoch}; retired epoch(s): ${result.retired.join(', ') || 'none'}; current epoch ${result.current}\npin: ${vault.pin}`,
				);
				return 0;
			}
		}
		return 1;
	} finally {
		if (vault) await vault.close();
		else await opened?.close();
		await pool?.end();
	}
}

/** The latest id of the vault's package from the deployment record, else the package itself. */
async function latestPackageOf(ctx: SuiContext, originalId: string): Promise<string> {
	try {
		const ids = await resolvePolicyPackage(ctx.config, ctx.deploymentsDir);
		return ids.originalId === originalId ? ids.latestId : originalId;
	} catch {
		return originalId;
	}
}

function statsText(stats: VaultStats): string {
	return [
		`vault ${stats.vaultId}: ${stats.policy} ${stats.target}`,
		`${stats.records} record(s), ${stats.ciphertextBytes} ciphertext bytes, current epoch ${stats.currentEpoch}`,
		`${stats.threshold}-of-${stats.servers.length} key servers: ${stats.servers.join(', ')}`,
		...stats.epochs.map(
			(e) => `  epoch ${e.epoch}: ${e.records} record(s), ${e.encryptions} encryption(s)`,
		),
	].join('\n');
}
