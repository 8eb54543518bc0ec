/** The brand colour and the colours derived from it, kept readable whatever the tenant picks. */

const FALLBACK = '#0f766e';

type Rgb = [number, number, number];

function parse(hex: string): Rgb {
  const match = /^#([0-9a-f]{6})$/i.exec(hex.trim());
  const value = match ? match[1] : FALLBACK.slice(1);
  return [0, 2, 4].map((i) => Number.parseInt(value.slice(i, i + 2), 16)) as Rgb;
}

const toHex = (rgb: Rgb) =>
  `#${rgb
    .map((c) =>
      Math.round(Math.min(255, Math.max(0, c)))
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;

function luminance([r, g, b]: Rgb): number {
  const channel = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

export function contrast(a: string, b: string): number {
  const [l1, l2] = [luminance(parse(a)), luminance(parse(b))].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

const mix = (a: Rgb, b: Rgb, weight: number): Rgb =>
  a.map((c, i) => c * (1 - weight) + b[i] * weight) as Rgb;

export interface BrandColors {
  brand: string;
  /** Text on the brand colour (white or near-black, whichever reads). */
  onBrand: string;
  /** The brand darkened until it reads as text on white (links, citation numbers). */
  ink: string;
  /** A pale wash of the brand (citation chips, quotes). */
  tint: string;
}

export function brandColors(color: string): BrandColors {
  const brand = toHex(parse(color));
  const onBrand = contrast(brand, '#ffffff') >= 4.5 ? '#ffffff' : '#101828';
  let ink = parse(brand);
  for (let i = 0; i < 12 && contrast(toHex(ink), '#ffffff') < 5; i += 1) {
    ink = mix(ink, [0, 0, 0], 0.15);
  }
  return { brand, onBrand, ink: toHex(ink), tint: toHex(mix(parse(brand), [255, 255, 255], 0.88)) };
}

export const cssVariables = (colors: BrandColors): Record<string, string> => ({
  '--cc-brand': colors.brand,
  '--cc-on-brand': colors.onBrand,
  '--cc-ink': colors.ink,
  '--cc-tint': colors.tint,
});
