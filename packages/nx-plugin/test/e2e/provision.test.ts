import { existsSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempWorkspace } from './temp-workspace';

const REHEARSE = ['run', 'infra:provision:rehearse'];
const FACTS = '.pushbutton/facts/rehearse/network.json';
const SYNTHESIZED = '.pushbutton/synth/network/stacks/network/cdk.tf.json';

let ws: TempWorkspace;
beforeAll(() => {
  ws = TempWorkspace.create();
});
afterAll(() => ws?.dispose());

function rehearse() {
  const result = ws.nx(REHEARSE);
  expect(result.code, result.output).toBe(0);
  expect(ws.gitStatus(), 'a run leaves the working tree clean').toBe('');
  return { ...result, tasks: ws.lastRun() };
}

describe('the network step, rehearsed end to end in a temporary git clone', { timeout: 240_000 }, () => {
  it('synthesizes, validates, plans and mock-applies, then prints what it made and where the facts are', () => {
    const { output, tasks } = rehearse();
    expect(tasks).toEqual({
      'infra:validate': 'cache-miss',
      'infra:network-synth': 'cache-miss',
      'infra:network-apply:rehearse': 'cache-miss',
      'infra:provision:rehearse': 'cache-miss',
    });
    expect(output).toContain('Plan: 8 to add, 0 to change, 0 to destroy.');
    expect(output).toContain('Mock apply complete! Resources: 8 in memory, none in AWS.');
    expect(output).toContain(`Facts (mock values): ${FACTS}`);
    const facts = JSON.parse(ws.read(FACTS));
    expect(facts).toMatchObject({ stack: 'network', rehearsal: true });
    expect(Object.keys(facts.values).sort()).toEqual(['security_group_id', 'subnet_id', 'vpc_id']);
  });

  it('executes nothing the second time: every task is a cache hit', () => {
    const { tasks, output } = rehearse();
    expect(Object.values(tasks)).toEqual(['hit', 'hit', 'hit', 'hit']);
    expect(output).toContain('network  vpc_id');
  });

  it('re-synthesizes, but does not re-apply, after an edit that leaves the Terraform unchanged', () => {
    const synthesized = ws.read(SYNTHESIZED);
    ws.edit('config/network.yaml', (text) => {
      const [head, subnet] = [text.match(/^vpcCidr: .*\n/m)![0], text.match(/^subnet:\n(  .*\n)+/m)![0]];
      return text.replace(head, '').replace(subnet, `# The subnet first, now.\n${subnet}${head}`);
    });
    ws.commit('reorder network.yaml');
    const { tasks } = rehearse();
    expect(tasks['infra:network-synth']).toBe('cache-miss');
    expect(tasks['infra:network-apply:rehearse']).toBe('hit');
    expect(ws.read(SYNTHESIZED)).toBe(synthesized);
  });

  it('re-synthesizes and re-applies after an edit that changes the Terraform', () => {
    ws.edit('config/network.yaml', (text) => text.replace('cidr: 10.20.1.0/24', 'cidr: 10.20.2.0/24'));
    ws.commit('move the subnet');
    const { tasks } = rehearse();
    expect(tasks['infra:network-synth']).toBe('cache-miss');
    expect(tasks['infra:network-apply:rehearse']).toBe('cache-miss');
    expect(ws.read(SYNTHESIZED)).toContain('"cidr_block": "10.20.2.0/24"');
  });

  it('applies again when the state is gone', () => {
    rmSync(ws.path('.pushbutton/rehearse/network/rehearsal-state.json'));
    const { tasks } = rehearse();
    expect(tasks['infra:network-synth']).toBe('hit');
    expect(tasks['infra:network-apply:rehearse']).toBe('cache-miss');
    expect(existsSync(ws.path('.pushbutton/rehearse/network/rehearsal-state.json'))).toBe(true);
  });

  it('rejects bad config before any target runs, and changes no state or facts', () => {
    const facts = ws.read(FACTS);
    const state = ws.read('.pushbutton/rehearse/network/rehearsal-state.json');
    ws.edit('config/network.yaml', (text) => text.replace('cidr: 10.20.2.0/24', 'cidr: 10.99.2.0/24'));
    const result = ws.nx(REHEARSE);
    ws.git('checkout', '--', 'config/network.yaml');
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(
      'config/network.yaml:7:9 subnet.cidr: expected a CIDR block inside vpcCidr 10.20.0.0/16; found "10.99.2.0/24"',
    );
    expect(ws.lastRun()).toEqual({ 'infra:validate': 'cache-miss' });
    expect(ws.read(FACTS)).toBe(facts);
    expect(ws.read('.pushbutton/rehearse/network/rehearsal-state.json')).toBe(state);
  });

  it('stops a live provision without AWS credentials before changing anything, and points to the rehearsal', () => {
    const result = ws.nx(['run', 'infra:provision']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Cannot apply the network stack; nothing was changed:');
    expect(result.output).toContain('AWS credentials: none found');
    expect(result.output).toContain('npx nx run infra:provision:rehearse');
    expect(existsSync(ws.path('.pushbutton/live/network/terraform.tfstate'))).toBe(false);
    expect(existsSync(ws.path('.pushbutton/facts/live/network.json'))).toBe(false);
    expect(ws.gitStatus()).toBe('');
  });
});

describe('destroy, rehearsed', { timeout: 120_000 }, () => {
  it('says what a live destroy would remove, and forgets the rehearsal and its facts', () => {
    const result = ws.nx(['run', 'infra:destroy:rehearse']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('network: Rehearsal: a live destroy would remove 8 resources: aws_internet_gateway.internet_gateway,');
    expect(ws.lastRun()['infra:network-destroy:rehearse']).toBe('cache-miss');
    expect(existsSync(ws.path('.pushbutton/rehearse/network/rehearsal-state.json'))).toBe(false);
    expect(existsSync(ws.path(FACTS))).toBe(false);
    expect(ws.gitStatus()).toBe('');
  });
});
