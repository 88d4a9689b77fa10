/**
 * Reads a Prometheus HTTP API response (`/api/v1/query`, `/api/v1/query_range`) into a measured
 * value: scalar → number, vector → numbers, matrix → all values flattened. A string result is an
 * Error measurement, as in Argo Rollouts ("metric type not supported").
 */
import { MeasurementError } from './errors.js';
import { parseSampleValue } from './value-format.js';
import type { MeasuredValue } from './types.js';

type Sample = [number, string];

/** The value of a successful response body; anything unexpected is a MeasurementError. */
export function convertQueryResponse(body: unknown): MeasuredValue {
  const data = (body as { data?: { resultType?: unknown; result?: unknown } }).data;
  if (!data || typeof data !== 'object') {
    throw new MeasurementError('bad-response', 'Prometheus response has no data; is the address a Prometheus server?');
  }
  const { resultType, result } = data;
  switch (resultType) {
    case 'scalar':
      return sampleValue(result);
    case 'string':
      throw new MeasurementError(
        'unsupported-result',
        `Prometheus metric type not supported: the query returned a string (${JSON.stringify(sampleText(result))}); use a query that returns a scalar, vector or matrix of numbers`,
      );
    case 'vector':
      return seriesList(result).map((series) => {
        if (series.histogram !== undefined) throw unsupported('a native histogram sample');
        return sampleValue(series.value);
      });
    case 'matrix':
      return seriesList(result).flatMap((series) => {
        if (series.histograms !== undefined) throw unsupported('native histogram samples');
        if (series.values === undefined) return [];
        if (!Array.isArray(series.values)) throw malformed('matrix series without a values list');
        return series.values.map(sampleValue);
      });
    default:
      throw unsupported(`result type ${JSON.stringify(resultType)}`);
  }
}

interface Series {
  value?: unknown;
  values?: unknown;
  histogram?: unknown;
  histograms?: unknown;
}

function seriesList(result: unknown): Series[] {
  if (result === null || result === undefined) return [];
  if (!Array.isArray(result)) throw malformed('result is not a list');
  return result.map((series) => {
    if (!series || typeof series !== 'object') throw malformed('a series is not an object');
    return series as Series;
  });
}

function sampleText(sample: unknown): string {
  if (!Array.isArray(sample) || sample.length !== 2 || typeof sample[1] !== 'string') throw malformed('a sample is not [time, "value"]');
  return (sample as Sample)[1];
}

function sampleValue(sample: unknown): number {
  const text = sampleText(sample);
  try {
    return parseSampleValue(text);
  } catch {
    throw malformed(`sample value ${JSON.stringify(text)} is not a number`);
  }
}

function unsupported(what: string): MeasurementError {
  return new MeasurementError('unsupported-result', `Prometheus returned ${what}, which is not supported; use a query that returns a scalar, vector or matrix of numbers`);
}

function malformed(what: string): MeasurementError {
  return new MeasurementError('bad-response', `Prometheus response is malformed: ${what}`);
}
