import type { SearchEventData } from '@hypotree/events';
import { fold, type SearchTree } from '@hypotree/tree';
import { EventScript, scriptAdmission } from '@hypotree/tree/testing';
import { admissionPolicy } from './admission.js';
import { integrityObjection } from './integrity.js';

type Integrity = NonNullable<SearchEventData<'ExperimentSucceeded'>['integrity']>;
type Trust = SearchEventData<'SearchStarted'>['trust'];

const SPEC = 'spec-hash-0123456789abcdef';
const EVALUATOR = 'evaluator-hash-0123456789';
const trusted: Integrity = { sandbox: 'allowlist', specHash: SPEC, evaluatorHash: EVALUATOR };

/** A search started with `trust` whose node 1 has a dev result (and, if given, a gate result) with this integrity. */
function search(trust: Trust, dev: Integrity | undefined, gate?: Integrity | 'none', evaluatorHash: string | null = EVALUATOR): SearchTree {
  const s = new EventScript('s1');
  s.start({ task: { name: 'd', specPath: 'p', specHash: SPEC, ...(evaluatorHash === null ? {} : { evaluatorHash }), repo: 'r', baseCommit: 'c0', objective: { metric: 'm', direction: 'maximize' } }, ...(trust ? { trust } : {}) });
  s.baseline([0.5]);
  s.propose('1', '0', { lr: 0.1 });
  s.succeed('1', [0.6], 1, dev);
  if (gate === 'none') s.gate('1', 0.6);
  else if (gate) s.gate('1', 0.6, gate);
  return fold(s.events);
}

const allowlist: Trust = { sandbox: 'allowlist', allowUnsandboxed: false };
const objection = (tree: SearchTree) => integrityObjection(tree, tree.nodes.get('1')!);
const eventOf = (tree: SearchTree, what: 'result' | 'gate') => tree.nodes.get('1')![what]!.eventId;

/** Node 1 gated in two looks (admission's gateExtend) with these integrities. */
function twoLooks(first: Integrity, second: Integrity): SearchTree {
  const s = new EventScript('s1');
  s.start({ task: { name: 'd', specPath: 'p', specHash: SPEC, evaluatorHash: EVALUATOR, repo: 'r', baseCommit: 'c0', objective: { metric: 'm', direction: 'maximize' } }, trust: allowlist, policies: { admission: scriptAdmission({ gateExtend: 1 }) } });
  s.baseline([0.5]);
  s.propose('1', '0', { lr: 0.1 });
  s.succeed('1', [0.6], 1, trusted);
  const look = s.gate('1', 0.6, first);
  s.add({ type: 'GateEvaluated', data: { nodeId: '1', commit: 'commit-1', runs: [{ seed: 1, value: 0.61 }], gateEvaluationsUsed: 2, integrity: second, extendsGate: look.id } });
  return fold(s.events);
}

describe('integrity of the evidence admission uses', () => {
  it('checks both looks of a gate evaluation in two looks: either one from a weaker sandbox or another evaluator is refused, naming it', () => {
    expect(objection(twoLooks(trusted, trusted))).toBeUndefined();
    const weakFirst = twoLooks({ ...trusted, sandbox: 'none' }, trusted);
    expect(objection(weakFirst)).toEqual({
      rule: 'weaker-sandbox',
      reason: "the gate evaluation of 1 ran with sandbox 'none', weaker than the search's 'allowlist'",
      evidence: [weakFirst.nodes.get('1')!.gate!.firstLook!.eventId],
    });
    const otherSecond = twoLooks(trusted, { ...trusted, evaluatorHash: 'another-evaluator-hash' });
    expect(objection(otherSecond)).toMatchObject({ rule: 'evaluator-changed', evidence: [eventOf(otherSecond, 'gate')] });
    expect(objection(otherSecond)!.reason).toContain('the second gate look of 1 ran with evaluator files another-eva');
  });

  it('has no objection to dev and gate evidence that ran as the search requires', () => {
    expect(objection(search(allowlist, trusted))).toBeUndefined();
    expect(objection(search(allowlist, trusted, trusted))).toBeUndefined();
  });

  it('refuses evidence from a weaker sandbox, naming the evaluation, both sandboxes and the event', () => {
    const tree = search(allowlist, { ...trusted, sandbox: 'isolated' });
    expect(objection(tree)).toEqual({
      rule: 'weaker-sandbox',
      reason: "the dev evaluation of 1 ran with sandbox 'isolated', weaker than the search's 'allowlist'",
      evidence: [eventOf(tree, 'result')],
    });
    const gated = search(allowlist, trusted, { ...trusted, sandbox: 'none' });
    expect(objection(gated)).toEqual({
      rule: 'weaker-sandbox',
      reason: "the gate evaluation of 1 ran with sandbox 'none', weaker than the search's 'allowlist'",
      evidence: [eventOf(gated, 'gate')],
    });
  });

  it('accepts a sandbox as strong as or stronger than the search\'s', () => {
    expect(objection(search({ sandbox: 'isolated', allowUnsandboxed: false }, { ...trusted, sandbox: 'isolated' }))).toBeUndefined();
    expect(objection(search({ sandbox: 'isolated', allowUnsandboxed: false }, trusted))).toBeUndefined();
  });

  it('counts evidence without an integrity record as unsandboxed in a search that records trust', () => {
    const tree = search(allowlist, trusted, 'none');
    expect(objection(tree)).toMatchObject({ rule: 'weaker-sandbox', evidence: [eventOf(tree, 'gate')] });
    expect(objection(search({ sandbox: 'none', allowUnsandboxed: true }, undefined, 'none'))).toBeUndefined();
  });

  it('lets anything pass in a search that records no trust (a log from before integrity existed)', () => {
    expect(objection(search(undefined, { ...trusted, sandbox: 'none', specHash: 'other', evaluatorHash: 'other' }))).toBeUndefined();
  });

  it('refuses evidence from another task spec, naming both hashes by their first 12 characters', () => {
    const tree = search(allowlist, { ...trusted, specHash: 'edited-spec-hash-xyz' });
    expect(objection(tree)).toEqual({
      rule: 'evaluator-changed',
      reason: 'the dev evaluation of 1 ran with task spec edited-spec-, the search\'s is spec-hash-01',
      evidence: [eventOf(tree, 'result')],
    });
  });

  it('refuses evidence from other evaluator files, on dev or on the gate', () => {
    const tree = search(allowlist, { ...trusted, evaluatorHash: 'edited-evaluator-xyz' });
    expect(objection(tree)).toEqual({
      rule: 'evaluator-changed',
      reason: "the dev evaluation of 1 ran with evaluator files edited-evalu, the search's are evaluator-ha",
      evidence: [eventOf(tree, 'result')],
    });
    const gated = search(allowlist, trusted, { ...trusted, evaluatorHash: 'edited-evaluator-xyz' });
    expect(objection(gated)).toMatchObject({ rule: 'evaluator-changed', evidence: [eventOf(gated, 'gate')] });
  });

  it('does not compare evaluator hashes when the search recorded none (a log from before the trusted scorer)', () => {
    expect(objection(search(allowlist, { ...trusted, evaluatorHash: 'whatever' }, undefined, null))).toBeUndefined();
  });
});

describe('integrity of a node without evidence yet', () => {
  it('has nothing to object to', () => {
    const s = new EventScript('s1');
    s.start({ trust: allowlist });
    s.baseline([0.5]);
    s.propose('1', '0', { lr: 0.1 });
    const tree = fold(s.events);
    expect(integrityObjection(tree, tree.nodes.get('1')!)).toBeUndefined();
  });
});

describe('admission of evidence the integrity check objects to', () => {
  it('is a rejection by the objection\'s rule, citing the objected evidence and the dev comparison once each', () => {
    const tree = search(allowlist, { ...trusted, sandbox: 'none' });
    const decision = admissionPolicy().decide(tree, '1');
    expect(decision).toMatchObject({ action: 'reject', rule: 'weaker-sandbox', reason: "the dev evaluation of 1 ran with sandbox 'none', weaker than the search's 'allowlist'" });
    expect(decision.evidence).toEqual([eventOf(tree, 'result'), tree.nodes.get('0')!.result!.eventId]);
  });
});
