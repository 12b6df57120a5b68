// The Flink stand-in's event stream for one UTC day: a funnel per campaign, a daily traffic
// curve that peaks in Korean daytime, costs on impressions (cpm) or clicks (cpc), revenue on
// conversions. Output is CSV text in chunks, ready for COPY.
import { loadCampaigns, type CampaignProfile } from './campaigns';
import type { Defect } from './defects';
import { cumulativeOf, normal, pickIndex, seededRandom } from './random';

export { DEFECTS, type Defect } from './defects';

export interface DayOptions {
  /** UTC day, YYYY-MM-DD. */
  date: string;
  events: number;
  seed: number;
  defects?: readonly Defect[];
  /**
   * The share of the day's events an at-least-once stream delivers late: minutes to three days
   * after the day ended (ingested_at says when). Default 0.
   */
  lateShare?: number;
  /** Which events to write: all (default), only those delivered on time, or only the late ones. */
  deliver?: 'all' | 'on-time' | 'late';
  /** View-through conversions (a conversion after an impression, no click) per impression. Default 0.0002. */
  viewThroughRate?: number;
}

/** Real ad data by default: conversions lag their clicks, and some follow an impression alone. */
export const DEFAULT_VIEW_THROUGH_RATE = 0.0002;

/** Is event i of the day one the stream delivers late? A fixed hash of i: the same events for every call. */
export function deliveredLate(i: number, lateShare: number): boolean {
  return lateShare > 0 && ((Math.imul(i + 1, 2654435761) >>> 0) % 1_000_000) / 1_000_000 < lateShare;
}

export const AD_EVENT_COLUMNS = [
  'event_id',
  'event_type',
  'event_time',
  'campaign_id',
  'ad_group_id',
  'channel',
  'device',
  'cost_micros',
  'revenue_micros',
  'currency',
  'ingested_at',
] as const;

/**
 * Relative traffic per UTC hour. KST is UTC+9: the evening peak (20–22 KST) is 11–13 UTC,
 * lunch (12–13 KST) is 3–4 UTC, and the small hours of Korea (2–6 KST) are 17–21 UTC.
 */
export const HOURLY_WEIGHTS = Array.from({ length: 24 }, (_, utcHour) => {
  const kst = (utcHour + 9) % 24;
  const evening = Math.exp(-((kst - 21) ** 2) / 8);
  const lunch = 0.6 * Math.exp(-((kst - 12.5) ** 2) / 3);
  const night = kst >= 2 && kst <= 6 ? 0.05 : 0.2;
  return night + evening + lunch;
});

const DEVICE_FIELDS = ['mobile,', 'desktop,', 'tablet,'];
const TYPE_FIELDS: Record<string, string> = { impression: ',impression,', click: ',click,', conversion: ',conversion,' };
const DEVICE_CUMULATIVE = cumulativeOf([0.7, 0.25, 0.05]);

/** The campaign-hour that `clicks-without-impressions` corrupts: every impression there becomes a click. */
export const CORRUPTED_CAMPAIGN_HOUR = { campaignId: 'cmp_001', utcHour: 10 };
export const UNKNOWN_CURRENCY = 'XYZ';

/** Where the rows go: straight into byte buffers of chunkBytes (an array of row strings per chunk made garbage collection most of the generator's time). */
class ChunkWriter {
  readonly full: Buffer[] = [];
  private chunk: Buffer;
  private used = 0;
  constructor(private readonly chunkBytes: number) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }
  push(row: string): void {
    if (this.used + row.length + 1 > this.chunk.length) {
      this.full.push(this.chunk.subarray(0, this.used));
      this.chunk = Buffer.allocUnsafe(this.chunkBytes);
      this.used = 0;
    }
    this.used += this.chunk.write(row, this.used, 'latin1');
    this.chunk[this.used++] = 10;
  }
  rest(): Buffer | undefined {
    return this.used ? this.chunk.subarray(0, this.used) : undefined;
  }
}

/** One journey's campaign, ad group, device and hour, drawn in this order from the day's random stream. */
interface Journey {
  c: CampaignProfile;
  adGroup: string;
  device: string;
  corrupted: boolean;
}

type EventType = 'impression' | 'click' | 'conversion';

/** The counters the rows share: the next event's index, the rows written, a sign flip waiting for a cost. */
interface DayState {
  i: number;
  rows: number;
  negativePending: boolean;
}

/** Writes one event (and its duplicate, with that defect) as a CSV row; events the delivery leaves out only advance i. */
function rowWriter(opts: DayOptions, defects: Set<Defect>, random: () => number, out: ChunkWriter, state: DayState): (j: Journey, type: EventType, eventMs: number) => void {
  const dayStart = Date.parse(`${opts.date}T00:00:00Z`);
  const lateShare = opts.lateShare ?? 0;
  const deliver = opts.deliver ?? 'all';
  const micros = (x: number) => Math.round(x * 1_000_000);
  const dayPrefix = `${opts.date}T`;
  const idPrefix = `ev_${opts.date.replaceAll('-', '')}_${opts.seed}_`;
  const stamp = (ms: number) => {
    const inDay = ms - dayStart;
    return inDay >= 0 && inDay < 86_400_000 ? dayPrefix + timeOfDay(inDay) : new Date(ms).toISOString();
  };
  return ({ c, adGroup, device }, type, eventMs) => {
    const i = state.i;
    let cost = 0;
    let revenue = 0;
    if (type === 'impression' && c.bidding === 'cpm') cost = (c.price / 1000) * (0.7 + 0.6 * random());
    else if (type === 'click' && c.bidding === 'cpc') cost = c.price * (0.7 + 0.6 * random());
    else if (type === 'conversion') revenue = c.orderValue * Math.exp(normal(random, -0.125, 0.5));
    let costMicros = micros(cost);
    // Every 997th event, the next one that carries a cost gets its sign flipped.
    if (defects.has('negative-cost') && i % 997 === 0) state.negativePending = true;
    if (state.negativePending && costMicros > 0) {
      costMicros = -costMicros;
      state.negativePending = false;
    }
    const currency = defects.has('unknown-currency') && i % 1009 === 0 ? UNKNOWN_CURRENCY : c.currency;
    // Flink writes within seconds; late events arrive the next day, after the day was reported complete.
    const late = defects.has('late-events') && i % 1013 === 0;
    const delayed = deliveredLate(i, lateShare);
    // A late delivery: 5 minutes to 3 days after the day ended, spread by the same hash.
    const lateMs = dayStart + 86_400_000 + 300_000 + ((Math.imul(i + 7, 40503) >>> 0) % (3 * 86_400_000));
    const ingestedMs = late ? dayStart + 26 * 3_600_000 + i : delayed ? lateMs : eventMs + 1_000 + Math.floor(random() * 90_000);
    state.i++;
    if ((deliver === 'late' && !delayed) || (deliver === 'on-time' && delayed)) return;
    const row = idPrefix + i.toString(36) + TYPE_FIELDS[type] + stamp(eventMs) + adGroup + device + costMicros + ',' + micros(revenue) + ',' + currency + ',' + stamp(ingestedMs);
    out.push(row);
    state.rows++;
    // At-least-once delivery: the same event again, a little later.
    if (defects.has('duplicates') && i % 211 === 0) {
      out.push(row.slice(0, row.lastIndexOf(',')) + ',' + stamp(ingestedMs + 30_000));
      state.rows++;
    }
  };
}

export function* generateDayCsv(opts: DayOptions, campaigns: CampaignProfile[] = loadCampaigns(), chunkBytes = 1 << 22): Generator<Buffer, number> {
  const defects = new Set(opts.defects ?? []);
  if (defects.has('empty-day')) return 0;
  const random = seededRandom('events', opts.seed, opts.date);
  const dayStart = Date.parse(`${opts.date}T00:00:00Z`);
  const dayEnd = dayStart + 86_400_000 - 1;
  const campaignCumulative = cumulativeOf(campaigns.map((c) => c.weight));
  const hourCumulative = cumulativeOf(HOURLY_WEIGHTS);
  const viewThrough = opts.viewThroughRate ?? DEFAULT_VIEW_THROUGH_RATE;
  // The constant parts of a row, built once: ",campaign,ad group,channel,".
  const adGroupFields = campaigns.map((c) => Array.from({ length: c.adGroups }, (_, g) => `,${c.campaignId},${c.campaignId}_ag${g + 1},${c.channel},`));
  const out = new ChunkWriter(chunkBytes);
  const state: DayState = { i: 0, rows: 0, negativePending: false };
  const emit = rowWriter(opts, defects, random, out, state);
  // Journeys: an impression, then with probability CTR a click on it a few seconds later (same
  // hour, so hourly clicks never exceed impressions), then with probability CVR a conversion.
  while (state.i < opts.events) {
    const ci = pickIndex(campaignCumulative, random);
    const c = campaigns[ci]!;
    const hour = pickIndex(hourCumulative, random);
    const hourEnd = dayStart + (hour + 1) * 3_600_000 - 1;
    const device = DEVICE_FIELDS[pickIndex(DEVICE_CUMULATIVE, random)]!;
    const adGroup = adGroupFields[ci]![Math.floor(random() * c.adGroups)]!;
    const corrupted = defects.has('clicks-without-impressions') && c.campaignId === CORRUPTED_CAMPAIGN_HOUR.campaignId && hour === CORRUPTED_CAMPAIGN_HOUR.utcHour;
    const j: Journey = { c, adGroup, device, corrupted };
    const impressionMs = dayStart + hour * 3_600_000 + Math.floor(random() * 3_600_000);
    // The corrupted campaign-hour reports its impressions as clicks.
    emit(j, corrupted ? 'click' : 'impression', impressionMs);
    if (state.i >= opts.events) continue;
    if (random() >= c.ctr) {
      // No click: now and then a view-through conversion, attributed to the impression.
      if (viewThrough > 0 && random() < viewThrough) emit(j, 'conversion', Math.min(impressionMs + 60_000 + Math.floor(random() * 7_200_000), dayEnd));
      continue;
    }
    const clickMs = Math.min(impressionMs + 2_000 + Math.floor(random() * 58_000), hourEnd);
    emit(j, 'click', clickMs);
    if (state.i >= opts.events || random() >= c.cvr) continue;
    // Conversion lag: minutes to hours after the click (exponential, mean 45 minutes), within the day.
    emit(j, 'conversion', Math.min(clickMs + 10_000 + Math.floor(-Math.log(1 - random()) * 2_700_000), dayEnd));
    while (out.full.length) yield out.full.shift()!;
  }
  while (out.full.length) yield out.full.shift()!;
  const rest = out.rest();
  if (rest) yield rest;
  return state.rows;
}

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** hh:mm:ss.mmmZ for a millisecond offset within a UTC day; toISOString is the slow part of the generator. */
const SECONDS: string[] = [];
function timeOfDay(ms: number): string {
  const s = Math.floor(ms / 1000);
  const hms = (SECONDS[s] ??= `${PAD2[Math.floor(s / 3600)]}:${PAD2[Math.floor(s / 60) % 60]}:${PAD2[s % 60]}.`);
  return hms + PAD3[ms % 1000] + 'Z';
}
