/**
 * The key server's curve work behind one interface, so the fast WASM backend (mcl-wasm, default)
 * can be checked byte for byte against the reference (@noble/curves). Everything crosses the
 * interface as bytes (compressed points, 32-byte big-endian scalars): that is what the wire
 * carries and what the equivalence tests compare. This file picks a backend by name; what the
 * backends share lives in curve.ts.
 */
import { InvalidInputError } from '../../errors.js';
import { CURVE_BACKENDS, type CurveBackend, type CurveBackendName } from './curve.js';

export const DEFAULT_CURVE_BACKEND: CurveBackendName = 'mcl';

/** The backend by name; mcl compiles its WASM once per thread (async). */
export async function loadCurveBackend(
	name: CurveBackendName = DEFAULT_CURVE_BACKEND,
): Promise<CurveBackend> {
	if (name === 'noble') return (await import('./noble.js')).nobleBackend;
	if (name === 'mcl') return (await import('./mcl.js')).loadMclBackend();
	throw new InvalidInputError('curveBackend', `expected one of ${CURVE_BACKENDS.join(', ')}`);
}

export function parseCurveBackendName(value: string): CurveBackendName {
	if ((CURVE_BACKENDS as readonly string[]).includes(value)) return value as CurveBackendName;
	throw new InvalidInputError(
		'backend',
		`expected one of ${CURVE_BACKENDS.join(', ')}, got '${value}'`,
	);
}
