/**
 * Policy evaluation behind one interface. The key server asks the evaluator whether the approval
 * PTB would succeed for `sender`; all commands are judged together (one failing call denies the
 * whole request, as a failing simulation does on chain).
 */
import type { ValidPtb } from './valid-ptb.js';

export interface PolicyRequest {
	/** BCS `ProgrammableTransaction` exactly as the client sent it. */
	ptb: Uint8Array;
	validPtb: ValidPtb;
	/** Certificate user (`0x` + 64 hex): the simulation sender, `ctx.sender()` in Move. */
	sender: string;
	/** First-version id of the PTB's package (identities live under it). */
	originalPackageId: string;
}

/** Errors an evaluation can end in, with Mysten's names (`detail` is the per-request part). */
export type PolicyDenial = 'NoAccess' | 'InvalidPTB' | 'InvalidParameter' | 'Failure';

export type PolicyDecision = (
	| { readonly allowed: true }
	| { readonly allowed: false; readonly error: PolicyDenial; readonly detail: string }
) & {
	/** Computation cost of the simulation, when one ran (Permissioned mode's gas metric). */
	readonly computationCost?: number;
};

export interface PolicyEvaluator {
	evaluate(request: PolicyRequest): Promise<PolicyDecision>;
}

export const ALLOW: PolicyDecision = Object.freeze({ allowed: true });

/**
 * OFFLINE TIER ONLY: decides from a fixed table instead of running Move code. Rules are keyed by
 * inner id (hex, no `0x`), optionally narrowed to one user address; anything not allowed is
 * denied with `NoAccess`, and a matching `deny` rule wins over `allow`.
 */
export class FixedEvaluator implements PolicyEvaluator {
	readonly #allowed = new Set<string>();
	readonly #denied = new Set<string>();

	/** Allows `innerIdHex` for `address`, or for every user when `address` is omitted. */
	allow(innerIdHex: string, address?: string): this {
		this.#allowed.add(ruleKey(innerIdHex, address));
		return this;
	}

	/** Denies `innerIdHex` for `address` (or for everyone), overriding any allow rule. */
	deny(innerIdHex: string, address?: string): this {
		this.#denied.add(ruleKey(innerIdHex, address));
		return this;
	}

	/** Drops every rule. */
	reset(): void {
		this.#allowed.clear();
		this.#denied.clear();
	}

	async evaluate({ validPtb, sender }: PolicyRequest): Promise<PolicyDecision> {
		for (const [index, innerId] of validPtb.innerIds.entries()) {
			const id = Buffer.from(innerId).toString('hex');
			const denied = this.#denied.has(ruleKey(id)) || this.#denied.has(ruleKey(id, sender));
			const allowed = this.#allowed.has(ruleKey(id)) || this.#allowed.has(ruleKey(id, sender));
			if (denied || !allowed) {
				return {
					allowed: false,
					error: 'NoAccess',
					detail: `command ${index} (${validPtb.functions[index] ?? '?'}) denied for id 0x${id}`,
				};
			}
		}
		return ALLOW;
	}
}

function ruleKey(innerIdHex: string, address?: string): string {
	const id = innerIdHex.toLowerCase().replace(/^0x/, '');
	return address === undefined ? `${id}@*` : `${id}@${address.toLowerCase()}`;
}
