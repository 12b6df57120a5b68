// Campaigns come from the dbt seed (dbt/seeds/campaigns.csv), the single list both the data
// and the models know. Each campaign's funnel and economics are drawn from a seeded PRNG,
// so they differ between campaigns but never between runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../platform/config';
import { normal, seededRandom } from './random';

export const CHANNELS = ['google', 'meta', 'naver', 'kakao', 'tiktok'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface CampaignProfile {
  campaignId: string;
  channel: Channel;
  currency: string;
  bidding: 'cpc' | 'cpm';
  /** Relative share of the day's traffic. */
  weight: number;
  ctr: number;
  cvr: number;
  /** Price of a click (cpc) or of 1000 impressions (cpm), in currency units. */
  price: number;
  /** Mean conversion value, in currency units, set so the campaign lands near its target ROAS. */
  orderValue: number;
  targetRoas: number;
  adGroups: number;
}

/** Funnel by channel: search converts better than feeds; CTR 1–5 %, CVR 1–10 %. */
const CHANNEL_FUNNEL: Record<Channel, { ctr: number; cvr: number }> = {
  google: { ctr: 0.035, cvr: 0.06 },
  meta: { ctr: 0.012, cvr: 0.03 },
  naver: { ctr: 0.04, cvr: 0.07 },
  kakao: { ctr: 0.01, cvr: 0.025 },
  tiktok: { ctr: 0.015, cvr: 0.02 },
};

/** Typical prices: a click for cpc, 1000 impressions for cpm. */
const PRICE: Record<string, { cpc: number; cpm: number }> = {
  USD: { cpc: 0.9, cpm: 7 },
  KRW: { cpc: 900, cpm: 5500 },
};

export const CAMPAIGNS_SEED = path.join(PROJECT_ROOT, 'dbt', 'seeds', 'campaigns.csv');

export function loadCampaigns(file = CAMPAIGNS_SEED): CampaignProfile[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const at = (name: string) => cols.indexOf(name);
  return lines.map((line) => {
    const f = line.split(',');
    const campaignId = f[at('campaign_id')]!;
    const channel = f[at('channel')] as Channel;
    const currency = f[at('currency')]!;
    const bidding = f[at('bidding_model')] as 'cpc' | 'cpm';
    const r = seededRandom('campaign', campaignId);
    const funnel = CHANNEL_FUNNEL[channel];
    const ctr = clamp(funnel.ctr * (0.6 + 0.8 * r()), 0.01, 0.05);
    const cvr = clamp(funnel.cvr * (0.6 + 0.8 * r()), 0.01, 0.1);
    const price = PRICE[currency]![bidding] * (0.6 + 0.8 * r());
    const targetRoas = clamp(Math.exp(normal(r, Math.log(2.2), 0.6)), 0.3, 8);
    const spendPerImpression = bidding === 'cpm' ? price / 1000 : ctr * price;
    const orderValue = (targetRoas * spendPerImpression) / (ctr * cvr);
    return {
      campaignId,
      channel,
      currency,
      bidding,
      weight: 0.3 + 2.7 * r(),
      ctr,
      cvr,
      price,
      orderValue,
      targetRoas,
      adGroups: 2 + Math.floor(r() * 4),
    };
  });
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
