import { boundingBox, foldText, haversineKm } from './catalog';
import type { Location } from '../domain/catalog/events';

type Range = { $gte?: number; $lte?: number };
type Box = { 'location.lat': Range; 'location.lon'?: Range; $or?: Array<{ 'location.lon': Range }> };

const inRange = (v: number, r: Range) => (r.$gte === undefined || v >= r.$gte) && (r.$lte === undefined || v <= r.$lte);
function inBox(p: Location, box: Box): boolean {
  if (!inRange(p.lat, box['location.lat'])) return false;
  if (box['location.lon'] && !inRange(p.lon, box['location.lon'])) return false;
  if (box.$or && !box.$or.some((r) => inRange(p.lon, r['location.lon']))) return false;
  return true;
}

/** A point at `km` from `c` towards `bearing` (degrees), on the sphere haversineKm uses. */
function destination(c: Location, km: number, bearing: number): Location {
  const rad = Math.PI / 180;
  const d = km / 6371.0088;
  const lat1 = c.lat * rad;
  const b = bearing * rad;
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b));
  const lon2 = c.lon * rad + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return { lat: lat2 / rad, lon: ((((lon2 / rad) + 540) % 360) - 180) };
}

describe('haversineKm', () => {
  it('Rome to Milan is about 477 km', () => {
    expect(haversineKm({ lat: 41.9028, lon: 12.4964 }, { lat: 45.4642, lon: 9.19 })).toBeCloseTo(477, -1);
  });
  it('is symmetric across the antimeridian', () => {
    expect(haversineKm({ lat: 0, lon: 179.9 }, { lat: 0, lon: -179.9 })).toBeCloseTo(22.2, 0);
  });
});

describe('boundingBox never drops a point inside the circle', () => {
  const centers: Array<[string, Location, number]> = [
    ['Rome, 25 km', { lat: 41.9028, lon: 12.4964 }, 25],
    ['Oslo-ish latitude, 300 km', { lat: 65, lon: 10 }, 300],
    ['near the antimeridian (east)', { lat: -17.7, lon: 179.5 }, 200],
    ['near the antimeridian (west)', { lat: 52, lon: -179.8 }, 100],
    ['near the north pole', { lat: 89.5, lon: 0 }, 100],
    ['equator, 5000 km', { lat: 0, lon: 0 }, 5000],
  ];
  it.each(centers)('%s', (_, c, radius) => {
    const box = boundingBox(c, radius) as unknown as Box;
    for (let bearing = 0; bearing < 360; bearing += 5) {
      for (const f of [0.25, 0.5, 0.9, 0.999]) {
        const p = destination(c, radius * f, bearing);
        expect(haversineKm(c, p)).toBeLessThanOrEqual(radius);
        expect({ p, inside: inBox(p, box) }).toEqual({ p, inside: true });
      }
    }
  });
  it('excludes far points (the box is a real prefilter)', () => {
    const box = boundingBox({ lat: 41.9028, lon: 12.4964 }, 25) as unknown as Box;
    expect(inBox({ lat: 45.4642, lon: 9.19 }, box)).toBe(false);
    expect(inBox({ lat: 41.9, lon: 13.5 }, box)).toBe(false);
  });
});

describe('foldText', () => {
  it('lower-cases and strips accents', () => {
    expect(foldText('Caffè NÖRD Ça')).toBe('caffe nord ca');
  });
});
