import type { InsightClaimSchema, InsightDraft as EventsInsightDraft, NodeId, Proposal as EventsProposal } from '@hypotree/events';
import type { Task, ParameterValue } from '@hypotree/task';
import type { Insight, SearchTree } from '@hypotree/tree';
import type { z } from 'zod';

/** What a proposer is asked: k hypotheses under one parent, knowing the tree and the lessons learned. */
export interface ProposalRequest {
  tree: SearchTree;
  task: Task;
  parentId: NodeId;
  count: number;
  /** Active insights that bear on the parent (empty when the search runs with --no-insights). */
  insights: Insight[];
  /** The parameter values in force at the parent (declared defaults + the changes along its lineage). */
  parentParams: Record<string, ParameterValue>;
}

/** One proposed hypothesis: the claim, the concrete change, who proposed it and which insights it read (see `ProposalSchema`). */
export type Proposal = EventsProposal;

/** Turns the tree and its insights into new hypotheses. */
export interface Proposer {
  readonly kind: string;
  propose(request: ProposalRequest): Promise<Proposal[]>;
}

export type InsightClaim = z.infer<typeof InsightClaimSchema>;

/** A lesson a distiller draws, before it becomes an InsightDistilled event (see `InsightDraftSchema`); its id is deterministic, so re-distilling after a restart does not duplicate it. */
export type InsightDraft = EventsInsightDraft;

/** What a distiller is asked: the tree just after a node's outcome was decided. */
export interface DistillRequest {
  tree: SearchTree;
  /** Distillers read the task's spec only (its objective, parameters, description): no files. */
  task: Pick<Task, 'spec'>;
  nodeId: NodeId;
}

/** Turns evidence into short, reusable lessons with provenance. */
export interface Distiller {
  readonly kind: string;
  distill(request: DistillRequest): Promise<InsightDraft[]>;
}
