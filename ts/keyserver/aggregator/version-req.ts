/**
 * The part of Rust's `semver::VersionReq` that Seal's configs use: comma-separated comparators
 * `op major[.minor[.patch]]` with op one of `>=`, `>`, `<=`, `<`, `=`, `^`, `~` or none (= `^`),
 * and `*`. As in the semver crate, a pre-release version matches no requirement written without
 * one (every requirement accepted here is written without one).
 */
import { InvalidInputError } from '../../errors.js';
import { parseSemver } from '../headers.js';

type Triple = [bigint, bigint, bigint];
type Check = (v: Triple) => boolean;

export interface VersionReq {
	readonly text: string;
	matches(version: string): boolean;
}

export function parseVersionReq(text: string, field: string): VersionReq {
	const checks: Check[] = [];
	for (const raw of text.split(',')) {
		const part = raw.trim();
		if (part === '*') continue;
		const m = /^(>=|<=|>|<|=|\^|~)?\s*(\d+)(?:\.(\d+|\*))?(?:\.(\d+|\*))?$/.exec(part);
		if (!m) {
			throw new InvalidInputError(
				field,
				`'${text}' is not a version requirement such as '>=0.6.2'`,
			);
		}
		const op = m[1] ?? '^';
		const major = BigInt(m[2]!);
		const minor = m[3] === undefined || m[3] === '*' ? undefined : BigInt(m[3]);
		const patch = m[4] === undefined || m[4] === '*' ? undefined : BigInt(m[4]);
		checks.push(comparator(op, major, minor, patch));
	}
	return {
		text,
		matches(version) {
			const parsed = parseSemver(version);
			if (!parsed || parsed.pre) return false;
			return checks.every((check) => check(parsed.core));
		},
	};
}

function cmp(a: Triple, b: Triple): number {
	for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
	return 0;
}

function comparator(op: string, major: bigint, minor?: bigint, patch?: bigint): Check {
	const low: Triple = [major, minor ?? 0n, patch ?? 0n];
	// The first version above the partial one (`>1.2` = `>=1.3.0`, `<=1.2` = `<1.3.0`).
	const above: Triple =
		minor === undefined
			? [major + 1n, 0n, 0n]
			: patch === undefined
				? [major, minor + 1n, 0n]
				: low;
	switch (op) {
		case '>=':
			return (v) => cmp(v, low) >= 0;
		case '>':
			return patch === undefined ? (v) => cmp(v, above) >= 0 : (v) => cmp(v, low) > 0;
		case '<':
			return (v) => cmp(v, low) < 0;
		case '<=':
			return patch === undefined ? (v) => cmp(v, above) < 0 : (v) => cmp(v, low) <= 0;
		case '=':
			return (v) =>
				cmp(v, low) >= 0 && (patch === undefined ? cmp(v, above) < 0 : cmp(v, low) <= 0);
		case '~': {
			const upper: Triple = minor === undefined ? [major + 1n, 0n, 0n] : [major, minor + 1n, 0n];
			return (v) => cmp(v, low) >= 0 && cmp(v, upper) < 0;
		}
		default: {
			// Caret: the left-most non-zero part may not change.
			const upper: Triple =
				major > 0n || minor === undefined
					? [major + 1n, 0n, 0n]
					: minor > 0n || patch === undefined
						? [0n, minor + 1n, 0n]
						: [0n, 0n, patch + 1n];
			return (v) => cmp(v, low) >= 0 && cmp(v, upper) < 0;
		}
	}
}
