import { badInput } from '@opsgraph/core';
import { RISK_BANDS, type RiskBand } from '@opsgraph/events';

/**
 * The risk matrix: likelihood and severity from 1 (rare / negligible) to 5 (almost certain / catastrophic);
 * the rating is their product, banded LOW 1-4, MEDIUM 5-9, HIGH 10-16, CRITICAL 20-25.
 */
export function bandOf(rating: number): RiskBand {
  if (rating <= 4) return 'LOW';
  if (rating <= 9) return 'MEDIUM';
  if (rating <= 16) return 'HIGH';
  return 'CRITICAL';
}

export const riskOf = (likelihood: number, severity: number) => ({ likelihood, severity, rating: likelihood * severity, band: bandOf(likelihood * severity) });

/** The lowest rating of a band, for "at least this band" filters. */
export const minRatingOf = (band: RiskBand) => ({ LOW: 1, MEDIUM: 5, HIGH: 10, CRITICAL: 17 })[band];

export const highestBand = (bands: RiskBand[]): RiskBand => bands.reduce<RiskBand>((top, b) => (RISK_BANDS.indexOf(b) > RISK_BANDS.indexOf(top) ? b : top), 'LOW');

function factor(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 5) throw badInput(`${field} must be a whole number from 1 to 5`, { field });
  return value;
}

/** Validates the four factors; controls may not make a risk worse, so the residual rating is at most the inherent one. */
export function ratingsOf(input: { likelihood: unknown; severity: unknown; residualLikelihood: unknown; residualSeverity: unknown }) {
  const likelihood = factor(input.likelihood, 'likelihood');
  const severity = factor(input.severity, 'severity');
  const residualLikelihood = factor(input.residualLikelihood, 'residualLikelihood');
  const residualSeverity = factor(input.residualSeverity, 'residualSeverity');
  const riskRating = likelihood * severity;
  const residualRating = residualLikelihood * residualSeverity;
  if (residualRating > riskRating) throw badInput(`the residual rating (${residualRating}) cannot be above the rating before controls (${riskRating})`, { field: 'residualLikelihood' });
  return { likelihood, severity, riskRating, residualLikelihood, residualSeverity, residualRating };
}
