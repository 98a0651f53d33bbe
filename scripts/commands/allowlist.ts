import type { CliIo, Command } from '../cli-io.js';
import { readDeployment, recordAllowlist, type DeploymentRecord } from '../../ts/chain/deployments.js';
import { InvalidInputError } from '../../ts/errors.js';
import { normalizeObjectId } from '../../ts/identity.js';
import {
	addMember,
	checkAllowlistName,
	createAllowlist,
	migrateAllowlist,
	readAllowlist,
	removeMember,
	type AllowlistState,
} from '../../ts/policies/allowlist.js';
import { parseCommandArgs, usageErrors } from '../args.js';
import { SUI_OPTIONS, suiContext, type SuiContext } from '../sui-context.js';

const USAGE = `usage: seal-policies allowlist <subcommand> [options]

  create NAME                 create a namespace allowlist (you become its first member)
  add ALLOWLIST ADDRESS       add a member
  remove ALLOWLIST ADDRESS    remove a member
  migrate ALLOWLIST           bump the allowlist to the package's version after an upgrade
  show ALLOWLIST              name, version, members and recent membership events

ALLOWLIST and ADDRESS are 0x followed by 64 hex digits.

options:
  --cap ID               AllowlistCap to use (default: the one recorded when it was created)
  --package ID           package to call (default: latest id in deployments/<network>.json,
                         else SEAL_POLICY_PACKAGE)
  --events N             show: how many recent events (default 20; 0 = none)
  --network N, --config FILE, --transport grpc|jsonrpc, --deployments-dir DIR`;

type Subcommand = 'create' | 'add' | 'remove' | 'migrate' | 'show';

/** Positional arguments of each subcommand, in order (names as in the usage text). */
const POSITIONALS: Record<Subcommand, readonly string[]> = {
	create: ['NAME'],
	add: ['ALLOWLIST', 'ADDRESS'],
	remove: ['ALLOWLIST', 'ADDRESS'],
	migrate: ['ALLOWLIST'],
	show: ['ALLOWLIST'],
};

/** A validated command line: everything checked before any config, key or network is touched. */
export type AllowlistRequest =
	| { subcommand: 'create'; name: string; packageId: string | undefined }
	| {
			subcommand: 'add' | 'remove';
			allowlistId: string;
			member: string;
			capId: string | undefined;
			packageId: string | undefined;
	  }
	| {
			subcommand: 'migrate';
			allowlistId: string;
			capId: string | undefined;
			packageId: string | undefined;
	  }
	| { subcommand: 'show'; allowlistId: string; eventLimit: number };

const OPTIONS = {
	...SUI_OPTIONS,
	cap: { type: 'string' },
	package: { type: 'string' },
	events: { type: 'string' },
} as const;

/** Parses and validates `allowlist` arguments (typed errors say the expected form). */
export function parseAllowlistArgs(args: string[]) {
	const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
	const [name, ...rest] = positionals;
	if (name === undefined) throw new InvalidInputError('subcommand', `missing\n${USAGE}`);
	if (!(name in POSITIONALS)) {
		throw new InvalidInputError(
			'subcommand',
			`unknown '${name}'; expected create, add, remove, migrate or show`,
		);
	}
	const subcommand = name as Subcommand;
	const expected = POSITIONALS[subcommand];
	if (rest.length !== expected.length) {
		throw new InvalidInputError(
			'arguments',
			`allowlist ${subcommand} takes ${expected.join(' ')}, got ${rest.length} argument(s)`,
		);
	}
	const capId = values.cap === undefined ? undefined : normalizeObjectId(values.cap, '--cap');
	const packageId =
		values.package === undefined ? undefined : normalizeObjectId(values.package, '--package');
	if (subcommand !== 'show' && values.events !== undefined) {
		throw new InvalidInputError('--events', 'only applies to `allowlist show`');
	}
	if ((subcommand === 'create' || subcommand === 'show') && capId !== undefined) {
		throw new InvalidInputError('--cap', `does not apply to \`allowlist ${subcommand}\``);
	}
	let request: AllowlistRequest;
	switch (subcommand) {
		case 'create':
			request = { subcommand, name: checkAllowlistName(rest[0] ?? '', 'NAME'), packageId };
			break;
		case 'add':
		case 'remove':
			request = {
				subcommand,
				allowlistId: normalizeObjectId(rest[0] ?? '', 'ALLOWLIST'),
				member: normalizeObjectId(rest[1] ?? '', 'ADDRESS'),
				capId,
				packageId,
			};
			break;
		case 'migrate':
			request = {
				subcommand,
				allowlistId: normalizeObjectId(rest[0] ?? '', 'ALLOWLIST'),
				capId,
				packageId,
			};
			break;
		case 'show':
			request = {
				subcommand,
				allowlistId: normalizeObjectId(rest[0] ?? '', 'ALLOWLIST'),
				eventLimit: parseEventLimit(values.events),
			};
			break;
	}
	return { request, values };
}

export const command: Command = {
	summary: 'create, change, migrate and show namespace allowlists',
	usage: USAGE,
	async run(args, io) {
		const { request, values } = usageErrors(() => parseAllowlistArgs(args));
		const context = suiContext(io, values);
		const record = await readDeployment(context.deploymentsDir, context.config.network);
		switch (request.subcommand) {
			case 'show':
				return show(context, io, request);
			case 'create':
				return create(context, io, record, request);
			default:
				return change(context, io, record, request);
		}
	},
};

async function show(
	context: SuiContext,
	io: CliIo,
	request: Extract<AllowlistRequest, { subcommand: 'show' }>,
): Promise<number> {
	const state = await readAllowlist({
		client: context.client,
		allowlistId: request.allowlistId,
		eventLimit: request.eventLimit,
	});
	io.result(state, describe(state));
	return 0;
}

async function create(
	context: SuiContext,
	io: CliIo,
	record: DeploymentRecord | undefined,
	request: Extract<AllowlistRequest, { subcommand: 'create' }>,
): Promise<number> {
	const network = context.config.network;
	const packageId = callPackage(context, record, request.packageId);
	const signer = await context.signer();
	io.logger.info(`creating allowlist '${request.name}' with package ${packageId} on ${network}`);
	const created = await createAllowlist({
		client: context.client,
		signer,
		packageId,
		name: request.name,
		logger: io.logger,
		policyPackageIds: policyPackageIds(record, packageId),
	});
	if (record && [record.latestPackageId, record.originalPackageId].includes(packageId)) {
		await recordAllowlist(context.deploymentsDir, network, {
			id: created.allowlistId,
			capId: created.capId,
			name: request.name,
			digest: created.digest,
			createdAt: new Date().toISOString(),
		});
	} else {
		io.logger.warn(
			`not recorded in ${context.deploymentsDir}: package ${packageId} is not the recorded ` +
				`deployment; keep the cap id ${created.capId} (pass it as --cap)`,
		);
	}
	io.result(
		{ ...created, name: request.name, packageId, network },
		`created allowlist ${created.allowlistId}\n  cap ${created.capId}\n  tx  ${created.digest}`,
	);
	return 0;
}

async function change(
	context: SuiContext,
	io: CliIo,
	record: DeploymentRecord | undefined,
	request: Extract<AllowlistRequest, { subcommand: 'add' | 'remove' | 'migrate' }>,
): Promise<number> {
	const packageId = callPackage(context, record, request.packageId);
	// Resolve the cap before loading the key: a missing cap is a usage error.
	const capId = request.capId ?? recordedCap(record, request.allowlistId, context.config.network);
	const signer = await context.signer();
	const target = {
		client: context.client,
		signer,
		packageId,
		allowlistId: request.allowlistId,
		capId,
		logger: io.logger,
		policyPackageIds: policyPackageIds(record, packageId),
	};
	if (request.subcommand === 'migrate') {
		const { digest } = await migrateAllowlist(target);
		io.result(
			{ allowlistId: request.allowlistId, digest },
			`migrated ${request.allowlistId} (tx ${digest})`,
		);
		return 0;
	}
	const adding = request.subcommand === 'add';
	io.logger.info(
		`${request.subcommand} ${request.member} ${adding ? 'to' : 'from'} ${request.allowlistId}`,
	);
	const { digest } = await (adding ? addMember : removeMember)({
		...target,
		member: request.member,
	});
	io.result(
		{
			allowlistId: request.allowlistId,
			member: request.member,
			action: request.subcommand,
			digest,
		},
		`${adding ? 'added' : 'removed'} ${request.member} (tx ${digest})`,
	);
	return 0;
}

/** Every id of our package a node may name in an abort: the one called and all recorded ones. */
function policyPackageIds(record: DeploymentRecord | undefined, called: string): string[] {
	if (!record) return [called];
	return [
		called,
		record.originalPackageId,
		...record.upgrades.map((u) => u.packageId),
		record.latestPackageId,
	];
}

/** The package to call: --package, else the recorded latest id, else the configured package. */
function callPackage(
	context: SuiContext,
	record: DeploymentRecord | undefined,
	explicit: string | undefined,
): string {
	const packageId = explicit ?? record?.latestPackageId ?? context.config.seal.policyPackage;
	if (packageId === undefined) {
		throw new InvalidInputError(
			'--package',
			`no seal_policies package known for ${context.config.network}: run \`seal-policies publish\`, ` +
				'pass --package, or set SEAL_POLICY_PACKAGE',
		);
	}
	return packageId;
}

function recordedCap(
	record: DeploymentRecord | undefined,
	allowlistId: string,
	network: string,
): string {
	const entry = record?.allowlists.find((a) => a.id === allowlistId);
	if (!entry) {
		throw new InvalidInputError(
			'--cap',
			`no cap recorded for allowlist ${allowlistId} in deployments/${network}.json; pass --cap 0x…`,
		);
	}
	return entry.capId;
}

function parseEventLimit(value: string | undefined): number {
	if (value === undefined) return 20;
	if (!/^\d{1,4}$/.test(value))
		throw new InvalidInputError('--events', 'expected an integer from 0 to 9999');
	return Number(value);
}

function describe(state: AllowlistState): string {
	const lines = [
		`allowlist ${state.id} '${state.name}'`,
		`  package  ${state.packageId}`,
		`  version  ${state.version}`,
		`  members  ${state.memberCount}`,
		...state.members.map((member) => `    ${member}`),
	];
	if (state.recentEvents === undefined) {
		lines.push(`  events   unavailable (${state.eventsUnavailable ?? 'unknown reason'})`);
	} else {
		lines.push(`  recent events (newest first)`);
		for (const event of state.recentEvents) {
			const who =
				event.kind === 'AllowlistCreated'
					? `by ${event.creator}`
					: `${event.member} by ${event.actor}`;
			lines.push(`    ${event.kind.padEnd(16)} ${who} (tx ${event.digest})`);
		}
	}
	return lines.join('\n');
}
