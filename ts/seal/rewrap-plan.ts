/**
 * The target of a rewrap: which key servers and which threshold an envelope moves to. A rewrap
 * never lowers protection silently: the threshold stays the envelope's own unless asked.
 */
import type { Logger } from '../logger.js';
import type { KeyServerEntry } from '../chain/networks.js';

/** The new server list: the given ids (`--servers`) with details (API keys) from config when known. */
export function newServerSet(
	ids: string[] | undefined,
	configured: readonly KeyServerEntry[],
): KeyServerEntry[] {
	if (ids === undefined) return [...configured];
	return ids.map(
		(objectId) => configured.find((s) => s.objectId === objectId) ?? { objectId, weight: 1 },
	);
}

/**
 * The new threshold: the envelope's own unless `--threshold` asks for another. The configured
 * default threshold is deliberately ignored here, so a rewrap never lowers protection silently.
 */
export function rewrapThreshold(
	requested: number | undefined,
	envelopeThreshold: number,
	logger: Pick<Logger, 'warn'>,
): number {
	if (requested === undefined) return envelopeThreshold;
	if (requested < envelopeThreshold) {
		logger.warn(
			`lowering the threshold from ${envelopeThreshold} to ${requested}: fewer key servers will be needed to decrypt`,
		);
	}
	return requested;
}
