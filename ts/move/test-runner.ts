import type { Logger } from '../logger.js';
import type { BuildEnvironment } from './build-env.js';
import { wasmNetwork } from './build.js';
import { compilerFailure } from './diagnostics.js';
import type { MoveToolchainEnv } from './env.js';
import { runSuiMove } from './sui-move.js';
import { parseMoveTestOutput, type MoveTestResult } from './test-output.js';
import { requireMoveToolchain, type MoveToolchainKind } from './toolchain.js';
import { loadWasmBuilder, wasmFailureToError, wasmPackageInputs } from './wasm.js';

export type { MoveTestResult };

export interface MoveTestReport {
	toolchain: MoveToolchainKind;
	tests: MoveTestResult[];
	passed: number;
	failed: number;
}

export interface RunMoveTestsOptions {
	/** Folder of the Move package (the one holding its Move.toml), e.g. `move`. */
	packagePath: string;
	/** The chain whose dependencies the tests build against (`buildEnvironment`). */
	environment: BuildEnvironment;
	/** Read for `SUI_BIN`, `PATH`, `SUI_FRAMEWORK_DIR`, `MOVE_HOME`, `HOME`. */
	env: MoveToolchainEnv;
	logger: Logger;
	/**
	 * Only tests whose qualified name contains this string. The sui CLI runs only those; the WASM
	 * runner has no filter, so it runs all and reports only those.
	 */
	filter?: string;
}

/**
 * Runs the package's Move unit tests with the first available toolchain (`sui move test`, else
 * the WASM test VM with local framework sources) and reports each test. Failing tests are
 * reported, not thrown. Throws `PrerequisiteMissingError` when there is no toolchain and
 * `MoveBuildError` when the package (or its tests) does not compile.
 */
export async function runMoveTests({
	packagePath,
	environment,
	env,
	logger,
	filter,
}: RunMoveTestsOptions): Promise<MoveTestReport> {
	const toolchain = requireMoveToolchain(env);
	let output: string;
	if (toolchain.kind === 'sui-cli') {
		logger.info(`testing ${packagePath} for ${environment.name} with ${toolchain.suiBin}`);
		const result = await runSuiMove({
			suiBin: toolchain.suiBin,
			command: 'test',
			packagePath,
			environment,
			env,
			...(filter ? { filter } : {}),
		});
		output = `${result.stdout}\n${result.stderr}`;
	} else {
		logger.info(
			`testing ${packagePath} with the WASM test VM, framework from ${toolchain.frameworkDir}`,
		);
		const builder = await loadWasmBuilder();
		const result = await builder.testMovePackage({
			...(await wasmPackageInputs(packagePath, toolchain.frameworkDir)),
			network: wasmNetwork(environment),
			ansiColor: false,
		});
		if ('error' in result) throw wasmFailureToError(result, packagePath);
		output = result.output;
	}

	const parsed = parseMoveTestOutput(output);
	if (parsed.summary === undefined) {
		// No test summary: the package did not compile, or the runner broke.
		throw compilerFailure(
			toolchain.kind,
			output,
			packagePath,
			`the Move test runner printed no result: ${output.trim().slice(0, 2000)}`,
		);
	}
	if (parsed.summary.total !== parsed.tests.length) {
		logger.warn(
			`the runner reported ${parsed.summary.total} tests but ${parsed.tests.length} result lines were read`,
		);
	}
	const tests =
		filter && toolchain.kind === 'wasm'
			? parsed.tests.filter((test) => test.name.includes(filter))
			: parsed.tests;
	const passed = tests.filter((test) => test.passed).length;
	return { toolchain: toolchain.kind, tests, passed, failed: tests.length - passed };
}
