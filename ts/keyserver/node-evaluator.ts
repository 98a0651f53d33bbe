// TEMPORARY (being written): real NodeEvaluator lands next.
import type { PolicyDecision, PolicyEvaluator, PolicyRequest } from './evaluator.js';
export interface NodeEvaluatorOptions {
	sealPackageId?: string;
}
export class NodeEvaluator implements PolicyEvaluator {
	async evaluate(_request: PolicyRequest): Promise<PolicyDecision> {
		return { allowed: false, error: 'Failure', detail: 'not implemented' };
	}
}
