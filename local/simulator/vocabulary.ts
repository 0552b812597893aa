// The account's vocabulary: media names, projects, places, organisations, devices and people, and the pure
// functions of (seed, index) that pick a viewing's embed page, a visitor's IP address, identity and browser.
import { hash32, hashedIdFrom, pickBy, unit } from './rng.ts';

export const COMPANY_SITE = 'https://www.example.com';

export const ADJ = [
  'Spring',
  'Summer',
  'Holiday',
  'Quick',
  'Deep',
  'Customer',
  'Founder',
  'Product',
  'Launch',
  'Brand',
  'Annual',
  'Live',
];
export const NOUN = [
  'Teaser',
  'Walkthrough',
  'Testimonial',
  'Demo',
  'Webinar',
  'Story',
  'Explainer',
  'Recap',
  'Interview',
  'Tutorial',
  'Ad',
  'Highlights',
];
export const TAIL = ['FB', 'YT', 'site', 'v2', 'final', 'short cut', 'long testimonials', '16x9', 'square'];
export const UNICODE_NAMES = [
  'Café présentation — résumé',
  'Déjà vu: the rewind',
  '製品デモ 日本語版',
  'Ünïcödé 🎬 launch',
  'Привет мир',
  'Ελληνικά βίντεο',
];
export const PROJECTS = [
  'Paid Social',
  'YouTube Channel',
  'Website',
  'Webinars',
  'Customer Stories',
  'Product Marketing',
  'Sales Enablement',
  'Events',
];
export const GEO: readonly (readonly [string, string, string, number, number])[] = [
  ['US', 'Florida', 'Miami', 25.7617, -80.1918],
  ['US', 'WA', 'Seattle', 47.6062, -122.3321],
  ['US', 'California', 'San Francisco', 37.7749, -122.4194],
  ['US', 'NY', 'New York', 40.7128, -74.006],
  ['US', 'Texas', 'Austin', 30.2672, -97.7431],
  ['GB', 'England', 'London', 51.5072, -0.1276],
  ['DE', 'Berlin', 'Berlin', 52.52, 13.405],
  ['FR', 'Île-de-France', 'Paris', 48.8566, 2.3522],
  ['CA', 'ON', 'Toronto', 43.6532, -79.3832],
  ['BR', 'São Paulo', 'São Paulo', -23.5505, -46.6333],
  ['IN', 'MH', 'Mumbai', 19.076, 72.8777],
  ['AU', 'New South Wales', 'Sydney', -33.8688, 151.2093],
  ['JP', '13', 'Tokyo', 35.6762, 139.6503],
  ['NO', 'Oslo', 'Oslo', 59.9139, 10.7522],
  ['MX', 'CMX', 'Mexico City', 19.4326, -99.1332],
];
export const ORGS = [
  'Comcast Cable',
  'Deutsche Telekom AG',
  'British Telecommunications PLC',
  'Orange S.A.',
  'Verizon Business',
  'NTT',
  'Telstra',
  'Rogers',
  'Example Corp',
];
export const UAS: readonly (readonly [string, string, string, boolean])[] = [
  ['Chrome', '141', 'mac', false],
  ['Chrome', '140', 'windows', false],
  ['Safari', '18', 'iOS (iPhone)', true],
  ['Chrome', '141', 'iOS (iPhone)', true],
  ['Firefox', '133', 'linux', false],
  ['Edge', '139', 'windows', false],
  ['Samsung Internet', '27', 'android', true],
  ['Unknown Browser', '0', 'iOS (iPhone)', true],
];
export const FIRST = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Jim', 'Zoë', 'José', 'Björn', 'Aiko'];
export const LAST = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Turing', 'Núñez', 'O’Brien', 'Østergaard'];

/** Where a viewing happened: the embed page, spread over Facebook, YouTube, the company site and others. */
export function embedUrlFor(seed: number, e: number): string {
  const r = unit(seed, e, 31);
  const slug = pickBy(['pricing', 'blog/launch', 'customers', 'webinar', 'product/tour', ''], seed, e, 32);
  if (r < 0.22)
    return pickBy(
      [
        `https://www.facebook.com/ExampleCo/videos/${hash32(seed, e, 33)}`,
        'https://m.facebook.com/watch/',
        'https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.com%2F',
      ],
      seed,
      e,
      34,
    );
  if (r < 0.4)
    return pickBy(
      [`https://www.youtube.com/watch?v=${hashedIdFrom(seed, e, 35).slice(0, 11)}`, 'https://m.youtube.com/@exampleco'],
      seed,
      e,
      36,
    );
  if (r < 0.48)
    return `${COMPANY_SITE}/${slug}?utm_source=${pickBy(['facebook', 'youtube', 'fb', 'newsletter'], seed, e, 37)}&utm_medium=paid`;
  if (r < 0.85) return `${COMPANY_SITE}/${slug}`;
  return pickBy(
    [
      'https://blog.example.org/review',
      'https://partner.example.net/resources?ref=video',
      'https://news.example.edu/story',
      'http://localhost:3000/preview',
    ],
    seed,
    e,
    38,
  );
}

export function ipFor(seed: number, v: number): string {
  const r = hash32(seed, v, 41);
  if (r % 10 === 0) return `2001:db8:${((r >>> 8) % 65536).toString(16)}::${((r >>> 4) % 4096).toString(16)}`;
  const net = pickBy(['192.0.2', '198.51.100', '203.0.113'], seed, v, 42);
  return `${net}.${1 + (r % 254)}`;
}

export interface VisitorIdentity {
  readonly name: string;
  readonly email: string | null;
  readonly org: { name: string | null; title: string | null };
  readonly identified: boolean;
}

/** Who a visitor is: 70% anonymous, the rest named, most of those with an email and some with an organisation. */
export function visitorIdentity(seed: number, v: number): VisitorIdentity {
  const r = hash32(seed, v, 60) % 100;
  if (r < 70) return { name: '', email: null, org: { name: null, title: null }, identified: false };
  const name = `${pickBy(FIRST, seed, v, 61)} ${pickBy(LAST, seed, v, 62)}`;
  const email =
    r < 90
      ? `${name
          .toLowerCase()
          .normalize('NFKD')
          .replace(/[^a-z]+/g, '.')}${v}@example.com`
      : null;
  return {
    name,
    email,
    org:
      r < 80
        ? {
            name: pickBy(ORGS, seed, v, 63),
            title: pickBy(['CMO', 'Growth Lead', 'Engineer'], seed, v, 64),
          }
        : { name: null, title: null },
    identified: email !== null,
  };
}

/** The browser a visitor uses. */
export function userAgent(seed: number, v: number): Record<string, unknown> {
  const [browser, browser_version, platform, mobile] = pickBy(UAS, seed, v, 65);
  return { browser, browser_version, platform, mobile };
}
