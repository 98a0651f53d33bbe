/**
 * `seal-policies move build|test` (as `sui move build|test` users expect) and the npm scripts
 * `move:build` / `move:test`: compile the Move package (default move/) or run its unit tests
 * with the first available toolchain (a `sui` binary, else the bundled WASM compiler).
 */
import { UsageError } from '../../ts/errors.js';
import { buildMovePackage } from '../../ts/move/build.js';
import { runMoveTests } from '../../ts/move/test-runner.js';
import { parseCommandArgs, rejectPositionals } from '../args.js';
import type { Command } from '../cli-io.js';
import { buildEnvironmentArg, packagePathArg, type MoveIo } from '../move-script.js';

const ENV_HELP = `--build-env testnet|mainnet (default testnet) builds as \`sui --build-env\` does; for
localnet|devnet also give --chain-id ID (built as testnet, as sui's ephemeral publications are).
--package-path DIR (or --path DIR, as \`sui move\` calls it) names the Move package directory.`;

export const MOVE_BUILD_USAGE = `usage: seal-policies move build [--package-path DIR] [--build-env ENV [--chain-id ID]] [--json] [--verbose]
       npm run move:build [-- --package-path DIR --build-env ENV --chain-id ID --json --verbose]

Compiles the Move package (default: move/) and prints its module count, dependency ids and
digest; with --json, the full build (base64 modules included) on stdout.
${ENV_HELP}`;

export const MOVE_TEST_USAGE = `usage: seal-policies move test [--package-path DIR] [--build-env ENV [--chain-id ID]] [--filter TEXT] [--json] [--verbose]
       npm run move:test [-- --package-path DIR --build-env ENV --chain-id ID --filter TEXT --json --verbose]

Runs the Move unit tests (default package: move/) and prints each result. Exits 1 when a test
fails or none ran (check --filter).
${ENV_HELP}`;

/** `--package-path` as in `publish`; `--path` is `sui move`'s name for the same thing. */
const PATH_OPTIONS = { 'package-path': { type: 'string' }, path: { type: 'string' } } as const;

function packagePathOption(values: {
	'package-path'?: string | undefined;
	path?: string | undefined;
}): string | undefined {
	if (values['package-path'] !== undefined && values.path !== undefined) {
		throw new UsageError('--path', 'is another name for --package-path: give one of them');
	}
	return values['package-path'] ?? values.path;
}

const ENV_OPTIONS = { 'build-env': { type: 'string' }, 'chain-id': { type: 'string' } } as const;

const USAGE = `${MOVE_BUILD_USAGE}\n\n${MOVE_TEST_USAGE}

toolchain: a \`sui\` binary (SUI_BIN or PATH), else the bundled WASM compiler and Move test VM
with Sui framework sources from SUI_FRAMEWORK_DIR or ~/.move.`;

/** What both subcommands print to and read from. */

/** `move build`: returns the exit code. */
export async function moveBuild(args: string[], io: MoveIo): Promise<number> {
	const { values, positionals } = parseCommandArgs(
		args,
		{ ...PATH_OPTIONS, ...ENV_OPTIONS },
		MOVE_BUILD_USAGE,
	);
	rejectPositionals(positionals, MOVE_BUILD_USAGE);
	const packagePath = packagePathArg(packagePathOption(values));
	const environment = buildEnvironmentArg(values);
	const built = await buildMovePackage({
		packagePath,
		environment,
		env: io.env,
		logger: io.logger,
	});
	if (io.json) {
		io.stdout(`${JSON.stringify(built, null, 2)}\n`);
		return 0;
	}
	const digestHex = Buffer.from(built.digest).toString('hex');
	io.stdout(
		[
			`built ${packagePath} for ${environment.name} with ${built.toolchain}`,
			`modules: ${built.modules.length}`,
			`dependencies: ${built.dependencies.join(', ')}`,
			`digest: ${digestHex}`,
		].join('\n') + '\n',
	);
	return 0;
}

/** `move test`: exit 1 when a test fails or none ran. */
export async function moveTest(args: string[], io: MoveIo): Promise<number> {
	const { values, positionals } = parseCommandArgs(
		args,
		{ ...PATH_OPTIONS, filter: { type: 'string' }, ...ENV_OPTIONS },
		MOVE_TEST_USAGE,
	);
	rejectPositionals(positionals, MOVE_TEST_USAGE);
	const packagePath = packagePathArg(packagePathOption(values));
	const environment = buildEnvironmentArg(values);
	const started = performance.now();
	const report = await runMoveTests({
		packagePath,
		environment,
		env: io.env,
		logger: io.logger,
		...(values.filter === undefined ? {} : { filter: values.filter }),
	});
	const seconds = ((performance.now() - started) / 1000).toFixed(1);
	if (io.json) {
		io.stdout(`${JSON.stringify(report, null, 2)}\n`);
	} else {
		for (const test of report.tests) {
			io.stdout(`${test.passed ? 'PASS' : 'FAIL'}  ${test.name}\n`);
			if (!test.passed && test.message) io.stdout(`${test.message.replace(/^/gm, '      ')}\n`);
		}
		io.stdout(
			`${report.passed} passed, ${report.failed} failed (${report.toolchain}, ${seconds} s)\n`,
		);
	}
	if (report.tests.length === 0) {
		io.logger.warn('no Move tests ran (check --filter)');
		return 1;
	}
	return report.failed === 0 ? 0 : 1;
}

export const command: Command = {
	summary: 'build | test: compile the Move package or run its unit tests (as `sui move`)',
	usage: USAGE,
	usageFor: (subcommand) =>
		subcommand === 'build' ? MOVE_BUILD_USAGE : subcommand === 'test' ? MOVE_TEST_USAGE : undefined,
	async run(args, io) {
		const [sub, ...rest] = args;
		const moveIo: MoveIo = {
			json: io.json,
			logger: io.logger,
			env: io.env,
			stdout: (text) => process.stdout.write(text),
		};
		if (sub === 'build') return moveBuild(rest, moveIo);
		if (sub === 'test') return moveTest(rest, moveIo);
		throw new UsageError('subcommand', `expected 'build' or 'test', got '${sub ?? ''}'`);
	},
};
