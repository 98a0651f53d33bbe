import { normalizeSuiAddress } from '@mysten/sui/utils';

import { MoveToolchainError } from './errors.js';

/** What `sui move build --dump-bytecode-as-base64` prints. */
export interface BuildDump {
	/** Compiled modules, base64. */
	modules: string[];
	/** Package ids it links against, `0x` + 64 hex. */
	dependencies: string[];
	/** Package digest (Blake2b-256). */
	digest: number[];
}

/**
 * Reads the `{ modules, dependencies, digest }` JSON that `sui move build
 * --dump-bytecode-as-base64` prints on stdout: the text from the first `{` to the last `}`,
 * since some builds print log lines around it.
 */
export function parseBuildDump(stdout: string): BuildDump {
	const start = stdout.indexOf('{');
	const end = stdout.lastIndexOf('}');
	let parsed: unknown;
	if (start !== -1 && end > start) {
		try {
			parsed = JSON.parse(stdout.slice(start, end + 1));
		} catch {
			parsed = undefined;
		}
	}
	if (!isDump(parsed)) {
		throw new MoveToolchainError(
			'sui-cli',
			`sui move build --dump-bytecode-as-base64 printed no { modules, dependencies, digest } JSON: ${stdout.trim().slice(0, 500)}`,
		);
	}
	return {
		modules: parsed.modules,
		dependencies: parsed.dependencies.map((id) => normalizePackageId(id, 'sui-cli')),
		digest: parsed.digest,
	};
}

function isDump(value: unknown): value is BuildDump {
	if (typeof value !== 'object' || value === null) return false;
	const { modules, dependencies, digest } = value as Record<string, unknown>;
	return (
		Array.isArray(modules) &&
		modules.length > 0 &&
		modules.every((m) => typeof m === 'string') &&
		Array.isArray(dependencies) &&
		dependencies.every((d) => typeof d === 'string') &&
		Array.isArray(digest) &&
		digest.length === 32 &&
		digest.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
	);
}

/** `0x2` → `0x000…002` (lower case, 64 hex digits). */
export function normalizePackageId(id: string, toolchain: 'sui-cli' | 'wasm'): string {
	if (!/^(0x)?[0-9a-f]{1,64}$/i.test(id.trim())) {
		throw new MoveToolchainError(
			toolchain,
			`the compiler reported a malformed dependency id: ${id}`,
		);
	}
	return normalizeSuiAddress(id.trim());
}
