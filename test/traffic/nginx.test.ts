import { describe, expect, it } from '@jest/globals';
import { changedLines, filesOf, providerFor, setWeightOn, thrown, trafficFixture } from './helpers.js';

const FILE = 'apps/api/ingress.yaml';
const before = trafficFixture('nginx-ingress.yaml');
const files = filesOf({ [FILE]: before });
const named = providerFor({ provider: 'nginx', file: FILE, name: 'api-canary' });

describe('nginx canary Ingress', () => {
  it('reads the canary-weight annotation of the canary Ingress', () => {
    expect(named.readWeight(files)).toBe(0);
  });

  it.each([10, 50, 100])('writes %i%% as a double-quoted string and touches nothing else', (weight) => {
    expect(changedLines(before, setWeightOn(named, FILE, before, weight))).toEqual([
      '-    nginx.ingress.kubernetes.io/canary-weight: "0"   # set by OpsBox',
      `+    nginx.ingress.kubernetes.io/canary-weight: "${weight}"   # set by OpsBox`,
    ]);
  });

  it('returns no files at the current weight', () => {
    expect(named.setWeight(files, 0).size).toBe(0);
  });

  it('picks the Ingress marked as canary when no name is given', () => {
    const unnamed = providerFor({ provider: 'nginx', file: FILE });
    expect(setWeightOn(unnamed, FILE, before, 10)).toBe(setWeightOn(named, FILE, before, 10));
  });

  it('adds missing annotations, one line each, with the indentation of the others', () => {
    const text = trafficFixture('nginx-ingress-unannotated.yaml');
    const provider = providerFor({ provider: 'nginx', file: FILE });
    expect(changedLines(text, setWeightOn(provider, FILE, text, 10))).toEqual([
      '+    nginx.ingress.kubernetes.io/canary: "true"',
      '+    nginx.ingress.kubernetes.io/canary-weight: "10"',
    ]);
  });

  it('adds an annotations block to an Ingress without one', () => {
    const text = 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: api-canary\n  namespace: shop\nspec:\n  ingressClassName: nginx\n';
    const provider = providerFor({ provider: 'nginx', file: FILE });
    expect(changedLines(text, setWeightOn(provider, FILE, text, 0))).toEqual([
      '+  annotations:',
      '+    nginx.ingress.kubernetes.io/canary: "true"',
      '+    nginx.ingress.kubernetes.io/canary-weight: "0"',
    ]);
  });

  it('quotes a weight that was written as a number and keeps single quotes', () => {
    const plain = before.replace('canary-weight: "0"', 'canary-weight: 20');
    expect(named.readWeight(filesOf({ [FILE]: plain }))).toBe(20);
    expect(changedLines(plain, setWeightOn(named, FILE, plain, 30))).toEqual([
      '-    nginx.ingress.kubernetes.io/canary-weight: 20   # set by OpsBox',
      '+    nginx.ingress.kubernetes.io/canary-weight: "30"   # set by OpsBox',
    ]);
    const single = before.replace('canary-weight: "0"', "canary-weight: '0'");
    expect(changedLines(single, setWeightOn(named, FILE, single, 30))).toEqual([
      "-    nginx.ingress.kubernetes.io/canary-weight: '0'   # set by OpsBox",
      "+    nginx.ingress.kubernetes.io/canary-weight: '30'   # set by OpsBox",
    ]);
  });

  it('scales to canary-weight-total', () => {
    const text = before.replace('    nginx.ingress.kubernetes.io/canary-by-header', '    nginx.ingress.kubernetes.io/canary-weight-total: "1000"\n    nginx.ingress.kubernetes.io/canary-by-header');
    expect(changedLines(text, setWeightOn(named, FILE, text, 25))).toEqual([
      '-    nginx.ingress.kubernetes.io/canary-weight: "0"   # set by OpsBox',
      '+    nginx.ingress.kubernetes.io/canary-weight: "250"   # set by OpsBox',
    ]);
  });

  it('refuses a weight the weight total cannot express, rather than commit another one', () => {
    const text = before.replace('    nginx.ingress.kubernetes.io/canary-by-header', '    nginx.ingress.kubernetes.io/canary-weight-total: "10"\n    nginx.ingress.kubernetes.io/canary-by-header');
    expect(changedLines(text, setWeightOn(named, FILE, text, 50))).toContain('+    nginx.ingress.kubernetes.io/canary-weight: "5"   # set by OpsBox');
    const error = thrown(() => named.setWeight(filesOf({ [FILE]: text }), 15));
    expect(error.code).toBe('invalid-weight');
    expect(error.message).toContain(
      '15% cannot be written with a weight total of 10 (the nearest is 20%); set nginx.ingress.kubernetes.io/canary-weight-total to a multiple of 100, or use steps it can express.',
    );
  });

  it('says when the Ingress is not marked as canary, and marks it when setting', () => {
    const text = before.replace('canary: "true"', 'canary: "false"');
    const error = thrown(() => named.readWeight(filesOf({ [FILE]: text })));
    expect(error.code).toBe('not-canary');
    expect(error.message).toBe(
      `${FILE}:25:41: Ingress api-canary: the annotation nginx.ingress.kubernetes.io/canary is "false", so this Ingress takes traffic as a regular Ingress; set it to "true".`,
    );
    expect(changedLines(text, setWeightOn(named, FILE, text, 10))).toEqual([
      '-    nginx.ingress.kubernetes.io/canary: "false"',
      '-    nginx.ingress.kubernetes.io/canary-weight: "0"   # set by OpsBox',
      '+    nginx.ingress.kubernetes.io/canary: "true"',
      '+    nginx.ingress.kubernetes.io/canary-weight: "10"   # set by OpsBox',
    ]);
  });

  it('needs a name when no Ingress or several are marked as canary', () => {
    const provider = providerFor({ provider: 'nginx', file: FILE });
    const error = thrown(() => provider.readWeight(filesOf({ [FILE]: before.replace('canary: "true"', 'canary: "false"') })));
    expect(error.code).toBe('ambiguous');
    expect(error.message).toBe(`${FILE}: 2 Ingress documents (api, api-canary); set \`name\` to the metadata.name of the one to use.`);
  });
});
