import path from 'node:path';

import type {
	MovePackageFailure,
	MovePackageFetcher,
	MovePackageFetchLocalContext,
} from '@zktx.io/sui-move-builder/full';

import { MoveBuildError, MoveToolchainError } from './errors.js';
import { parseMoveDiagnostics } from './diagnostics.js';
import { FRAMEWORK_PACKAGES, type FrameworkPackage } from './framework.js';
import { readMovePackageFiles } from './package-files.js';
import { ephemeralPubsStatus, type PublicationRecord } from './publication-file.js';
import type { BuildEnvironment } from './build-env.js';

export type WasmBuilder = typeof import('@zktx.io/sui-move-builder/full');

/** Loads and initialises the WASM Sui compiler and test VM (the "full" entry: 8 MB, ~1 s). */
export async function loadWasmBuilder(): Promise<WasmBuilder> {
	const builder = await import('@zktx.io/sui-move-builder/full');
	try {
		await builder.initMovePackageBuilder();
	} catch (error) {
		throw new MoveToolchainError(
			'wasm',
			`could not load the WASM Move compiler: ${String(error)}`,
			{
				cause: error,
			},
		);
	}
	return builder;
}

/**
 * Publications of an ephemeral chain that replace the recorded ones of dependencies, by absolute
 * package path, and the build environment they are recorded under.
 */
export interface PublishOverrides {
	readonly buildEnv: string;
	readonly byPath: ReadonlyMap<string, PublicationRecord>;
}

/** The package's files and an offline fetcher: what a WASM build and a WASM test run take. */
export async function wasmPackageInputs(
	packagePath: string,
	frameworkDir: string,
	overrides?: PublishOverrides,
): Promise<{ files: Record<string, string>; fetcher: MovePackageFetcher }> {
	return {
		files: await readMovePackageFiles(packagePath),
		fetcher: offlineFetcher({
			frameworkDir,
			packagePath,
			...(overrides === undefined ? {} : { overrides }),
		}),
	};
}

/**
 * The overrides a build for `environment` takes from the Pub.<env>.toml `pubfile`, loaded by the
 * rules `sui move build --pubfile-path` loads it with (move-package-alt root_package.rs
 * `load_ephemeral` / `load_ephemeral_pubfile` @ 0040cc72): a missing file has none; one for
 * another build environment or chain is refused; each `[[published]]` entry then replaces the
 * publication of the package at its `source` (`add_publish_overrides`).
 */
export async function ephemeralOverrides(
	pubfile: string,
	environment: BuildEnvironment,
): Promise<PublishOverrides | undefined> {
	const status = await ephemeralPubsStatus(pubfile, environment);
	switch (status.kind) {
		case 'missing':
			return undefined;
		case 'other-build-env':
			throw new MoveToolchainError(
				'wasm',
				`${pubfile} records build-env "${status.pubs.buildEnv}" but this build is for ` +
					`"${environment.buildEnv}"; sui refuses such a file (EphemeralEnvMismatch)`,
			);
		case 'other-chain':
			throw new MoveToolchainError(
				'wasm',
				`${pubfile} is for chain ${status.pubs.chainId}, not ${environment.chainId}; ` +
					'sui refuses such a file (EphemeralChainMismatch)',
			);
		case 'usable':
			return {
				buildEnv: status.pubs.buildEnv,
				byPath: new Map(status.pubs.published.map((entry) => [path.resolve(entry.source), entry])),
			};
	}
}

/**
 * The Published.toml the WASM builder reads a dependency's addresses from, holding the
 * ephemeral publication for `buildEnv` (the builder takes `[published.<env>]` of a local
 * dependency for its address and linkage, as Sui's package graph does after
 * `add_publish_overrides`).
 */
export function overridePublishedToml(buildEnv: string, publication: PublicationRecord): string {
	return [
		`[published.${buildEnv}]`,
		`chain-id = "${publication.chainId}"`,
		`published-at = "${publication.publishedAt}"`,
		`original-id = "${publication.originalId}"`,
		`version = ${publication.version ?? 1}`,
		'',
	].join('\n');
}

/**
 * A dependency fetcher that never goes online: the Sui framework packages (which the builder
 * adds implicitly as git dependencies on MystenLabs/sui) come from `frameworkDir`; `local`
 * dependencies come from disk relative to the root package. Anything else is refused with a
 * reason, because this build is offline.
 */
export function offlineFetcher({
	frameworkDir,
	packagePath,
	overrides,
}: {
	frameworkDir: string;
	packagePath: string;
	/** Ephemeral publications that replace those recorded by local dependencies. */
	overrides?: PublishOverrides;
}): MovePackageFetcher {
	return {
		async fetch(gitUrl: string, rev: string, subdir?: string) {
			const name = frameworkPackageName(gitUrl, subdir);
			if (name === undefined) {
				throw new Error(
					`offline build: git dependency ${gitUrl}@${rev}${subdir ? `/${subdir}` : ''} cannot be ` +
						'fetched; only the Sui framework (from SUI_FRAMEWORK_DIR or the Sui CLI cache) is ' +
						'available. Use the sui CLI for packages with other git dependencies.',
				);
			}
			return readMovePackageFiles(path.join(frameworkDir, name), {
				includeLock: false,
				includeTests: false,
			});
		},
		async fetchLocal(localPath: string, context: MovePackageFetchLocalContext) {
			const parent = context.parentSource;
			const base =
				parent?.type === 'local' && parent.local
					? path.resolve(packagePath, parent.local)
					: packagePath;
			const dir = path.resolve(base, localPath);
			const files = await readMovePackageFiles(dir, { includeLock: false, includeTests: false });
			const publication = overrides?.byPath.get(dir);
			if (overrides !== undefined && publication !== undefined) {
				files['Published.toml'] = overridePublishedToml(overrides.buildEnv, publication);
			}
			return files;
		},
		async fetchFile() {
			return null;
		},
		getResolvedSha() {
			return undefined;
		},
	};
}

/** `sui-framework` / `move-stdlib` when the git source is that package of MystenLabs/sui. */
function frameworkPackageName(
	gitUrl: string,
	subdir: string | undefined,
): FrameworkPackage | undefined {
	if (!/github\.com[/:]MystenLabs\/sui(\.git)?\/?$/i.test(gitUrl) || subdir === undefined) {
		return undefined;
	}
	const last = subdir.replace(/\/+$/, '').split('/').pop();
	return FRAMEWORK_PACKAGES.find((name) => name === last);
}

/** Turns a builder failure into a typed error: compiler diagnostics, or a toolchain failure. */
export function wasmFailureToError(failure: MovePackageFailure, packagePath: string): Error {
	if (failure.category === 'compile') {
		return new MoveBuildError(
			'wasm',
			parseMoveDiagnostics(failure.error, packagePath),
			failure.error,
		);
	}
	const hint =
		failure.category === 'dependency_resolution'
			? ' Check that SUI_FRAMEWORK_DIR holds sui-framework/ and move-stdlib/ and that the package has no other git dependencies.'
			: '';
	return new MoveToolchainError(
		'wasm',
		`${failure.category ?? 'unknown'} failed: ${failure.error.trim()}${hint}`,
	);
}
